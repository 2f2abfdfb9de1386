"""Step 6 — league positions within each type, and the distance to the next segment.

Order by (adjusted segment, average metric score to 2 dp), ascending; equal pairs share a
position and the next one skips ("8, 8, 10": standard competition ranking). Organisations
without an average have no position and come last.
"""

from __future__ import annotations

from collections.abc import Sequence

import math

import numpy as np
import pandas as pd

__all__ = ["league_positions", "competition_positions", "distance_to_next_segment"]


def competition_positions(keys: np.ndarray) -> np.ndarray:
    """Row-wise competition ranks (1 = smallest key) of a (..., n) array of sort keys.

    Ranks one row or many at once (bootstrap replicates): each row is sorted on its own, and
    an equal key takes the place of the first of its ties in the sorted row ("1, 2, 2, 4").
    NaN keys get no rank and do not count against others (they sort last).
    """
    k = np.asarray(keys, dtype=float)
    flat = k.reshape(-1, k.shape[-1])
    n = flat.shape[1]
    order = np.argsort(flat, axis=1, kind="stable")
    ordered = np.take_along_axis(flat, order, axis=1)
    first_of_ties = np.zeros(flat.shape, dtype=np.intp)
    if n > 1:
        starts = ordered[:, 1:] != ordered[:, :-1]
        first_of_ties[:, 1:] = np.where(starts, np.arange(1, n), 0)
        np.maximum.accumulate(first_of_ties, axis=1, out=first_of_ties)
    ranks = np.empty(flat.shape)
    np.put_along_axis(ranks, order, first_of_ties + 1.0, axis=1)
    ranks[np.isnan(flat)] = np.nan
    return ranks.reshape(k.shape)


def league_positions(types: pd.Series, segment: np.ndarray, average_2dp: np.ndarray) -> np.ndarray:
    """Position within each type by (segment, 2-dp average), competition ranking."""
    key = np.asarray(segment, float) * 10.0 + np.asarray(average_2dp, float)
    key = np.round(key, 6)
    pos = np.full(len(types), np.nan)
    for t in pd.unique(types):
        m = (types == t).to_numpy()
        pos[m] = competition_positions(key[m])
    return pos


def distance_to_next_segment(average_2dp: float, segment: float, cuts: Sequence[float],
                             decimals: int = 2) -> float:
    """How far the 2-dp average must fall to reach the next better segment (NaN in segment 1)."""
    if math.isnan(average_2dp) or math.isnan(segment) or segment <= 1:
        return float("nan")
    target_cut = float(cuts[int(segment) - 2])
    step = 10.0 ** -decimals
    # the largest 2-dp average strictly below the cut-point
    target = math.ceil(target_cut / step - 1e-9) * step - step
    return round(max(average_2dp - target, 0.0), decimals)
