"""Step 3 — segments 1–4 from the average metric score.

Cut-points (c1, c2, c3): by default the 25th/50th/75th percentiles of the (2-dp) averages of
all scored organisations in a national pool (NHS trusts together, ICBs apart), with numpy's
"linear" quantile = Excel's QUARTILE.INC. Alternatives: per-type quartiles, or fixed
cut-points (the 2026/27 rule; or a single trust typing in the national ones).
Boundary rule: an average at or above a cut-point goes to the worse segment.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import pandas as pd

from ..errors import InputError
from .methodology import Methodology

__all__ = ["cut_points", "segment_of", "quartile_cut_points", "CUT_POINT_COLUMNS"]

CUT_POINT_COLUMNS = ["pool", "rule", "organisations", "c1", "c2", "c3"]


def quartile_cut_points(averages: np.ndarray, method: str = "linear") -> tuple[float, float, float]:
    vals = averages[~np.isnan(averages)]
    q = np.quantile(vals, [0.25, 0.5, 0.75], method=method)  # type: ignore[call-overload]
    return float(q[0]), float(q[1]), float(q[2])


def segment_of(averages: ArrayLike, cuts: ArrayLike) -> np.ndarray:
    """Segment 1..len(cuts)+1 for each average (NaN stays NaN); at a cut-point → worse."""
    a = np.asarray(averages, dtype=float)
    c = np.asarray(cuts, dtype=float) - 1e-9
    seg = np.ones(a.shape)
    for j in range(c.shape[-1]):  # one comparison per cut-point, no (..., 3) temporaries
        seg += a >= c[..., j]
    seg[np.isnan(a)] = np.nan
    return seg


def cut_points(summary: pd.DataFrame, value_column: str, meth: Methodology,
               what: str = "average metric score") -> pd.DataFrame:
    """One row per pool: which types, the rule, how many organisations, c1..c3."""
    rows = []
    if meth.cut_point_rule == "type-quartiles":
        pools: list[tuple[str, ...]] = [(t,) for t in meth.types]
    else:
        pools = list(meth.national_pools)
    for pool in pools:
        in_pool = summary["type"].isin(pool)
        if not in_pool.any():
            continue
        vals = summary.loc[in_pool, value_column].to_numpy(dtype=float)
        scored = int(np.count_nonzero(~np.isnan(vals)))
        if meth.cut_point_rule == "fixed":
            cuts = meth.fixed_cut_points
        else:
            if scored < 4:
                raise InputError(
                    f"only {scored} organisation(s) of type {' / '.join(pool)} have an "
                    f"{what}: quartile cut-points need at least 4. Add organisations, or give "
                    "fixed national cut-points (Settings sheet or --cutoffs c1,c2,c3)"
                )
            cuts = quartile_cut_points(vals, meth.quantile_method)
        rows.append({"pool": " + ".join(pool), "rule": meth.cut_point_rule,
                     "organisations": scored, "c1": cuts[0], "c2": cuts[1], "c3": cuts[2]})
    return pd.DataFrame(rows, columns=CUT_POINT_COLUMNS)


def pool_cuts_for(types: pd.Series, cuts: pd.DataFrame) -> np.ndarray:
    """An (n, 3) array: the cut-points that apply to each organisation."""
    out = np.full((len(types), 3), np.nan)
    for _, row in cuts.iterrows():
        members = row["pool"].split(" + ")
        out[types.isin(members).to_numpy()] = (row["c1"], row["c2"], row["c3"])
    return out
