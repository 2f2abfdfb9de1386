"""Step 7 — likely ranges of the average score and of the league position (bootstrap)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xl_league import compute_league_tables, load_methodology
from xl_league.engine import likely_ranges as likely_ranges_module
from xl_league.engine.catalogue import catalogue_from_rows

METHOD = load_methodology().with_settings(cut_points=(2.0, 2.5, 3.0), bootstrap_replicates=500)
NAN = np.nan


def supplied_catalogue(k: int):
    """k score-supplied metrics, XS0000..: any k scores per organisation."""
    rows = [{"score_id": f"XS{i:04d}", "name": f"metric {i}", "domain": "Access to services",
             "scoring": "supplied", "types": "acute non-acute ambulance", "in_average": "yes"}
            for i in range(k)]
    return catalogue_from_rows("test", rows, METHOD.types)


def run(score_rows, meth=METHOD, in_deficit=None, types="acute"):
    """One organisation per row of scores (NaN = not scored); codes T00, T01, ..."""
    block = np.array(score_rows, dtype=float)
    codes = [f"T{i:02d}" for i in range(len(block))]
    catalogue = supplied_catalogue(block.shape[1])
    values = pd.DataFrame(block, index=codes, columns=[m.score_id for m in catalogue])
    orgs = pd.DataFrame({"code": codes, "type": types, "in_deficit": in_deficit})
    return compute_league_tables(orgs, values, meth, catalogue).league.loc[codes]


def random_scores(n=30, k=10, seed=7):
    rng = np.random.default_rng(seed)
    scores = np.round(rng.uniform(1, 4, (n, k)), 2)
    scores[rng.random((n, k)) < 0.2] = NAN
    scores[:, 0] = np.round(rng.uniform(1, 4, n), 2)  # everyone has at least one score
    return scores


def test_ranges_are_seeded_and_reproducible():
    scores = random_scores()
    a = run(scores)
    pd.testing.assert_frame_equal(a, run(scores))
    b = run(scores, METHOD.with_settings(bootstrap_seed=METHOD.bootstrap_seed + 1))
    assert not a[["score_low", "score_high"]].equals(b[["score_low", "score_high"]])


def test_score_range_contains_the_average_and_rank_range_the_position():
    league = run(random_scores(), in_deficit=["Yes", "No", None] * 10)
    assert (league["score_low"] <= league["average_score"]).all()
    assert (league["average_score"] <= league["score_high"]).all()
    assert (league["score_low"] < league["score_high"]).all()
    assert (league["rank_low"] <= league["position"]).all()
    assert (league["position"] <= league["rank_high"]).all()
    assert league["rank_low"].min() == 1 and league["rank_high"].max() <= len(league)


def test_identical_scores_give_a_zero_width_score_range():
    league = run([[2.5] * 6, [1.0, 4.0] * 3, [2.0] * 6, [3.0] * 6])
    assert league.at["T00", "score_low"] == league.at["T00", "score_high"] == 2.5
    assert league.at["T01", "score_low"] < league.at["T01", "score_high"]


def test_range_narrows_as_the_number_of_scores_grows():
    rows = []
    for k in (4, 16, 64):
        row = [1.0, 4.0] * (k // 2) + [NAN] * (64 - k)
        rows.append(row)
    league = run(rows)
    width = (league["score_high"] - league["score_low"]).to_numpy()
    assert width[0] > width[1] > width[2] > 0
    # the mean of 1s and 4s is 2.5 whatever k is; only its uncertainty changes
    assert (league["average_score"] == 2.5).all()


def test_half_width_matches_the_normal_approximation_for_large_k():
    """The inferred method: half-width ~ 1.96 x population SD / sqrt(k)."""
    k = 100
    rows = [np.linspace(1, 4, k), np.r_[np.full(k // 2, 1.5), np.full(k // 2, 3.5)]]
    league = run(rows, METHOD.with_settings(bootstrap_replicates=4000))
    for code, scores in zip(league.index, rows):
        expected = 1.96 * np.std(scores) / np.sqrt(k)  # population SD (ddof = 0)
        half = (league.at[code, "score_high"] - league.at[code, "score_low"]) / 2
        assert half == pytest.approx(expected, rel=0.06)


def test_a_skewed_set_of_scores_gives_an_asymmetric_range():
    league = run([[1.0] * 17 + [4.0] * 3, [2.0] * 20])
    avg = league.at["T00", "average_score_unrounded"]                      # 1.45
    assert league.at["T00", "score_high"] - avg > avg - league.at["T00", "score_low"]


@pytest.mark.parametrize("cells", [1, 997, 10**9])
def test_chunk_size_does_not_change_the_result(monkeypatch, cells):
    scores = random_scores(n=12, k=8)
    expected = run(scores)
    monkeypatch.setattr(likely_ranges_module, "_CHUNK_CELLS", cells)
    pd.testing.assert_frame_equal(run(scores), expected)


@pytest.mark.parametrize("workers", [0, 1, 2, 4])
def test_threads_working_out_the_means_do_not_change_them(monkeypatch, workers):
    """The draws are made in stream order whoever works out their means: bit-identical
    ranges with no threads and with several, over many small chunks."""
    scores = random_scores(n=15, k=9)
    monkeypatch.setattr(likely_ranges_module, "_CHUNK_CELLS", 15 * 9 * 7)   # 7 replicates
    monkeypatch.setattr(likely_ranges_module, "_workers", lambda *args: 0)
    expected = run(scores)
    monkeypatch.setattr(likely_ranges_module, "_workers", lambda *args: workers)
    pd.testing.assert_frame_equal(run(scores), expected)


def test_rank_range_reapplies_the_financial_override():
    # no spread in anyone's scores, so every replicate is the point estimate: T00 has the best
    # average but is in deficit, so it ranks in segment 3 in every replicate, not first
    league = run([[1.0] * 4, [1.5] * 4, [1.8] * 4, [2.2] * 4, [2.6] * 4],
                 in_deficit=["Yes", "No", "No", "No", "No"])
    assert list(league["position"]) == [4, 1, 2, 3, 5]
    assert (league["rank_low"] == league["position"]).all()
    assert (league["rank_high"] == league["position"]).all()


def test_rank_ranges_are_within_each_type():
    scores = random_scores(n=12, k=6)
    league = run(scores, types=["acute"] * 6 + ["ambulance"] * 6)
    assert (league["rank_high"] <= 6).all()


def test_no_ranges_without_an_average_or_when_replicates_are_zero():
    league = run([[2.0, 3.0], [NAN, NAN], [1.0, 1.5], [3.0, 4.0]])
    assert league.loc["T01", ["score_low", "score_high", "rank_low", "rank_high"]].isna().all()
    off = run([[2.0, 3.0], [1.0, 1.5]], METHOD.with_settings(bootstrap_replicates=0))
    assert off[["score_low", "score_high", "rank_low", "rank_high"]].isna().all().all()
