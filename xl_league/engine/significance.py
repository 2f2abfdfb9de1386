"""Is a quarter-on-quarter change in average metric score significant? [inferred]

NHS England says how many changes were significant (Q2 2025/26, all 205 trusts: of 38 segment
changes, 6 came from the financial override, 8 from significant changes in average metric
score and 24 "do not meet the current threshold to be considered significant"; 9 more trusts
had a significant change without a segment change) but not which test it uses. This module's
test is **[inferred]**:

*A paired bootstrap of the change in the organisation's average metric score, resampling its
metrics.* The unit is the metric, as in the likely ranges (:mod:`.likely_ranges`): each
replicate draws, with replacement, as many metrics as the organisation has scored in either
quarter, from those metrics, and takes the mean of the drawn metrics' new scores minus the
mean of the same metrics' old scores (a metric scored in one quarter only counts in that
quarter's mean, as it does in the average). The change is **significant when the central
95 % percentile interval of the replicate changes excludes 0**. No change at all (every metric
the same) is an interval of exactly 0: not significant. An organisation without an average in
either quarter has no answer (NA).

Why paired, and why 95 %. Measured on NHS England's own Q1 → Q2 2025/26 file (the 61 mental
health and community trusts, their published scores and segments, published cut-points; 2,000
replicates, seed 2025), significant changes among: the 11 segment changes not caused by the
override / the 3 caused (wholly or partly) by the override / the 47 trusts whose segment did
not change::

    paired, metrics resampled, 80 %          8 of 11    2 of 3    10 of 47
    paired, metrics resampled, 90 %          5 of 11    2 of 3     5 of 47
    paired, metrics resampled, 95 %          3 of 11    2 of 3     2 of 47   <- this test
    paired, metrics resampled, 99 %          0 of 11    1 of 3     1 of 47
    two independent samples, 80 % to 99 %    0 of 11   0-1 of 3    0 of 47
    new average outside old likely range     1 of 11        -      1 of 47
    NHS England, all 205 trusts              8 of 32        -      9 of 167

NHS England's proportions are 25 % of the segment changes not caused by the override, and 5.4 %
of the trusts whose segment did not change; the paired test at 95 % gives 27 % and 4.3 % (2.75
and 2.5 trusts expected at NHS England's rates: as close as whole trusts allow); 90 % finds
twice NHS England's rate, 99 % almost nothing. A trust at the edge of the interval can flip
with the random draws: with other seeds the same test gives 2 of 11 and 3 of 47, and with
20,000 replicates 2 of 11 and 2 of 47. Resampling each quarter independently, as the likely
ranges of one quarter do, ignores that a trust's metric scores move together from one quarter
to the next: its interval is as wide as the two likely ranges combined (about ±0.8 with the 9
metrics a non-acute trust has) and finds nothing significant, against NHS England's 17 of 199.
95 % is also the likely ranges' level, so one setting (``[likely_ranges] confidence``) serves
both. The calibration uses no trust codes; it is re-measured by ``tests/analysis``. Caveat: NHS
England's figures cover all 205 trusts, 134 of them acute with more metrics each (16 in the
catalogue, against 12 for mental health and community trusts: narrower intervals), so
proportions, not counts, are compared, on the one type whose data is at hand.

Seeded and vectorised: every replicate of every organisation is one array operation (chunked
to bound memory); random draws are dealt to organisations in code order, so the answer does
not depend on the order of the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["change_significance", "SIGNIFICANCE_COLUMNS", "REPLICATES"]

#: Columns of :func:`change_significance`.
SIGNIFICANCE_COLUMNS = ["change", "change_low", "change_high", "significant"]
#: Replicates used by compare and history (independent of the workbook's likely-range setting,
#: which may be 0 to switch the ranges off; 2,000 keeps the answer stable to the seed for all
#: but changes within a few thousandths of the interval's edge).
REPLICATES = 2000

_CHUNK_CELLS = 1_000_000


def change_significance(old_scores: pd.DataFrame, new_scores: pd.DataFrame, *,
                        replicates: int = REPLICATES, seed: int = 2025,
                        confidence: float = 0.95) -> pd.DataFrame:
    """The change in each organisation's average metric score, its interval, significant?

    ``old_scores`` / ``new_scores``: the metric scores that count in the average (one column
    per score ID, NaN = no score), indexed by organisation code; only the codes in both are
    tested. Returns one row per such code (in ``new_scores`` order), columns
    :data:`SIGNIFICANCE_COLUMNS`: ``change`` = new average − old average (unrounded),
    ``change_low`` / ``change_high`` = the ``confidence`` percentile interval of the paired
    bootstrap, ``significant`` (boolean; NA where a quarter has no score).

    >>> old = pd.DataFrame({"OF1001": [1.0, 2.0], "OF1002": [2.0, 3.0], "OF1003": [1.5, 4.0]},
    ...                    index=["R1", "R2"])
    >>> new = old.copy()
    >>> new.loc["R1"] += 0.5          # every metric of R1 half a point worse; R2 unchanged
    >>> change_significance(old, new)[["change", "significant"]]
        change  significant
    R1     0.5         True
    R2     0.0        False
    """
    if replicates < 1:
        raise ValueError("the significance test needs at least one replicate")
    codes = new_scores.index[new_scores.index.isin(old_scores.index)]
    columns = list(dict.fromkeys([*old_scores.columns, *new_scores.columns]))
    old = old_scores.reindex(index=codes, columns=columns).to_numpy(dtype=float)
    new = new_scores.reindex(index=codes, columns=columns).to_numpy(dtype=float)
    order = np.argsort(codes.to_numpy(dtype=str), kind="stable")  # draws dealt in code order
    old, new = old[order], new[order]

    everything = np.ones(old.shape, dtype=bool)
    change = _mean(new, everything) - _mean(old, everything)
    low, high = _paired_interval(old, new, replicates, seed, confidence)
    known = ~np.isnan(change)
    significant = pd.array(known & ((low > 1e-12) | (high < -1e-12)), dtype="boolean")
    significant[~known] = pd.NA
    out = pd.DataFrame({"change": change, "change_low": low, "change_high": high,
                        "significant": significant}, index=codes[order])
    return out.loc[codes]


def _paired_interval(old: np.ndarray, new: np.ndarray, replicates: int, seed: int,
                     confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of new mean − old mean over metrics drawn in pairs."""
    n = old.shape[0]
    if n == 0:
        return np.empty(0), np.empty(0)
    scored = ~np.isnan(old) | ~np.isnan(new)
    counts = scored.sum(axis=1)
    kmax = max(int(counts.max()), 1)
    # left-pack each organisation's metrics (scored in either quarter) into the first k columns
    pack = np.argsort(~scored, axis=1, kind="stable")[:, :kmax]
    old_block = np.take_along_axis(old, pack, axis=1)
    new_block = np.take_along_axis(new, pack, axis=1)
    valid = np.arange(kmax)[None, :] < counts[:, None]
    old_block[~valid] = np.nan
    new_block[~valid] = np.nan
    flat_old, flat_new = old_block.ravel(), new_block.ravel()
    offsets = (np.arange(n, dtype=np.intp) * kmax)[None, :, None]
    top = np.maximum(counts - 1, 0)[None, :, None]
    in_sample = valid[None, :, :]

    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // (n * kmax))
    parts = []
    for start in range(0, replicates, chunk):
        reps = min(chunk, replicates - start)
        idx = (rng.random((reps, n, kmax)) * counts[None, :, None]).astype(np.intp)
        np.minimum(idx, top, out=idx)
        idx += offsets
        parts.append(_mean(np.take(flat_new, idx), in_sample)
                     - _mean(np.take(flat_old, idx), in_sample))
    diffs = np.concatenate(parts)
    tail = (1.0 - confidence) / 2.0
    low, high = _column_quantiles(diffs, [tail, 1.0 - tail])
    return low, high


def _column_quantiles(x: np.ndarray, q: list[float]) -> np.ndarray:
    """Quantiles of each column; NaN for a column with no values (no common metric)."""
    out = np.full((len(q), x.shape[1]), np.nan)
    full = ~np.isnan(x).any(axis=0)
    if full.any():
        out[:, full] = np.quantile(x[:, full], q, axis=0)
    for col in np.flatnonzero(~full & ~np.isnan(x).all(axis=0)):
        out[:, col] = np.nanquantile(x[:, col], q)
    return out


def _mean(picked: np.ndarray, in_sample: np.ndarray) -> np.ndarray:
    """Mean over the last axis of the drawn scores that exist (NaN where none does)."""
    present = in_sample & ~np.isnan(picked)
    total = np.where(present, picked, 0.0).sum(axis=-1)
    count = present.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
