"""Likely ranges (step 7) in bounded memory give exactly the ranges of the original method.

The original implementation — every replicate's averages and positions kept in memory, the
positions sorted — is kept here, verbatim in what it computes, as the reference. The current
one (per-organisation tails, positions counted on the key grid) must return the same
score_low/high and rank_low/high, bit for bit, for the same seed.
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest

from xl_league.engine import likely_ranges as lr
from xl_league.engine.averages import round_half_up
from xl_league.engine.league import competition_positions
from xl_league.engine.segments import segment_of

COLUMNS = ["score_low", "score_high", "rank_low", "rank_high"]


# ------------------------------------------------------------------ the reference (original)

def _reference_means(block, counts, reps, rng):
    n, kmax = block.shape
    u = rng.random((reps, n, kmax))
    idx = np.minimum((u * counts[None, :, None]).astype(np.intp),
                     np.maximum(counts - 1, 0)[None, :, None])
    idx += (np.arange(n, dtype=np.intp) * kmax)[None, :, None]
    picked = np.take(block.ravel(), idx)
    picked *= (np.arange(kmax)[None, :] < counts[:, None])[None, :, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return picked.sum(axis=2) / counts[None, :]


def reference_likely_ranges(scores, counted, types, in_deficit, org_cuts, eligible, *,
                            replicates, seed, confidence=0.95, cap_segment=3, decimals=2):
    """The original algorithm: all replicates in memory, positions by sorting."""
    order = np.argsort(scores.index.to_numpy(dtype=str), kind="stable")
    scores, types = scores.iloc[order], types.iloc[order]
    in_deficit = np.asarray(in_deficit, bool)[order]
    org_cuts = np.asarray(org_cuts)[order]
    eligible = np.asarray(eligible, bool)[order]
    n = len(scores)
    if replicates <= 0 or n == 0:
        out = pd.DataFrame(np.nan, index=scores.index, columns=COLUMNS)
    else:
        raw = scores[counted].to_numpy(dtype=float)
        counts = np.count_nonzero(~np.isnan(raw), axis=1)
        kmax = max(int(counts.max()), 1)
        packed = np.argsort(np.isnan(raw), axis=1, kind="stable")
        block = np.nan_to_num(np.take_along_axis(raw, packed, axis=1)[:, :kmax])
        rng = np.random.default_rng(seed)
        type_codes = pd.factorize(types)[0]
        chunk = max(1, 1_000_000 // max(1, n * kmax))
        means_parts, pos_parts = [], []
        for start in range(0, replicates, chunk):
            means = _reference_means(block, counts, min(chunk, replicates - start), rng)
            means[:, ~eligible] = np.nan
            avg = round_half_up(means, decimals)
            seg = segment_of(avg, org_cuts)
            seg = np.where(in_deficit[None, :] & (seg < cap_segment), float(cap_segment), seg)
            key = np.round(seg * 10.0 + avg, 6)
            pos = np.full(key.shape, np.nan)
            for t in np.unique(type_codes):
                m = type_codes == t
                pos[:, m] = competition_positions(key[:, m])
            means_parts.append(means)
            pos_parts.append(pos)
        means, pos = np.concatenate(means_parts), np.concatenate(pos_parts)
        tail = (1.0 - confidence) / 2.0
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="All-NaN slice", category=RuntimeWarning)
            lo, hi = np.nanquantile(means, [tail, 1 - tail], axis=0)
            rlo, rhi = np.nanquantile(pos, [tail, 1 - tail], axis=0, method="inverted_cdf")
        out = pd.DataFrame({"score_low": round_half_up(lo, decimals),
                            "score_high": round_half_up(hi, decimals),
                            "rank_low": rlo, "rank_high": rhi}, index=scores.index)
        out.loc[~eligible | (counts == 0), COLUMNS] = np.nan
    return out.loc[scores.index[np.argsort(order)]]


# ------------------------------------------------------------------ inputs

def arguments(n=60, k=9, seed=3, types=("acute", "non-acute", "ambulance"), continuous=True):
    """Random likely_ranges arguments: scores 1-4 (continuous or whole), missing scores,
    organisations with no score or no average, deficits, two national pools' cut-points."""
    rng = np.random.default_rng(seed)
    raw = rng.uniform(1, 4, (n, k)) if continuous else rng.integers(1, 5, (n, k)).astype(float)
    raw[rng.random((n, k)) < 0.25] = np.nan
    raw[0] = np.nan                                      # no score at all
    codes = [f"R{i:03d}" for i in rng.permutation(n)]    # rows not in code order
    counted = [f"S{j}" for j in range(k)]
    scores = pd.DataFrame(raw, index=codes, columns=counted)
    type_of = pd.Series(rng.choice(list(types), n), index=codes)
    cuts = np.where((type_of == "ambulance").to_numpy()[:, None], [2.2, 2.5, 2.8],
                    [2.1, 2.4, 2.7])
    eligible = ~np.isnan(raw).all(axis=1)
    eligible[1] = False                                 # scores, but no average (too few)
    return {"scores": scores, "counted": counted, "types": type_of,
            "in_deficit": rng.random(n) < 0.3, "org_cuts": cuts, "eligible": eligible}


