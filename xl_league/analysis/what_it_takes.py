"""What would it take: the smallest improvement in each metric that moves an organisation up.

For one organisation and each metric it has a raw value for (ranked or banded), with every
other input fixed: the smallest change of that raw value (in the metric's better direction)
that moves it to the next better **segment** (its unadjusted segment; the financial override
may still cap the segment at 3, and the row says so) or the next better league **position**.

Exact, not approximate. A ranked metric's score is a step function of how many peers are
strictly better (ties share the better score), so the only values worth trying are the peers'
own values: matching a better peer's value exactly earns that peer's score. A banded metric's
only values worth trying are its band thresholds. Both the score and (with everyone else
fixed) the organisation's average, segment and position only improve as the value improves,
so the first candidate, in order of distance from the current value, that reaches the goal
is the answer; the candidates are searched by halving that ordered list, every trial a full
engine run with the current cut-points held fixed. If even the best possible value does not
get there the row says "not reachable by this metric alone".

Supplied scores (e.g. NHS England's published ones) are respected: where the organisation's
score was supplied, its score at a candidate value is read off the peers' supplied scores
(ranked) or the catalogue's bands (banded), and everyone else's supplied scores stay as given
— see :func:`~xl_league.analysis._common.set_metric_value`; the ``note`` says so.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd

from ..engine import Catalogue, LeagueTables, Methodology
from ..engine.catalogue import Metric
from ..errors import InputError
from ._common import (Inputs, checked_inputs, find_organisation, fixed_cut_points_run,
                      peer_mask, set_metric_value)

__all__ = ["what_it_takes", "WHAT_IT_TAKES_COLUMNS", "NOT_REACHABLE"]

#: Columns of the result, in order.
WHAT_IT_TAKES_COLUMNS = ("metric", "name", "value_id", "domain", "direction", "current_value",
                         "current_score", "score_supplied", "comparison", "target_value",
                         "change_needed", "new_score", "new_average", "new_unadjusted_segment",
                         "new_segment", "new_position", "reachable", "note")
NOT_REACHABLE = "not reachable by this metric alone"


def what_it_takes(organisations: pd.DataFrame, values: pd.DataFrame, *, org: str,
                  target: Literal["segment", "position"] = "segment",
                  methodology: Methodology | None = None,
                  catalogue: Catalogue | None = None) -> pd.DataFrame:
    """One row per metric with a raw value: the raw value that reaches the next ``target``.

    ``target="segment"``: the next better unadjusted segment; ``"position"``: the next better
    league position within the organisation's type. Columns :data:`WHAT_IT_TAKES_COLUMNS`:
    ``comparison`` and ``target_value`` read "the value must be ``comparison target_value``"
    (``>=`` / ``<=`` for a peer's value or an inclusive band, ``>`` / ``<`` for an exclusive
    band threshold); ``change_needed`` = target − current; ``new_*`` = the outcome at the target
    value (or, when not reachable, at the best possible value). ``reachable`` is False where
    nothing this metric can do gets there (``note`` says why). ``DataFrame.attrs`` holds
    ``code``, ``name``, ``target``, ``goal`` (plain words), ``done`` (already in segment 1 /
    at position 1: then there are no rows) and the current ``segment``,
    ``unadjusted_segment`` and ``position``.
    """
    if target not in ("segment", "position"):
        raise InputError(f"target {target!r} is not one of segment, position")
    base = checked_inputs(organisations, values, methodology, catalogue)
    code = find_organisation(base.organisations.index, org)
    meth = base.methodology.with_settings(bootstrap_replicates=0)
    org_type = str(base.organisations.at[code, "type"])
    # Only the organisation's national pool can affect its scores, segment and position.
    pool = base.organisations["type"].isin(meth.pool_of(org_type))
    base = Inputs(base.organisations[pool], base.values[pool], meth, base.catalogue)
    base.values = base.values.loc[:, base.values.notna().any()]
    current = base.run()
    row = current.league.loc[code]
    if pd.isna(row["average_score"]):
        raise InputError(f"organisation {code} has no average metric score, so no segment or "
                         "position to improve: fill in its metric values", organisation=code)
    goal = _Goal(target, current, code)
    out: list[dict] = []
    for metric in ([] if goal.done else current.catalogue.for_type(org_type)):
        if metric.scoring not in ("ranked", "banded") or not metric.value_id:
            continue
        if metric.value_id not in base.values.columns or \
                pd.isna(base.values.at[code, metric.value_id]):
            continue
        out.append(_one_metric(base, current, code, org_type, metric, goal))
    frame = pd.DataFrame(out, columns=list(WHAT_IT_TAKES_COLUMNS))
    for col in ("new_unadjusted_segment", "new_segment", "new_position"):
        frame[col] = frame[col].astype("Int64")
    frame["reachable"] = frame["reachable"].astype(bool)
    frame.attrs.update(code=code, name=str(row["name"]), target=target, goal=goal.words,
                       done=goal.done, segment=int(row["segment"]),
                       unadjusted_segment=int(row["unadjusted_segment"]),
                       position=int(row["position"]))
    return frame


class _Goal:
    """What counts as 'moved up', from the organisation's current result."""

    def __init__(self, target: str, current: LeagueTables, code: str):
        row = current.league.loc[code]
        self.target = target
        self.code = code
        self.in_deficit = bool(row["in_deficit"])
        self.cap = current.methodology.override_cap_segment
        if target == "segment":
            self.unadjusted = int(row["unadjusted_segment"])
            self.value = self.unadjusted - 1
            self.words = (f"unadjusted segment {self.value} (now {self.unadjusted})"
                          if self.value >= 1 else "already in segment 1")
            if self.value < 1 and self.in_deficit:
                self.words += (f"; the financial override keeps it in segment {self.cap} while "
                               "in deficit")
        else:
            self.position = int(row["position"])
            self.value = self.position - 1
            self.words = (f"a position better than {self.position}" if self.value >= 1
                          else "already at position 1")

    @property
    def done(self) -> bool:
        return self.value < 1

    def reached(self, outcome: dict) -> bool:
        if self.target == "segment":
            return outcome["new_unadjusted_segment"] <= self.value
        return outcome["new_position"] <= self.value


