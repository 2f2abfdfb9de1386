"""Steps 4 and 5 — the financial override and segment 5.

Step 4: "any trust in deficit can be no higher than segment 3": in deficit and in segment 1 or
2 → 3; segments 3 and 4 are unchanged; never moves a trust to 4. The deficit flag is an input;
where it is blank, the methodology's fallback derives it from the finance metrics (planned
deficit or adverse year-to-date variance) and the output says so.

Step 5: an organisation in the Recovery Support Programme is shown in segment 5 (published:
"segment 4 trusts in intensive support"; NHS England's 2025/26 files also show RSP trusts in
adjusted segment 3 as 5, so which segments qualify is a setting). Its league position still
comes from its adjusted segment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .methodology import Methodology

__all__ = ["resolve_deficit", "apply_financial_override", "final_segment"]


def resolve_deficit(flags: pd.Series, values: pd.DataFrame, scores: pd.DataFrame,
                    meth: Methodology) -> tuple[np.ndarray, np.ndarray]:
    """(in_deficit, derived) per organisation. Blank flags use the fallback, when enabled."""
    given = flags.astype("boolean")
    in_deficit = given.fillna(False).to_numpy(dtype=bool)
    blank = given.isna().to_numpy()
    derived = np.zeros(len(flags), dtype=bool)
    if not meth.deficit_fallback or not blank.any():
        return in_deficit, derived

    def evidence(value_id: str, below: float) -> tuple[np.ndarray, np.ndarray]:
        if value_id in values.columns:
            v = values[value_id].to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                return v < below, ~np.isnan(v)
        score_id = "OF1" + value_id[3:]
        if score_id in scores.columns:  # fall back on the banded score: 1 = no shortfall
            s = scores[score_id].to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                return s > 1, ~np.isnan(s)
        return np.zeros(len(flags), bool), np.zeros(len(flags), bool)

    plan_bad, plan_known = evidence(meth.deficit_plan_metric, meth.deficit_plan_below)
    var_bad, var_known = evidence(meth.deficit_variance_metric, meth.deficit_variance_below)
    can_derive = blank & (plan_known | var_known)
    in_deficit[can_derive] = (plan_bad | var_bad)[can_derive]
    derived[can_derive] = True
    return in_deficit, derived


def apply_financial_override(unadjusted: np.ndarray, in_deficit: np.ndarray,
                             cap: int = 3) -> np.ndarray:
    """Adjusted segment: in deficit ⇒ no better than ``cap``."""
    seg = np.asarray(unadjusted, dtype=float)
    capped = np.where(np.asarray(in_deficit, bool) & (seg < cap), float(cap), seg)
    return np.where(np.isnan(seg), np.nan, capped)


def final_segment(segment: np.ndarray, in_rsp: np.ndarray, meth: Methodology) -> np.ndarray:
    """Segment 5 for organisations in the Recovery Support Programme (qualifying segments)."""
    seg = np.asarray(segment, dtype=float)
    qualifies = np.isin(seg, np.asarray(meth.rsp_applies_to_segments, dtype=float))
    return np.where(np.asarray(in_rsp, bool) & qualifies, float(meth.rsp_segment), seg)
