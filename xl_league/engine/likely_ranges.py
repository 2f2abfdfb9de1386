"""Step 7 — likely ranges of the average score and of the league position.

NHS England publishes ``Likely_range_of_average_score`` and ``Likely_range_of_rank`` without
stating the method. Their half-widths match a 95 % percentile bootstrap of each organisation's
own metric scores [inferred]: resample its k scores with replacement, recompute the mean. For
the position, every replicate re-derives each organisation's segment from its replicate
average with the same cut-points, re-applies the financial override, and ranks within the type
by (segment, 2-dp average); the range is the 2.5th–97.5th percentile of the positions.

All replicates of a chunk are one array operation; seeded and reproducible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .averages import round_half_up
from .league import competition_positions
from .segments import segment_of

__all__ = ["likely_ranges"]

_CHUNK_CELLS = 4_000_000  # replicate × organisation × metric cells per chunk (bounds memory)


def _replicate_means(block: np.ndarray, counts: np.ndarray, reps: int,
                     rng: np.random.Generator) -> np.ndarray:
    """(reps, n) bootstrap means; block holds each organisation's scores left-packed."""
    n, kmax = block.shape
    u = rng.random((reps, n, kmax))
    idx = np.minimum((u * counts[None, :, None]).astype(np.int64), np.maximum(counts - 1, 0)[None, :, None])
    picked = np.take_along_axis(np.broadcast_to(block, (reps, n, kmax)), idx, axis=2)
    within = np.arange(kmax)[None, None, :] < counts[None, :, None]
    total = np.where(within, picked, 0.0).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / counts[None, :]


def likely_ranges(scores: pd.DataFrame, counted: list[str], types: pd.Series,
                  in_deficit: np.ndarray, org_cuts: np.ndarray, eligible: np.ndarray, *,
                  replicates: int, seed: int,
                  confidence: float = 0.95, cap_segment: int = 3, decimals: int = 2
                  ) -> pd.DataFrame:
    """Columns score_low, score_high, rank_low, rank_high (NaN where not ``eligible``).

    Random draws are dealt to organisations in code order, so the ranges do not depend on the
    order of the input rows.
    """
    order = np.argsort(scores.index.to_numpy(dtype=str), kind="stable")
    out = _likely_ranges(scores.iloc[order], counted, types.iloc[order],
                         np.asarray(in_deficit, bool)[order], np.asarray(org_cuts)[order],
                         np.asarray(eligible, bool)[order], replicates=replicates, seed=seed,
                         confidence=confidence, cap_segment=cap_segment, decimals=decimals)
    return out.loc[scores.index]


def _likely_ranges(scores: pd.DataFrame, counted: list[str], types: pd.Series,
                   in_deficit: np.ndarray, org_cuts: np.ndarray, eligible: np.ndarray, *,
                   replicates: int, seed: int, confidence: float, cap_segment: int,
                   decimals: int) -> pd.DataFrame:
    cols = ["score_low", "score_high", "rank_low", "rank_high"]
    n = len(scores)
    if replicates <= 0 or n == 0:
        return pd.DataFrame(np.nan, index=scores.index, columns=cols)
    raw = scores[counted].to_numpy(dtype=float)
    counts = np.count_nonzero(~np.isnan(raw), axis=1)
    kmax = max(int(counts.max()), 1)
    # left-pack each organisation's scores so the first k columns are its scores
    order = np.argsort(np.isnan(raw), axis=1, kind="stable")
    block = np.nan_to_num(np.take_along_axis(raw, order, axis=1)[:, :kmax])
    rng = np.random.default_rng(seed)
    type_codes = pd.factorize(types)[0]
    deficit = np.asarray(in_deficit, bool)

    chunk = max(1, _CHUNK_CELLS // max(1, n * kmax))
    means_parts, pos_parts = [], []
    for start in range(0, replicates, chunk):
        reps = min(chunk, replicates - start)
        means = _replicate_means(block, counts, reps, rng)
        means[:, ~eligible] = np.nan
        avg = round_half_up(means, decimals)
        seg = segment_of(avg, org_cuts)
        seg = np.where(deficit[None, :] & (seg < cap_segment), float(cap_segment), seg)
        key = np.round(seg * 10.0 + avg, 6)
        pos = np.full(key.shape, np.nan)
        for t in np.unique(type_codes):
            m = type_codes == t
            pos[:, m] = competition_positions(key[:, m])
        means_parts.append(means)
        pos_parts.append(pos)
    means = np.concatenate(means_parts)
    pos = np.concatenate(pos_parts)
    tail = (1.0 - confidence) / 2.0
    with np.errstate(invalid="ignore"), _quiet_all_nan():
        lo, hi = np.nanquantile(means, [tail, 1.0 - tail], axis=0)
        rlo, rhi = np.nanquantile(pos, [tail, 1.0 - tail], axis=0, method="inverted_cdf")
    out = pd.DataFrame({"score_low": round_half_up(lo, decimals),
                        "score_high": round_half_up(hi, decimals),
                        "rank_low": rlo, "rank_high": rhi}, index=scores.index)
    out.loc[~eligible | (counts == 0), cols] = np.nan
    return out


class _quiet_all_nan:
    """Silence numpy's 'All-NaN slice' warning for organisations with no scores."""

    def __enter__(self):
        import warnings
        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.filterwarnings("ignore", message="All-NaN slice", category=RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
