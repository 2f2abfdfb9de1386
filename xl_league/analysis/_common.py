"""Helpers shared by the analyses: finding an organisation, preparing engine inputs.

Nothing here does I/O. The analyses run :func:`~xl_league.compute_league_tables` on changed
copies of the inputs; these helpers make those copies consistently.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import replace

import numpy as np
import pandas as pd

from ..engine import Catalogue, LeagueTables, Methodology, compute_league_tables
from ..engine.catalogue import Metric, load_catalogue
from ..engine.inputs import check_organisations, check_values
from ..engine.methodology import load_methodology
from ..errors import InputError

__all__ = ["Inputs", "checked_inputs", "find_organisation", "set_metric_value", "clear_metric",
           "supplied_score_at", "peer_mask", "fixed_cut_points_run", "is_missing"]


def is_missing(value: object) -> bool:
    """None, NaN and pandas' NA are all 'no value'."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(isinstance(value, (float, np.floating)) and math.isnan(value))
    except TypeError:
        return False


class Inputs:
    """Checked engine inputs (organisations indexed by code, numeric values), plus the rules."""

    def __init__(self, organisations: pd.DataFrame, values: pd.DataFrame,
                 methodology: Methodology, catalogue: Catalogue):
        self.organisations = organisations
        self.values = values
        self.methodology = methodology
        self.catalogue = catalogue

    def copy(self) -> "Inputs":
        return Inputs(self.organisations.copy(), self.values.copy(), self.methodology,
                      self.catalogue)

    def run(self, methodology: Methodology | None = None) -> LeagueTables:
        return compute_league_tables(self.organisations, self.values,
                                     methodology or self.methodology, self.catalogue)


def checked_inputs(organisations: pd.DataFrame, values: pd.DataFrame,
                   methodology: Methodology | None, catalogue: Catalogue | None) -> Inputs:
    """The engine's own checks, so the analyses work on clean frames indexed by code."""
    meth = methodology or load_methodology()
    cat = catalogue or load_catalogue(meth)
    orgs = check_organisations(organisations, meth)
    vals = check_values(values, orgs, cat)
    return Inputs(orgs, vals, meth, cat)


def find_organisation(codes: pd.Index, code: str) -> str:
    """The code as it appears in ``codes`` (case-insensitive), or InputError naming it."""
    wanted = str(code).strip()
    if wanted in codes:
        return wanted
    by_upper = {str(c).upper(): str(c) for c in codes}
    if wanted.upper() in by_upper:
        return by_upper[wanted.upper()]
    close = difflib.get_close_matches(wanted.upper(), list(by_upper), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(by_upper[c] for c in close)}?" if close else \
        ": use the organisation's ODS code as in the inputs"
    raise InputError(f"organisation {wanted!r} is not in the inputs{hint}", organisation=wanted)


def _dependants(catalogue: Catalogue, score_id: str) -> list[Metric]:
    """Combined metrics that use ``score_id`` (directly or through another combined metric)."""
    found: list[Metric] = []
    frontier = {score_id}
    while frontier:
        nxt = set()
        for m in catalogue:
            if m.scoring == "combined" and frontier & set(m.components) and m not in found:
                found.append(m)
                nxt.add(m.score_id)
        frontier = nxt
    return found


def peer_mask(inputs: Inputs, metric: Metric, org_type: str) -> pd.Series:
    """Organisations in the peer group of ``metric`` for an organisation of ``org_type``."""
    types = inputs.organisations["type"]
    if metric.peer_group == "national":
        return types.isin(inputs.methodology.pool_of(org_type)) & types.isin(metric.types)
    return types == org_type


def supplied_score_at(inputs: Inputs, code: str, metric: Metric, value: float) -> float | None:
    """The score ``value`` earns on the peers' supplied scores of a ranked metric.

    Ranked scores fall as more peers are strictly better, ties sharing the better score, so a
    value that equals or beats a peer's value earns at least that peer's score: the best
    supplied score among the peers whose value is equal to or worse than ``value`` (the worst
    score when it beats none). Exact for a tie with a peer and for any improvement; the peers'
    own supplied scores are kept as given. None when no peer has both a value and a supplied
    score to read from.
    """
    vals = inputs.values
    peers = peer_mask(inputs, metric, str(inputs.organisations.at[code, "type"]))
    peers &= (vals.index != code) & vals[metric.value_id].notna() & vals[metric.score_id].notna()
    if not peers.any():
        return None
    pv = vals.loc[peers, metric.value_id].to_numpy(float)
    ps = vals.loc[peers, metric.score_id].to_numpy(float)
    beaten = pv <= value if metric.higher_is_better else pv >= value
    return float(ps[beaten].min()) if beaten.any() else float(inputs.methodology.worst_score)


