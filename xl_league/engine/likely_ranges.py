"""Step 7 — likely ranges of the average score and of the league position.

NHS England publishes ``Likely_range_of_average_score`` and ``Likely_range_of_rank`` without
stating the method. Their half-widths match a 95 % percentile bootstrap of each organisation's
own metric scores [inferred]: resample its k scores with replacement, recompute the mean. For
the position, every replicate re-derives each organisation's segment from its replicate
average with the same cut-points, re-applies the financial override, and ranks within the type
by (segment, 2-dp average); the range is the 2.5th–97.5th percentile of the positions.

Memory does not grow with replicates × organisations: replicates are made a batch at a time
and each organisation keeps only the few smallest and largest of its replicate averages and
positions that the percentiles need (about 2.5 % of each tail). The percentiles are then
taken by ``np.quantile`` itself, so the ranges are exactly those of all replicates. A replicate's
positions are counted on the grid of keys — (segment, 2-dp average) takes a few thousand
values — instead of sorted. Seeded and reproducible; the random stream does not depend on how
the work is batched.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd

from .averages import round_half_up
from .league import competition_positions
from .segments import segment_of

__all__ = ["likely_ranges"]

#: Replicate × organisation × metric cells of random draws at a time: bounds memory (8 MB per
#: array), and arrays this size stay in cache (faster than 4 M cells on a 2-core Xeon: 0.50 s
#: vs 0.58 s for 10,000 resamples of 205 trusts).
_CHUNK_CELLS = 1_000_000
#: Replicate × organisation cells of averages and positions ranked and reduced at a time.
_BATCH_CELLS = 2_000_000
#: Replicate × organisation cells of the stand-ins the percentiles are taken from, at a time.
_STAND_IN_CELLS = 250_000


def _means_of_draws(block: np.ndarray, counts: np.ndarray, u: np.ndarray,
                    out: np.ndarray) -> None:
    """(reps, n) bootstrap means of the draws ``u`` (reps, n, kmax), into ``out``; ``block``
    holds each organisation's scores left-packed.

    Draw ``j`` of organisation ``i`` picks score ``floor(u · k_i)`` of its ``k_i`` scores;
    draws beyond ``k_i`` are made (so the random stream does not depend on the data) and
    ignored. ``u`` is overwritten. In place and through flat indices: no (reps, n, kmax)
    temporaries beyond the draws, their indices and the picked scores.
    """
    n, kmax = block.shape
    u *= counts[None, :, None]
    idx = u.astype(np.intp)
    del u
    np.minimum(idx, np.maximum(counts - 1, 0)[None, :, None], out=idx)
    idx += (np.arange(n, dtype=np.intp) * kmax)[None, :, None]
    picked = np.take(np.ascontiguousarray(block, dtype=float).ravel(), idx)
    picked *= (np.arange(kmax)[None, :] < counts[:, None])[None, :, :]
    total = picked.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(total, counts[None, :], out=out)


def _workers(replicates: int, draw_reps: int) -> int:
    """Threads to work out the means on: one per core this process may use (up to 4); none
    when the draws come in one chunk or there is one core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)
    return 0 if replicates <= draw_reps or cores < 2 else min(4, cores)