def assert_same(args, **kw):
    got = lr.likely_ranges(**args, **kw)
    want = reference_likely_ranges(**args, **kw)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    return got


# ------------------------------------------------------------------ the tests

#: What the original implementation (commit ae8f966) gave for ``arguments()`` with 500
#: replicates and seed 20251: the first five organisations in code order.
SNAPSHOT = {"R000": (1.79, 2.76, 1.0, 17.0), "R001": (1.61, 2.44, 1.0, 8.0),
            "R002": (2.06, 3.14, 2.0, 12.0), "R003": (1.65, 2.69, 6.0, 15.0),
            "R004": (1.47, 3.02, 1.0, 11.0)}


@pytest.mark.parametrize("replicates", [1, 2, 7, 40, 81, 82, 83, 500, 2000])
def test_same_ranges_as_the_original_for_any_number_of_replicates(replicates):
    assert_same(arguments(), replicates=replicates, seed=11)


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.9, 0.99])
def test_same_ranges_at_other_confidence_levels(confidence):
    assert_same(arguments(n=40, k=6), replicates=300, seed=5, confidence=confidence)


def test_same_ranges_with_whole_scores_and_many_ties():
    got = assert_same(arguments(continuous=False, k=4), replicates=400, seed=1)
    assert (got["rank_low"] < got["rank_high"]).any()


@pytest.mark.parametrize("decimals", [0, 1, 3])
def test_same_ranges_for_other_rounding_of_the_average(decimals):
    assert_same(arguments(n=30, k=5), replicates=200, seed=2, decimals=decimals)


@pytest.mark.parametrize("batch, chunk", [(1, 1), (50, 7), (997, 1), (10**9, 10**9)])
def test_batching_does_not_change_the_ranges(monkeypatch, batch, chunk):
    monkeypatch.setattr(lr, "_BATCH_CELLS", batch)
    monkeypatch.setattr(lr, "_CHUNK_CELLS", chunk)
    assert_same(arguments(n=25, k=5), replicates=120, seed=9)


def test_same_ranges_when_positions_are_counted_on_the_key_grid(monkeypatch):
    """A type with more organisations than key values (11.00 ... 44.00): counted, not sorted."""
    def no_sorting(_keys):
        raise AssertionError("positions were sorted, not counted")

    monkeypatch.setattr(lr, "competition_positions", no_sorting)
    args = arguments(n=3500, k=5, types=("acute",), continuous=False, seed=6)
    assert_same(args, replicates=60, seed=3)
    assert_same(args, replicates=60, seed=3, decimals=1)


def test_one_organisation_and_one_type():
    assert_same(arguments(n=3, k=3, types=("acute",)), replicates=50, seed=0)


def test_same_values_as_recorded_from_the_original():
    got = lr.likely_ranges(**arguments(), replicates=500, seed=20251)
    first = got.sort_index().head(5)
    assert {code: tuple(row) for code, row in first.iterrows()} == pytest.approx(SNAPSHOT,
                                                                                nan_ok=True)


@pytest.mark.parametrize("decimals", [0, 1, 2])
def test_counted_positions_equal_sorted_competition_positions(decimals):
    rng = np.random.default_rng(decimals)
    avg = round_half_up(rng.uniform(1, 4, (20, 4000)), decimals)
    seg = segment_of(avg, np.array([2.0, 2.5, 3.0]))
    key = np.round(seg * 10.0 + avg, 6)
    want = competition_positions(key)
    steps = np.rint(key * 10.0 ** decimals)
    steps -= steps.min()
    assert steps.max() < key.shape[1]  # small enough a grid to count on
    np.testing.assert_array_equal(lr._counted_positions(steps), want)
    np.testing.assert_array_equal(lr._positions(key, decimals), want)


def _peak_bytes(args, replicates):
    tracemalloc.start()
    try:
        lr.likely_ranges(**args, replicates=replicates, seed=1)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_replicates_times_organisations(monkeypatch):
    """1,500 organisations: ten times the replicates, not ten times the memory. One float per
    organisation and replicate would be 36 MB at 3,000 replicates; the original kept four
    such arrays. Now each organisation keeps only its tails (2.5 % each side)."""
    monkeypatch.setattr(lr, "_BATCH_CELLS", 150_000)
    monkeypatch.setattr(lr, "_CHUNK_CELLS", 100_000)
    args = arguments(n=1500, k=4, seed=8)
    few, many = _peak_bytes(args, 300), _peak_bytes(args, 3000)
    assert many < 2 * few, (few / 2**20, many / 2**20)
    assert many < 3000 * 1500 * 8 / 2, many / 2**20
