"""Step 6 — league positions within each type, and the distance to the next segment.

Order by (adjusted segment, average metric score to 2 dp), ascending; equal pairs share a
position and the next one skips ("8, 8, 10": standard competition ranking). Organisations
without an average have no position and come last.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["league_positions", "competition_positions", "distance_to_next_segment"]


def competition_positions(keys: np.ndarray) -> np.ndarray:
    """Row-wise competition ranks (1 = smallest key) of a (..., n) array of sort keys.

    Ranks one row or many at once (bootstrap replicates): each row is shifted into its own
    band of the number line so that one sort and one searchsorted rank every row. NaN keys
    get no rank and do not count against others.
    """
    k = np.asarray(keys, dtype=float)
    flat = k.reshape(-1, k.shape[-1])
    missing = np.isnan(flat)
    big = (np.abs(flat[~missing]).max() if (~missing).any() else 0.0) + 1.0
    shifted = np.where(missing, big, flat) + (np.arange(flat.shape[0]) * 3.0 * big)[:, None]
    ordered = np.sort(shifted, axis=None)
    pos = np.searchsorted(ordered, shifted.ravel(), side="left").reshape(flat.shape)
    ranks = (pos - np.arange(flat.shape[0])[:, None] * flat.shape[1] + 1).astype(float)
    ranks[missing] = np.nan
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


def distance_to_next_segment(average_2dp: float, segment: float, cuts, decimals: int = 2) -> float:
    """How far the 2-dp average must fall to reach the next better segment (NaN in segment 1)."""
    if math.isnan(average_2dp) or math.isnan(segment) or segment <= 1:
        return float("nan")
    target_cut = float(cuts[int(segment) - 2])
    step = 10.0 ** -decimals
    # the largest 2-dp average strictly below the cut-point
    target = math.ceil(target_cut / step - 1e-9) * step - step
    return round(max(average_2dp - target, 0.0), decimals)
