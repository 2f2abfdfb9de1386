"""A bundled synthetic national dataset: 205 fictional NHS trusts for the demo workbook.

:func:`national_demo_dataset` returns one quarter of inputs in exactly the engine's format —
134 acute, 61 mental health and community ("non-acute") and 10 ambulance trusts, with fictional
names and codes (``ZA1``…), NHS England's seven regions, and a value for every metric of the
2025/26 catalogue that applies to the trust's type, drawn from realistic distributions
(see :mod:`xl_league.demo.parameters` for the sources). Nothing is read from disk.

How a quarter is drawn, from ``numpy.random.default_rng(seed)``:

* each trust has a latent performance ``p`` ~ N(0, 1) (specialist acute trusts a little better,
  as in the real tables); every metric mixes ``p`` with noise (weight ``rho``), so metrics
  correlate a little and league tables look realistic;
* finance has its own factor, partly shared with ``p``, behind both the planned surplus/deficit
  (OF0079) and the year-to-date variance (OF0081);
* some trusts do not report some metrics (specialist trusts without an A&E, mental-health
  trusts without community services, ...): those values are missing, nothing is imputed;
* supplied scores (OF1106, OF1035, OF1067) are whole scores 1–4;
* a tiny percentage among larger ones (0.02 % waiting over 52 weeks where the median is
  2.2 %) is rounded to 0: the workbook reader would take it for a fraction typed by mistake;
* ``in_deficit`` is "Yes" when the plan is a deficit or the trust is behind plan, with about
  one trust in 25 the other way round (as in NHS England's data, where the flag is not exactly
  derivable from the finance metrics);
* the two acute trusts and the one non-acute trust that did worst are in the Recovery Support
  Programme (``in_rsp``).

The same seed gives identical frames; the organisations (names, codes, regions, subtypes) are
the same for every seed, so another seed is another quarter of the same fictional NHS.

:func:`scaled_demo_dataset` is the national dataset ``N`` times over, to try xl-league (or
benchmark it) at scale: ``N`` quarters side by side as if ``N`` fictional NHSs were one, each
copy with codes of its own, ranked together in three league tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.catalogue import Catalogue, load_catalogue
from ..errors import InputError
from .names import CODE_PREFIX, REGIONS, TYPE_COUNTS, demo_organisations
from .parameters import FINANCE_IDS, SPECS, ScoreSpec, ValueSpec

__all__ = ["DemoDataset", "national_demo_dataset", "scaled_demo_dataset", "DEMO_QUARTER", "TYPE_COUNTS", "REGIONS",
           "CODE_PREFIX"]

#: The label of the synthetic quarter.
DEMO_QUARTER = "Q2 2025/26 (synthetic)"
_SUBTYPE_EFFECT = {"Acute - Specialist": 0.6}   # specialist trusts top the real acute table
_FINANCE_SHARE = 0.3      # how much of the finance factor is general performance
_FINANCE_RHO = 0.8        # how strongly plan and variance follow the finance factor
_FLAG_EXCEPTIONS = 0.04   # share of trusts whose deficit flag goes against the finance metrics
_RSP = {"acute": 2, "non-acute": 1}
_ndtr = np.vectorize(lambda z: 0.5 * math.erfc(-z / math.sqrt(2.0)), otypes=[float])


@dataclass(frozen=True)
class DemoDataset:
    """One synthetic quarter, in the engine's input format.

    ``organisations``: one row per trust, columns ``code, name, type, region, subtype,
    in_deficit, in_rsp`` (flags "Yes"/"No"), sorted by type then code. ``values``: indexed by
    ``code`` (same order), one float column per metric ID — raw values under value IDs
    (``OF0023``), supplied scores under score IDs (``OF1106``); NaN = not reported.
    """

    organisations: pd.DataFrame
    values: pd.DataFrame
    quarter: str
    seed: int
    scale: int = 1


def national_demo_dataset(seed: int = 2025) -> DemoDataset:
    """205 fictional trusts with one quarter of realistic metric values, seeded.

    >>> demo = national_demo_dataset()
    >>> demo.organisations["type"].value_counts().to_dict()
    {'acute': 134, 'non-acute': 61, 'ambulance': 10}
    >>> demo.quarter
    'Q2 2025/26 (synthetic)'
    """
    rng = np.random.default_rng(seed)
    orgs = demo_organisations()
    catalogue = load_catalogue()
    n = len(orgs)
    subtype_effect = orgs["subtype"].map(_SUBTYPE_EFFECT).fillna(0.0).to_numpy()
    performance = rng.standard_normal(n) + subtype_effect
    finance = (_FINANCE_SHARE * performance
               + math.sqrt(1 - _FINANCE_SHARE ** 2) * rng.standard_normal(n))
    columns = _metric_columns(catalogue)
    values = pd.DataFrame(np.nan, index=pd.Index(orgs["code"], name="code"), columns=columns)
    goodness = pd.DataFrame(np.nan, index=values.index, columns=columns)
    for org_type, specs in SPECS.items():
        rows = (orgs["type"] == org_type).to_numpy()
        subtypes = orgs.loc[rows, "subtype"].to_numpy()
        for metric_id in columns:
            if metric_id not in _applicable(catalogue, org_type):
                continue
            spec = specs[metric_id]
            factor = finance[rows] if metric_id in FINANCE_IDS else performance[rows]
            rho = _FINANCE_RHO if metric_id in FINANCE_IDS else spec.rho
            good = rho * factor + math.sqrt(1 - rho ** 2) * rng.standard_normal(rows.sum())
            coverage = np.array([spec.coverage.get(s, spec.default_coverage) for s in subtypes])
            reported = rng.random(rows.sum()) < coverage
            drawn = _draw(spec, good, _higher_is_better(catalogue, metric_id))
            values.loc[rows, metric_id] = _no_fraction_lookalikes(
                np.where(reported, drawn, np.nan))
            goodness.loc[rows, metric_id] = np.where(reported, good, np.nan)
    orgs["in_deficit"] = _deficit_flags(values, rng)
    orgs["in_rsp"] = _rsp_flags(orgs, goodness)
    return DemoDataset(organisations=orgs, values=values, quarter=DEMO_QUARTER, seed=seed)


def scaled_demo_dataset(scale: int, seed: int = 2025) -> DemoDataset:
    """The national dataset ``scale`` times over: ``scale`` × 205 fictional trusts.

    Copy ``c`` (0, 1, ...) is :func:`national_demo_dataset` with seed ``seed + c``: another
    quarter of the same fictional trusts, so the copies' values differ. Copy 0 keeps its codes;
    the others' codes end ``-c`` (``ZA1-1``, text like every code) and their names are copy
    0's (a name is not a key; the code is). Sorted by type then code, like the national
    dataset; ``scale=1`` is the national dataset itself.

    >>> big = scaled_demo_dataset(3)
    >>> big.organisations["type"].value_counts().to_dict()
    {'acute': 402, 'non-acute': 183, 'ambulance': 30}
    >>> big.organisations["code"].is_unique
    True
    """
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise InputError(f"demo scale {scale!r}: give a whole number of copies of the national "
                         "dataset, 1 or more (e.g. 10 for 2,050 trusts)")
    scale = int(scale)
    if scale == 1:
        return national_demo_dataset(seed)
    organisations, values = [], []
    for copy in range(scale):
        data = national_demo_dataset(seed + copy)
        orgs, vals = data.organisations, data.values
        if copy:
            orgs = orgs.assign(code=orgs["code"] + f"-{copy}")
            vals = vals.set_axis(pd.Index(vals.index + f"-{copy}", name="code"))
        organisations.append(orgs)
        values.append(vals)
    orgs = pd.concat(organisations, ignore_index=True)
    type_order = {t: i for i, t in enumerate(TYPE_COUNTS)}
    orgs = orgs.sort_values(["type", "code"], key=lambda s: s.map(type_order) if s.name == "type"
                            else s, kind="stable", ignore_index=True)
    vals = pd.concat(values).loc[orgs["code"]]
    return DemoDataset(organisations=orgs, values=vals, quarter=DEMO_QUARTER, seed=seed,
                       scale=scale)


def _metric_columns(catalogue: Catalogue) -> list[str]:
    """The input columns: value IDs of computed metrics, score IDs of supplied ones."""
    cols = []
    for m in catalogue:
        if m.scoring == "supplied":
            cols.append(m.score_id)
        elif m.value_id:
            cols.append(m.value_id)
    return cols


def _applicable(catalogue: Catalogue, org_type: str) -> set[str]:
    return set(_metric_columns(Catalogue(catalogue.year, catalogue.for_type(org_type))))


def _higher_is_better(catalogue: Catalogue, metric_id: str) -> bool:
    for m in catalogue:
        if metric_id in (m.value_id, m.score_id):
            return m.higher_is_better
    raise KeyError(metric_id)


def _draw(spec: ValueSpec | ScoreSpec, good: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """Values from the spec's quantile function; ``good`` high = better performance."""
    if isinstance(spec, ScoreSpec):
        u_worse = _ndtr(-good)  # lower score = better
        cumulative = np.cumsum(spec.probabilities)
        cumulative[-1] = 1.0
        return (np.searchsorted(cumulative, u_worse, side="right") + 1).clip(1, 4).astype(float)
    u = _ndtr(good if higher_is_better else -good)
    p, v = zip(*spec.knots)
    out = np.round(np.interp(u, p, v), spec.decimals) + 0.0  # + 0.0: no "-0.0"
    return out