def _batch_means(block: np.ndarray, counts: np.ndarray, reps: int, draw_reps: int,
                 rng: np.random.Generator, pool: ThreadPoolExecutor | None,
                 workers: int = 0) -> np.ndarray:
    """(reps, n) bootstrap means, drawn ``draw_reps`` replicates at a time.

    The draws are made here, in stream order; with a ``pool`` each chunk's means are worked
    out on another core while the next chunk is drawn (numpy lets go of the interpreter in
    both), at most one chunk per worker ahead, so memory stays a few chunks. Whoever works
    them out, the means are the same, bit for bit.
    """
    n, kmax = block.shape
    means = np.empty((reps, n))
    pending: deque[Future[None]] = deque()
    for at in range(0, reps, draw_reps):
        size = min(draw_reps, reps - at)
        u = rng.random((size, n, kmax))
        if pool is None:
            _means_of_draws(block, counts, u, means[at:at + size])
            continue
        while len(pending) > workers:
            pending.popleft().result()
        pending.append(pool.submit(_means_of_draws, block, counts, u, means[at:at + size]))
    for job in pending:
        job.result()
    return means


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
    out = pd.DataFrame(np.nan, index=scores.index, columns=cols)
    n = len(scores)
    if replicates <= 0 or n == 0:
        return out
    raw = scores[counted].to_numpy(dtype=float)
    counts = np.count_nonzero(~np.isnan(raw), axis=1)
    kmax = max(int(counts.max()), 1)
    # left-pack each organisation's scores so the first k columns are its scores
    order = np.argsort(np.isnan(raw), axis=1, kind="stable")
    block = np.nan_to_num(np.take_along_axis(raw, order, axis=1)[:, :kmax])
    rng = np.random.default_rng(seed)
    # only organisations with an average get replicates ranked and kept; the others' keys
    # would be NaN, which rank nobody
    ranked = np.flatnonzero(np.asarray(eligible, bool) & (counts > 0))
    type_codes = pd.factorize(types)[0][ranked]
    deficit = np.asarray(in_deficit, bool)[ranked]
    cuts = np.asarray(org_cuts)[ranked]
    draw_reps = max(1, _CHUNK_CELLS // max(1, n * kmax))
    batch_reps = max(draw_reps, _BATCH_CELLS // max(1, n))
    tail = (1.0 - confidence) / 2.0
    # all replicates in one batch: keep them all, nothing to gain from trimming the tails
    keep = replicates if replicates <= batch_reps else _kept_per_tail(replicates, tail)
    averages = _Extremes(keep, len(ranked), replicates)
    positions = _Extremes(keep, len(ranked), replicates)
    workers = _workers(replicates, draw_reps)
    with ThreadPoolExecutor(workers) if workers else contextlib.nullcontext() as pool:
        for start in range(0, replicates, batch_reps):
            reps = min(batch_reps, replicates - start)
            means = _batch_means(block, counts, reps, draw_reps, rng, pool, workers)[:, ranked]
            avg = round_half_up(means, decimals)
            seg = segment_of(avg, cuts)
            seg = np.where(deficit[None, :] & (seg < cap_segment), float(cap_segment), seg)
            key = np.round(seg * 10.0 + avg, 6)
            del seg
            averages.add(means)
            del means
            positions.add(_positions_within_types(key, type_codes, decimals))

    lo, hi = averages.quantiles([tail, 1.0 - tail], method="linear")
    rlo, rhi = positions.quantiles([tail, 1.0 - tail], method="inverted_cdf")
    out.iloc[ranked] = np.column_stack([round_half_up(lo, decimals),
                                        round_half_up(hi, decimals), rlo, rhi])
    return out


def _positions_within_types(key: np.ndarray, type_codes: np.ndarray,
                            decimals: int) -> np.ndarray:
    """Competition positions of each replicate (row) within each type, as floats."""
    pos = np.empty(key.shape)
    for t in np.unique(type_codes):
        m = type_codes == t
        pos[:, m] = _positions(key[:, m], decimals)
    return pos


def _positions(key: np.ndarray, decimals: int) -> np.ndarray:
    """:func:`competition_positions` of each row, counted on the key grid where it pays.

    A key is ``segment · 10 + average`` rounded to 6 dp, with the average on a
    ``10 ** -decimals`` grid: from 11.00 to 44.00 it takes 3,301 values. When a row has more
    keys than that (a large type), a position is one plus the number of keys below it, read
    from the row's cumulative histogram of keys — no sort; otherwise the rows are sorted.
    """
    if decimals <= 6 and key.size:
        steps = np.rint(key * 10.0 ** decimals)
        low, high = steps.min(), steps.max()
        if np.isfinite(low) and np.isfinite(high) and high - low < key.shape[1]:
            steps -= low
            return _counted_positions(steps)
    return competition_positions(key)


def _counted_positions(steps: np.ndarray) -> np.ndarray:
    """Row-wise competition positions of whole numbers ``0 <= steps < row length``:
    1 + how many of the row are smaller. ``steps`` (floats) is overwritten."""
    reps, width = steps.shape
    bins = steps.astype(np.intp)
    bins += (np.arange(reps, dtype=np.intp) * width)[:, None]
    counts = np.bincount(bins.ravel(), minlength=reps * width).reshape(reps, width)
    below = np.cumsum(counts, axis=1, dtype=float)
    below -= counts
    np.take(below.ravel(), bins, out=steps)  # the positions, in the steps' memory
    steps += 1.0
    return steps


def _kept_per_tail(replicates: int, tail: float) -> int:
    """How many of each tail's values the percentiles need (all when the tails meet)."""
    keep = int(np.ceil(tail * replicates)) + 2
    return replicates if 2 * keep >= replicates else keep


class _Extremes:
    """Each column's ``keep`` smallest and ``keep`` largest values, fed a batch of rows at a
    time; :meth:`quantiles` gives what ``np.quantile`` gives on all the rows, for quantiles
    that fall in those tails."""

    def __init__(self, keep: int, columns: int, total: int) -> None:
        self.keep = keep
        self.total = total
        self.low = np.empty((columns, 0))
        self.high = np.empty((columns, 0))

    def add(self, rows: np.ndarray) -> None:
        self.low = self._kept(self.low, rows, smallest=True)
        if self.keep < self.total:  # the tails are apart: keep the largest too
            self.high = self._kept(self.high, rows, smallest=False)

    def _kept(self, kept: np.ndarray, rows: np.ndarray, smallest: bool) -> np.ndarray:
        values = np.concatenate([kept, rows.T], axis=1)
        size = values.shape[1]
        if size <= self.keep:
            return values
        values.partition(self.keep - 1 if smallest else size - self.keep, axis=1)
        # a copy: a view would hold on to every value of the batch
        return (values[:, :self.keep] if smallest else values[:, size - self.keep:]).copy()

    def quantiles(self, q: list[float], method: str) -> np.ndarray:
        """(len(q), columns): ``np.quantile`` over all ``total`` rows, column by column.

        Built from a stand-in of ``total`` values per column: the kept smallest, the kept
        largest, and the largest kept small value in between — the same order statistics in
        both tails, so ``np.quantile`` returns the same numbers.
        """
        columns, total = self.low.shape[0], self.total
        out = np.empty((len(q), columns))
        if columns == 0:
            return out
        step = max(1, _STAND_IN_CELLS // total)
        for at in range(0, columns, step):
            low = self.low[at:at + step]
            if self.keep >= total:
                stand_in = low
            else:
                stand_in = np.empty((low.shape[0], total))
                stand_in[:, :self.keep] = low
                stand_in[:, self.keep:] = low.max(axis=1, keepdims=True)
                stand_in[:, total - self.keep:] = self.high[at:at + step]
            out[:, at:at + step] = np.quantile(stand_in, q, axis=1,
                                               method=method)  # type: ignore[call-overload]
        return out
