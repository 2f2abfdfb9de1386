"""Quarter on quarter: who moved, and was it the financial override or the scores?

NHS England reports segment movements split exactly this way. :func:`compare` gives one row
per organisation present in either quarter with its position and segment in both, and a
``cause`` from this vocabulary (:data:`CAUSES`):

``"override applied"``           the segment worsened only because the financial override
                                 started to apply (now in deficit, unadjusted segment 1–2)
``"override removed"``           the segment improved only because the override stopped
                                 applying (out of deficit, unadjusted segment 1–2)
``"score change"``               the segment moved because the unadjusted segment (from the
                                 average metric score) moved; the deficit flag played no part
``"score change and override"``  both played a part: the unadjusted segment moved and the
                                 deficit flag changed where the override mattered
``"cut-points moved"``           the segment moved though the average metric score (2 dp) did
                                 not: the national cut-points moved past it
``"score change within segment"``  same segment, a new position, and the organisation's own
                                 average moved
``"peers moved"``                same segment and the same average, yet a new position: only
                                 other organisations moved
``"no change"``                  the same segment and the same position
``"not segmented"``              in both quarters, but without a segment in one of them
                                 (no average metric score)
``"new"`` / ``"left"``           present in the new / old quarter only

Attribution is counterfactual. With ``seg(u, d)`` = the adjusted segment of unadjusted
segment ``u`` and deficit flag ``d`` (in deficit and ``u`` better than the cap 3 → 3, else
``u``): the score moved the segment if changing ``u`` alone changes ``seg`` (under the old or
the new flag); the override moved it if changing ``d`` alone changes ``seg`` (at the old or the
new ``u``) — that is, the deficit flag changed while the unadjusted segment was 1–2 in either
quarter. ``override_old`` / ``override_new`` say whether the override changed the segment in
that quarter (in deficit and unadjusted segment 1–2).

``significant`` says whether the change in average metric score is significant, by the paired
bootstrap of :mod:`xl_league.engine.significance` [inferred] (NA where the organisation has no
average in one of the quarters); ``change_low`` / ``change_high`` are its 95 % interval of the
change (new − old). The result's ``attrs["warnings"]`` lists what the reader should know (e.g.
two quarters with no organisation in common).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine import LeagueTables
from ..engine.significance import REPLICATES, change_significance

__all__ = ["compare", "COMPARE_COLUMNS", "COMPARE_CSV_COLUMNS", "CAUSES"]

CAUSES = ("override applied", "override removed", "score change", "score change and override",
          "cut-points moved", "score change within segment", "peers moved", "no change",
          "not segmented", "new", "left")
#: The ``compare --format csv`` columns, in order (the first eight are the contract).
COMPARE_CSV_COLUMNS = ("code", "name", "type", "position_old", "position_new", "segment_old",
                       "segment_new", "cause", "position_change", "final_segment_old",
                       "final_segment_new", "unadjusted_segment_old", "unadjusted_segment_new",
                       "average_old", "average_new", "in_deficit_old", "in_deficit_new",
                       "override_old", "override_new", "change_low", "change_high",
                       "significant")
COMPARE_COLUMNS = COMPARE_CSV_COLUMNS

_FIELDS = {"position": "position", "segment": "segment", "final_segment": "final_segment",
           "unadjusted_segment": "unadjusted_segment", "average": "average_score",
           "in_deficit": "in_deficit", "override": "override_applied"}


def compare(old: LeagueTables, new: LeagueTables, *, replicates: int = REPLICATES,
            seed: int | None = None) -> pd.DataFrame:
    """One row per organisation in either quarter: old and new position and segment, cause.

    Columns :data:`COMPARE_COLUMNS`; indexed by code; ordered by type, then new position
    (organisations that left last), then old position. ``position_change`` = places gained
    (old − new, positive = up). Name and type are the new quarter's where present.
    ``replicates`` / ``seed``: of the significance test (seed: the new quarter's bootstrap
    seed; confidence: its likely-range confidence, 95 %).
    """
    a, b = old.league, new.league
    codes = list(b.index) + [c for c in a.index if c not in b.index]
    out = pd.DataFrame(index=pd.Index(codes, name=None))
    out["code"] = codes
    out["name"] = b["name"].reindex(codes).fillna(a["name"].reindex(codes))
    out["type"] = b["type"].reindex(codes).fillna(a["type"].reindex(codes))
    for short, col in _FIELDS.items():
        out[f"{short}_old"] = a[col].reindex(codes)
        out[f"{short}_new"] = b[col].reindex(codes)
    for col in ("in_deficit_old", "in_deficit_new", "override_old", "override_new"):
        out[col] = out[col].astype("boolean")
    out["position_change"] = (out["position_old"] - out["position_new"]).astype("Int64")
    cap = new.methodology.override_cap_segment
    out["cause"] = [_cause(r, c in a.index, c in b.index, cap) for c, r in out.iterrows()]
    test = significance(old, new, replicates=replicates, seed=seed).reindex(codes)
    out["change_low"] = test["change_low"]
    out["change_high"] = test["change_high"]
    out["significant"] = test["significant"].astype("boolean")
    order = {t: i for i, t in enumerate(new.methodology.types)}
    out = out.assign(_t=out["type"].map(order).fillna(len(order)),
                     _n=out["position_new"].astype(float).fillna(np.inf),
                     _o=out["position_old"].astype(float).fillna(np.inf))
    out = out.sort_values(["_t", "_n", "_o", "code"], kind="stable")
    out = out[list(COMPARE_COLUMNS)]
    out.attrs["warnings"] = _warnings(a, b)
    return out


def significance(old: LeagueTables, new: LeagueTables, *, replicates: int = REPLICATES,
                 seed: int | None = None) -> pd.DataFrame:
    """:func:`~xl_league.engine.significance.change_significance` of two quarters' results.

    The metrics tested are those counted in the average in either quarter; organisations
    without an average in a quarter get NA. Indexed by the codes in both quarters.
    """
    counted = list(dict.fromkeys(
        [m.score_id for m in old.catalogue if m.in_average] +
        [m.score_id for m in new.catalogue if m.in_average]))
    both = old.league.index.intersection(new.league.index, sort=False)
    averaged = (old.league["average_score"].reindex(both).notna()
                & new.league["average_score"].reindex(both).notna())
    codes = both[averaged.to_numpy()]

    def scores(res: LeagueTables) -> pd.DataFrame:
        return res.metric_scores.reindex(index=codes, columns=counted)

    meth = new.methodology
    test = change_significance(scores(old), scores(new), replicates=replicates,
                               seed=meth.bootstrap_seed if seed is None else seed,
                               confidence=meth.bootstrap_confidence)
    return test.reindex(both)


def _warnings(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    if len(a) and len(b) and not a.index.isin(b.index).any():
        return ["the two quarters have no organisation in common: every organisation is "
                "'new' or 'left' (are these books of the same organisations, e.g. the same "
                "trust types?)"]
    return []


def _cause(row: pd.Series, in_old: bool, in_new: bool, cap: int) -> str:
    if not in_old:
        return "new"
    if not in_new:
        return "left"
    if pd.isna(row["segment_old"]) or pd.isna(row["segment_new"]):
        return "not segmented"
    same_average = abs(float(row["average_old"]) - float(row["average_new"])) < 1e-9
    if row["segment_old"] == row["segment_new"]:
        if row["position_old"] == row["position_new"]:
            return "no change"
        return "peers moved" if same_average else "score change within segment"
    u_old, u_new = int(row["unadjusted_segment_old"]), int(row["unadjusted_segment_new"])
    d_old, d_new = bool(row["in_deficit_old"]), bool(row["in_deficit_new"])

    def seg(u: int, d: bool) -> int:
        return cap if d and u < cap else u

    score_moved = (seg(u_new, d_old) != seg(u_old, d_old)
                   or seg(u_new, d_new) != seg(u_old, d_new))
    override_moved = (seg(u_old, d_new) != seg(u_old, d_old)
                      or seg(u_new, d_new) != seg(u_new, d_old))
    if score_moved and override_moved:
        return "score change and override"
    if override_moved:
        return "override applied" if d_new else "override removed"
    return "cut-points moved" if same_average else "score change"