def _no_fraction_lookalikes(values: np.ndarray) -> np.ndarray:
    """Values in (0, 1] nearer the median as percentages (× 100) than as they are → 0.0.

    The workbook reader refuses such a value in a percentage metric whose median is above 1
    ("0.02 looks like a fraction, type 2 for 2 %"); the demo's data must read cleanly for
    every seed. Only the far low tail is touched (below 2 % of the median)."""
    median = np.nanmedian(values) if np.isfinite(values).any() else np.nan
    if not median > 1:
        return values
    with np.errstate(invalid="ignore"):
        lookalike = (values > 0) & (values <= 1) & (np.abs(100 * values - median)
                                                   < np.abs(values - median))
    return np.where(lookalike, 0.0, values)


def _deficit_flags(values: pd.DataFrame, rng: np.random.Generator) -> list[str]:
    plan, variance = (values[c].to_numpy() for c in FINANCE_IDS)
    with np.errstate(invalid="ignore"):
        deficit = (plan < 0) | (variance < 0)
    exception = rng.random(len(deficit)) < _FLAG_EXCEPTIONS
    deficit = np.where(exception, ~deficit, deficit)
    return ["Yes" if d else "No" for d in deficit]


def _rsp_flags(orgs: pd.DataFrame, goodness: pd.DataFrame) -> list[str]:
    """The worst performers of a type (lowest mean of their drawn metric performance)."""
    mean_good = goodness.mean(axis=1, skipna=True).to_numpy()
    rsp = np.zeros(len(orgs), dtype=bool)
    for org_type, k in _RSP.items():
        idx = np.flatnonzero((orgs["type"] == org_type).to_numpy())
        worst = idx[np.argsort(mean_good[idx], kind="stable")[:k]]
        rsp[worst] = True
    return ["Yes" if r else "No" for r in rsp]
