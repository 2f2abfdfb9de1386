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
``"no change"``                  the (adjusted) segment is the same — the position may still
                                 move within it, see ``position_change``
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

``within_likely_range`` flags movements that are not significant: True where the new average
lies inside the old likely range of the average score, or the new position inside the old
likely range of the position (NA where the old quarter has no likely ranges).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine import LeagueTables

__all__ = ["compare", "COMPARE_COLUMNS", "COMPARE_CSV_COLUMNS", "CAUSES"]

CAUSES = ("override applied", "override removed", "score change", "score change and override",
          "no change", "not segmented", "new", "left")
#: The ``compare --format csv`` columns, in order (the first eight are the contract).
COMPARE_CSV_COLUMNS = ("code", "name", "type", "position_old", "position_new", "segment_old",
                       "segment_new", "cause", "position_change", "final_segment_old",
                       "final_segment_new", "unadjusted_segment_old", "unadjusted_segment_new",
                       "average_old", "average_new", "in_deficit_old", "in_deficit_new",
                       "override_old", "override_new", "within_likely_range")
COMPARE_COLUMNS = COMPARE_CSV_COLUMNS

_FIELDS = {"position": "position", "segment": "segment", "final_segment": "final_segment",
           "unadjusted_segment": "unadjusted_segment", "average": "average_score",
           "in_deficit": "in_deficit", "override": "override_applied"}


def compare(old: LeagueTables, new: LeagueTables) -> pd.DataFrame:
    """One row per organisation in either quarter: old and new position and segment, cause.

    Columns :data:`COMPARE_COLUMNS`; indexed by code; ordered by type, then new position
    (organisations that left last), then old position. ``position_change`` = places gained
    (old − new, positive = up). Name and type are the new quarter's where present.
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
    out["within_likely_range"] = _within(a, b, codes)
    order = {t: i for i, t in enumerate(new.methodology.types)}
    out = out.assign(_t=out["type"].map(order).fillna(len(order)),
                     _n=out["position_new"].astype(float).fillna(np.inf),
                     _o=out["position_old"].astype(float).fillna(np.inf))
    out = out.sort_values(["_t", "_n", "_o", "code"], kind="stable")
    return out[list(COMPARE_COLUMNS)]


def _cause(row: pd.Series, in_old: bool, in_new: bool, cap: int) -> str:
    if not in_old:
        return "new"
    if not in_new:
        return "left"
    if pd.isna(row["segment_old"]) or pd.isna(row["segment_new"]):
        return "not segmented"
    if row["segment_old"] == row["segment_new"]:
        return "no change"
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
    return "score change"


def _within(a: pd.DataFrame, b: pd.DataFrame, codes: list[str]) -> pd.Series:
    """New average inside the old score range, or new position inside the old rank range."""
    def col(frame: pd.DataFrame, name: str) -> np.ndarray:
        return frame[name].reindex(codes).astype(float).to_numpy()

    avg_new, pos_new = col(b, "average_score"), col(b, "position")
    lo, hi = col(a, "score_low"), col(a, "score_high")
    rlo, rhi = col(a, "rank_low"), col(a, "rank_high")
    known_score = ~np.isnan(avg_new) & ~np.isnan(lo) & ~np.isnan(hi)
    known_rank = ~np.isnan(pos_new) & ~np.isnan(rlo) & ~np.isnan(rhi)
    with np.errstate(invalid="ignore"):
        in_score = known_score & (lo - 1e-9 <= avg_new) & (avg_new <= hi + 1e-9)
        in_rank = known_rank & (rlo <= pos_new) & (pos_new <= rhi)
    result = pd.array(in_score | in_rank, dtype="boolean")
    result[~(known_score | known_rank)] = pd.NA
    return pd.Series(result, index=codes)