def _outcome(inputs: Inputs, cuts: pd.DataFrame, code: str, metric: Metric,
             value: float) -> dict:
    """The organisation's result with its raw value of ``metric`` set to ``value``."""
    trial = inputs.copy()
    set_metric_value(trial, code, metric.value_id, value)
    return _result(fixed_cut_points_run(trial, cuts), code, metric)


def _result(res: LeagueTables, code: str, metric: Metric) -> dict:
    row = res.league.loc[code]
    score = res.metric_scores.at[code, metric.score_id]
    return {"new_score": None if pd.isna(score) else float(score),
            "new_average": float(row["average_score"]),
            "new_unadjusted_segment": int(row["unadjusted_segment"]),
            "new_segment": int(row["segment"]), "new_position": int(row["position"])}


def _candidates(inputs: Inputs, code: str, org_type: str, metric: Metric
                ) -> list[tuple[float, float, str]]:
    """(value to try, value to show, comparison), nearest to the current value first."""
    current = float(inputs.values.at[code, metric.value_id])
    higher = metric.higher_is_better
    better = (lambda v: v > current) if higher else (lambda v: v < current)
    found: dict[float, tuple[float, float, str]] = {}
    if metric.scoring == "ranked":
        peers = peer_mask(inputs, metric, org_type)
        peer_values = inputs.values.loc[peers & (inputs.values.index != code), metric.value_id]
        for v in peer_values.dropna().unique():
            if better(float(v)):
                found[float(v)] = (float(v), float(v), ">=" if higher else "<=")
    else:
        for band in metric.bands:
            t = float(band.threshold)
            if band.op in (">=", "<="):
                trial = t
            else:
                trial = float(np.nextafter(t, math.inf if band.op == ">" else -math.inf))
            if better(trial):
                found[trial] = (trial, t, band.op)
    return sorted(found.values(), key=lambda c: abs(c[0] - current))


def _one_metric(inputs: Inputs, current: LeagueTables, code: str, org_type: str,
                metric: Metric, goal: _Goal) -> dict:
    """The row of one metric: the nearest candidate value that reaches the goal."""
    current_value = float(inputs.values.at[code, metric.value_id])
    now = _result(current, code, metric)
    row = {"metric": metric.score_id, "name": metric.name, "value_id": metric.value_id,
           "domain": metric.domain, "direction": metric.direction,
           "current_value": current_value, "current_score": now["new_score"],
           "comparison": "", "target_value": np.nan, "change_needed": np.nan,
           **now, "reachable": False, "note": ""}
    row["score_supplied"] = bool(current.supplied_scores.at[code, metric.score_id])
    notes: list[str] = []
    candidates = _candidates(inputs, code, org_type, metric)
    if not candidates:
        best = "best value in its peer group" if metric.scoring == "ranked" else "best band"
        return {**row, "note": "; ".join([f"{NOT_REACHABLE}: already at the {best}", *notes])}
    outcomes: dict[int, dict] = {}

    def at(i: int) -> dict:
        if i not in outcomes:
            outcomes[i] = _outcome(inputs, current.cut_points, code, metric, candidates[i][0])
        return outcomes[i]

    last = len(candidates) - 1
    if not goal.reached(at(last)):
        best = at(last)
        words = (f"the best possible value, {candidates[last][2]} {_num(candidates[last][1])}, "
                 f"gives unadjusted segment {best['new_unadjusted_segment']} and position "
                 f"{best['new_position']}")
        return {**row, **best, "note": "; ".join([f"{NOT_REACHABLE}: {words}", *notes])}
    lo, hi = 0, last   # the answer is in [lo, hi]; at(hi) reaches the goal
    while lo < hi:
        mid = (lo + hi) // 2
        if goal.reached(at(mid)):
            hi = mid
        else:
            lo = mid + 1
    _trial, shown, op = candidates[lo]
    result = at(lo)
    if goal.target == "segment" and goal.in_deficit and result["new_segment"] > goal.value:
        notes.insert(0, f"the financial override would still cap the segment at {goal.cap} "
                        "while in deficit")
    return {**row, **result, "comparison": op, "target_value": shown,
            "change_needed": shown - current_value, "reachable": True,
            "note": "; ".join(notes)}


def _num(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")
