"""NHS England's unrounded ranked metric scores, reconstructed from the printed 2-dp scores.

A ranked score is ``1 + 3·b/(n − 1)`` (b = organisations strictly better, n = the peer group
with a value), so every unrounded score lies on the grid of its peer-group size n. NHS England
averages the unrounded scores but prints them to 2 dp; once n is known, each printed score
identifies its grid point, hence the unrounded score.

n is inferred per metric and trust type (peer groups are per type, or national):

* **candidates**: every n from the number of printed scores upwards whose grid reproduces every
  printed score at 2 dp, and where each trust has at least ``Rank − 1`` organisations better
  than it (``Rank`` is the competition rank within the file, so the trusts ranked above it are
  better; organisations outside the file can only add to b). Scores set by a floor rule of the
  catalogue (e.g. below a national standard → 4.00) are not on the grid and are left out of
  the fit. "As printed" is a candidate too (a score NHS England itself held at 2 dp).
* **choice**: the smallest n by default. When the file also holds NHS England's averages
  (OF5002) and domain scores (OF4000–OF4005), the candidates are tried metric by metric and the
  one reproducing the most of those printed results is kept (ties: the smaller n) — the
  published results pin down which grid NHS England used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .engine.averages import round_half_up
from .engine.catalogue import DOMAINS, Catalogue, Metric

__all__ = ["grid_sizes", "smallest_grid", "grid_scores", "PeerGroupFit", "reconstruct_scores",
           "DOMAIN_SCORE_IDS", "DOMAIN_SEGMENT_IDS", "floored"]

#: NHS England's domain score and domain segment metric IDs.
DOMAIN_SCORE_IDS = {"Access to services": "OF4000", "Patient safety": "OF4002",
                    "Finance and productivity": "OF4003", "People and workforce": "OF4004",
                    "Effectiveness and experience": "OF4005"}
DOMAIN_SEGMENT_IDS = {d: "OF41" + i[4:] for d, i in DOMAIN_SCORE_IDS.items()}
assert set(DOMAIN_SCORE_IDS) == set(DOMAINS)

#: Largest peer group tried (all NHS providers and more).
MAX_PEER_GROUP = 1000
#: Grid sizes kept as candidates per metric and type (the smallest first).
CANDIDATES = 4
_EPS = 1e-9


def _grid(printed: np.ndarray, n: int, best: float, worst: float) -> np.ndarray:
    """b for each printed score on the grid of size n (rounded to the nearest grid point)."""
    return np.round((printed - best) * (n - 1) / (worst - best))


def grid_sizes(printed, ranks=None, *, best: float = 1.0, worst: float = 4.0,
               limit: int = CANDIDATES, largest: int = MAX_PEER_GROUP) -> list[int]:
    """The smallest peer-group sizes n whose grid reproduces every printed score (2 dp).

    ``ranks`` (optional): each trust's competition rank within the file; a grid point with
    fewer than ``rank − 1`` organisations better is refused.
    """
    s = np.asarray(printed, dtype=float)
    keep = ~np.isnan(s)
    s = s[keep]
    r = None if ranks is None else np.asarray(ranks, dtype=float)[keep]
    if s.size == 0:
        return []
    if np.all(np.abs(s - best) < _EPS):
        return [s.size]
    found: list[int] = []
    for n in range(max(2, s.size), largest + 1):
        b = _grid(s, n, best, worst)
        if np.any(b < 0) or np.any(b > n - 1):
            continue
        back = round_half_up(best + (worst - best) * b / (n - 1), 2)
        if np.any(np.abs(back - s) > _EPS):
            continue
        if r is not None and np.any(b[~np.isnan(r)] < r[~np.isnan(r)] - 1):
            continue
        found.append(n)
        if len(found) >= limit:
            break
    return found


def smallest_grid(printed, ranks=None, **kw) -> int | None:
    """The smallest n consistent with every printed score, or None when none up to the limit."""
    sizes = grid_sizes(printed, ranks, limit=1, **kw)
    return sizes[0] if sizes else None


def grid_scores(printed, n: int, *, best: float = 1.0, worst: float = 4.0) -> np.ndarray:
    """The unrounded scores on the grid of size n that the printed scores stand for."""
    s = np.asarray(printed, dtype=float)
    if n <= 1:
        return np.where(np.isnan(s), np.nan, best)
    return best + (worst - best) * _grid(s, n, best, worst) / (n - 1)


def floored(metric: Metric, raw: pd.Series) -> pd.Series:
    """True where the metric's floor rule (catalogue) sets the score, not the rank."""
    out = pd.Series(False, index=raw.index)
    for band in metric.floor:
        with np.errstate(invalid="ignore"):
            out |= raw.notna() & pd.Series(band.matches_array(raw.to_numpy(dtype=float)),
                                           index=raw.index)
    return out