def set_metric_value(inputs: Inputs, code: str, metric_id: str, value: float) -> list[str]:
    """Set one organisation's value of ``metric_id`` in ``inputs`` (changed in place).

    A score ID sets a supplied score. A value ID sets the raw value; when the metric is scored
    from raw values the engine re-ranks the whole peer group, so other organisations' scores
    move too. When the organisation's score for that metric was supplied (e.g. NHS England's
    published score), a supplied score would hide the new value, so: for a ranked metric its
    supplied score becomes :func:`supplied_score_at` the new value (the other organisations'
    supplied scores are kept as given); for a banded metric (or a ranked one whose peers have
    no supplied scores) its supplied score is dropped so the engine scores its new value. The
    organisation's supplied scores of combined metrics built on the metric (OF1080 on OF1079)
    are dropped too, so they follow the new value. Returns notes saying what was done.
    """
    metric, kind = inputs.catalogue.by_column()[metric_id]
    vals = inputs.values
    if metric_id not in vals.columns:
        vals[metric_id] = np.nan
    vals.at[code, metric_id] = float(value)
    if kind == "score":
        return []
    sid = metric.score_id
    notes: list[str] = []
    dropped: list[str] = []
    if sid in vals.columns and not pd.isna(vals.at[code, sid]):
        old = float(vals.at[code, sid])
        new = (supplied_score_at(inputs, code, metric, float(value))
               if metric.scoring == "ranked" else None)
        if new is not None:
            vals.at[code, sid] = new
            notes.append(f"{sid} scores are supplied: {code}'s score {old:.2f} becomes "
                         f"{new:.2f}, the supplied score of the peers its new value {value:g} "
                         "equals or beats; the other organisations' supplied scores are kept "
                         "as given")
        else:
            vals.at[code, sid] = np.nan
            dropped.append(sid)
    for comb in _dependants(inputs.catalogue, sid):
        if comb.score_id in vals.columns and not pd.isna(vals.at[code, comb.score_id]):
            vals.at[code, comb.score_id] = np.nan
            dropped.append(comb.score_id)
    if dropped:
        inputs.values = vals.loc[:, vals.notna().any()]
        notes.append(f"{' and '.join(dropped)} scores for {code} were supplied; they are "
                     f"recomputed from the new value {value:g} with the catalogue's rules")
    return notes


def clear_metric(inputs: Inputs, code: str, metric_id: str) -> list[str]:
    """Clear one organisation's metric in ``inputs`` (changed in place): no raw value and no
    supplied score, whichever of the metric's IDs is given, so it has no score and does not
    count in the average. Supplied scores of combined metrics built on it (OF1080 on OF1079)
    are dropped too, so they follow. Returns notes saying what was done."""
    metric, _kind = inputs.catalogue.by_column()[metric_id]
    vals = inputs.values
    cleared = []
    for column in (metric.value_id, metric.score_id):
        if column and column in vals.columns and not pd.isna(vals.at[code, column]):
            vals.at[code, column] = np.nan
            cleared.append(column)
    for comb in _dependants(inputs.catalogue, metric.score_id):
        if comb.score_id in vals.columns and not pd.isna(vals.at[code, comb.score_id]):
            vals.at[code, comb.score_id] = np.nan
            cleared.append(comb.score_id)
    inputs.values = vals.loc[:, vals.notna().any()]
    if not cleared:
        return [f"{metric_id} ({metric.name}): {code} had no value or score to clear"]
    return [f"{' and '.join(cleared)} cleared for {code}: {metric.name} has no value and no "
            "score, so it does not count in the average"]


def _increasing(cuts: tuple[float, float, float]) -> tuple[float, float, float]:
    """Quartiles of a small or tied dataset can coincide (c1 == c2); fixed cut-points must
    increase. Nudge ties apart by 1e-12: averages are compared at 2 dp with a 1e-9 tolerance,
    so no average can fall between the nudged cut-points and every segment is unchanged."""
    c1, c2, c3 = cuts
    c2 = max(c2, c1 + 1e-12)
    c3 = max(c3, c2 + 1e-12)
    return (c1, c2, c3)


def fixed_cut_points_run(inputs: Inputs, cuts: pd.DataFrame,
                         methodology: Methodology | None = None) -> LeagueTables:
    """Run the engine with the cut-points of an earlier run held fixed, pool by pool.

    ``cuts`` is an earlier :attr:`LeagueTables.cut_points`. With one set of cut-points (the
    usual case: NHS trusts only, or a fixed rule) this is one run with those cut-points fixed.
    Where pools were cut differently (ICBs beside trusts, or per-type quartiles), each set is
    run separately and every type's league rows are taken from the run with its own pool's
    cut-points (scores do not depend on cut-points, so the other tables are shared).
    """
    meth = methodology or inputs.methodology
    sets: dict[tuple[float, float, float], list[str]] = {}
    for _, row in cuts.iterrows():
        c = (float(row["c1"]), float(row["c2"]), float(row["c3"]))
        sets.setdefault(c, []).extend(row["pool"].split(" + "))
    if not sets:
        return inputs.run(meth)
    runs = [(inputs.run(meth.with_settings(cut_points=_increasing(c))), types)
            for c, types in sets.items()]
    first = runs[0][0]
    if len(runs) == 1:
        return first
    parts = [r.league[r.league["type"].isin(types)] for r, types in runs]
    league = pd.concat(parts)
    order = {t: i for i, t in enumerate(meth.types)}
    league = league.assign(_t=league["type"].map(order),
                           _p=league["position"].astype(float).fillna(np.inf))
    league = league.sort_values(["_t", "_p", "code"], kind="stable").drop(columns=["_t", "_p"])
    return replace(first, league=league, cut_points=cuts.copy())