@dataclass(frozen=True)
class PeerGroupFit:
    """How one metric's printed scores for one trust type were read."""

    metric: str
    org_type: str
    scored: int                    # printed scores in the file
    sizes: tuple[int, ...]         # grid sizes consistent with them, smallest first
    chosen: int | None             # the n used; None = kept as printed

    @property
    def peer_group_size(self) -> int | None:
        """The n used, else the smallest consistent one (None: the scores fit no grid)."""
        return self.chosen if self.chosen is not None else (self.sizes[0] if self.sizes else None)

    @property
    def wider_than_file(self) -> bool:
        """The peer group holds organisations that are not in the file (or is unknown)."""
        n = self.peer_group_size
        return n is None or n > self.scored


def reconstruct_scores(wide: pd.DataFrame, ranks: pd.DataFrame, types: pd.Series,
                       cat: Catalogue, *, best: float = 1.0, worst: float = 4.0
                       ) -> tuple[pd.DataFrame, list[PeerGroupFit]]:
    """Published 2-dp scores → NHS England's unrounded ones (ranked metrics; others as printed).

    ``wide``: trusts × metric IDs as printed (scores OF1xxx, raw values OF0xxx, results
    OF5002 / OF40xx). ``ranks``: the file's Rank column, same shape. ``types``: engine type
    per trust. Returns the scores (same columns as ``wide``'s OF1xxx) and one fit per
    (ranked metric, type).
    """
    scores = wide[[c for c in wide.columns if c.startswith("OF1")]].copy()
    options: list[tuple[PeerGroupFit, pd.Index, list[np.ndarray | None]]] = []
    for metric in cat:
        # ranked metrics; and supplied ones too (a metric the catalogue lacks is imported as
        # supplied, yet may be ranked): kept as printed unless the published results say
        # otherwise
        if metric.scoring not in ("ranked", "supplied") or metric.score_id not in scores.columns:
            continue
        printed = scores[metric.score_id]
        raw = (wide[metric.value_id] if metric.value_id in wide.columns
               else pd.Series(np.nan, index=wide.index))
        on_grid = printed.notna() & ~floored(metric, raw)
        for org_type in dict.fromkeys(types):
            who = printed.index[on_grid & (types == org_type)]
            if who.empty:
                continue
            rank = (ranks[metric.score_id].reindex(who) if metric.score_id in ranks.columns
                    else None)
            sizes = grid_sizes(printed[who], rank, best=best, worst=worst)
            values = [grid_scores(printed[who], n, best=best, worst=worst) for n in sizes]
            ranked = metric.scoring == "ranked"
            fit = PeerGroupFit(metric.score_id, org_type, len(who), tuple(sizes),
                               sizes[0] if sizes and ranked else None)
            options.append((fit, who, values + [None]))  # None = as printed
    choice = [0 if fit.chosen is not None else len(vals) - 1 for fit, _, vals in options]

    def apply(chosen: list[int]) -> pd.DataFrame:
        out = scores.copy()
        for (fit, who, vals), j in zip(options, chosen):
            if vals[j] is not None:
                out.loc[who, fit.metric] = vals[j]
        return out

    check = _published_check(wide, cat)
    if check is not None and options:
        best_misses = check(apply(choice))
        improved = True
        while improved and best_misses:
            improved = False
            for i, (_, _, vals) in enumerate(options):
                for j in range(len(vals)):
                    if j == choice[i]:
                        continue
                    trial = choice[:i] + [j] + choice[i + 1:]
                    misses = check(apply(trial))
                    if misses < best_misses:
                        best_misses, choice, improved = misses, trial, True
    fits = [PeerGroupFit(fit.metric, fit.org_type, fit.scored, fit.sizes,
                         fit.sizes[j] if j < len(fit.sizes) else None)
            for (fit, _, _), j in zip(options, choice)
            if cat[fit.metric].scoring == "ranked" or j < len(fit.sizes)]
    return apply(choice), fits


def _published_check(wide: pd.DataFrame, cat: Catalogue):
    """A function counting printed averages / domain scores a score table fails to reproduce,
    or None when the file prints neither."""
    targets: list[tuple[list[str], pd.Series]] = []
    counted = [m for m in cat if m.in_average and m.score_id in wide.columns]
    if "OF5002" in wide.columns and wide["OF5002"].notna().any():
        targets.append(([m.score_id for m in counted], wide["OF5002"]))
    for domain, score_id in DOMAIN_SCORE_IDS.items():
        ids = [m.score_id for m in counted if m.domain == domain]
        if ids and score_id in wide.columns and wide[score_id].notna().any():
            targets.append((ids, wide[score_id]))
    if not targets:
        return None

    def misses(scores: pd.DataFrame) -> int:
        total = 0
        for ids, printed in targets:
            mean = round_half_up(scores[ids].mean(axis=1).to_numpy(), 2)
            given = printed.to_numpy(dtype=float)
            total += int(np.count_nonzero(~np.isnan(given) & (np.abs(mean - given) > _EPS)))
        return total
    return misses
