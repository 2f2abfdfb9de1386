"""Steps 2 and 3 — average metric score, domains, cut-points and segments, by worked examples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from xl_league import InputError, compute_league_tables, load_catalogue, load_methodology
from xl_league.engine.averages import round_half_up
from xl_league.engine.catalogue import metric_from_row
from xl_league.engine.segments import quartile_cut_points, segment_of

METHOD = load_methodology().with_settings(bootstrap_replicates=0)
NAN = np.nan


def run(orgs: dict, values: dict, meth=METHOD):
    return compute_league_tables(pd.DataFrame(orgs), pd.DataFrame(values, index=orgs["code"]),
                                 meth)


def one_score_each(scores, types="acute", meth=METHOD, **orgs):
    """Organisations whose only metric is a supplied OF1061 score: average = that score."""
    codes = [f"T{i:02d}" for i in range(len(scores))]
    return run({"code": codes, "type": types, **orgs}, {"OF1061": list(scores)}, meth), codes


def quartile_inc(values, quart: int) -> float:
    """Excel's QUARTILE.INC by hand: position (n - 1) * quart / 4 (0-based), interpolated."""
    xs = sorted(values)
    h = (len(xs) - 1) * quart / 4
    lo = math.floor(h)
    return xs[lo] if lo + 1 >= len(xs) else xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo])


# ---- step 2 ------------------------------------------------------------------------------------

def test_average_is_the_plain_mean_of_the_scores_and_metrics_scored_counts_them():
    codes = ["A", "B", "C", "D"]
    result = run({"code": codes, "type": "acute"},
                 {"OF1061": [1.0, 2.0, 4.0, 3.0], "OF1082": [2.0, NAN, 4.0, 1.0],
                  "OF1084": [3.0, NAN, 4.0, 2.5]})
    league = result.league.loc[codes]
    np.testing.assert_allclose(league["average_score_unrounded"], [2.0, 2.0, 4.0, 6.5 / 3])
    np.testing.assert_allclose(league["average_score"], [2.0, 2.0, 4.0, 2.17])
    assert list(league["metrics_scored"]) == [3, 1, 3, 3]


def test_average_is_rounded_half_up_to_2_dp():
    assert round_half_up(2.345) == 2.35
    assert round_half_up(2.3449) == 2.34
    assert round_half_up(1.005) == 1.01
    np.testing.assert_allclose(round_half_up(np.array([1.125, 3.994999])), [1.13, 3.99])


def test_minimum_metrics_leaves_thinly_scored_organisations_unsegmented():
    codes = ["A", "B", "C", "D", "E"]
    meth = METHOD.with_settings(minimum_metrics=2)
    result = run({"code": codes, "type": "acute"},
                 {"OF1061": [1.0, 2.0, 3.0, 4.0, 1.0], "OF1082": [1.0, 2.0, 3.0, 4.0, NAN]}, meth)
    e = result.league.loc["E"]
    assert e["metrics_scored"] == 1
    assert np.isnan(e["average_score"]) and pd.isna(e["position"]) and pd.isna(e["segment"])
    assert result.cut_points.at[0, "organisations"] == 4  # E is not in the quartiles
    assert result.league.index[-1] == "E"  # unranked organisations come last


def test_domain_scores_are_means_within_each_domain():
    codes = ["A", "B", "C", "D"]
    result = run({"code": codes, "type": "acute"},
                 {"OF1061": [1.0, 2.0, 3.0, 4.0],                 # Patient safety
                  "OF1082": [2.0, 4.0, NAN, 1.0],                 # People and workforce
                  "OF1084": [3.0, 1.0, NAN, 2.0]})                # People and workforce
    dom = result.domain_scores.loc[codes]
    np.testing.assert_allclose(dom["Patient safety"], [1, 2, 3, 4])
    np.testing.assert_allclose(dom["People and workforce"], [2.5, 2.5, NAN, 1.5])
    assert dom["Access to services"].isna().all()
    assert list(result.domain_scores.columns) == [
        "Access to services", "Effectiveness and experience", "Patient safety",
        "People and workforce", "Finance and productivity"]


def test_domain_segments_are_quartiles_of_the_domain_scores():
    scores = [1.0, 1.4, 2.0, 2.6, 3.0, 3.9]
    result, codes = one_score_each(scores)
    seg = result.domain_segments.loc[codes, "Patient safety"]
    np.testing.assert_array_equal(seg, [1, 1, 2, 3, 4, 4])  # cuts 1.55, 2.3, 2.9


def test_fixed_overall_cut_points_do_not_cut_the_domains():
    # NHS England's domains have cut-points of their own, so fixed overall cut-points
    # (here all below every score: everyone in segment 4 overall) leave domains on quartiles.
    scores = [1.0, 1.4, 2.0, 2.6, 3.0, 3.9]
    result, codes = one_score_each(scores, meth=METHOD.with_settings(cut_points=(0.5, 0.6, 0.7)))
    assert list(result.league.loc[codes, "unadjusted_segment"]) == [4] * 6
    seg = result.domain_segments.loc[codes, "Patient safety"]
    np.testing.assert_array_equal(seg, [1, 1, 2, 3, 4, 4])
    assert set(result.domain_cut_points["rule"]) == {"national-quartiles"}


# ---- step 3: cut-points --------------------------------------------------------------------------

def test_quartile_cut_points_are_excel_quartile_inc_on_a_hand_checked_list():
    # n = 6: positions 1.25, 2.5, 3.75 -> 1.4 + .25 * .6, 2.0 + .5 * .6, 2.6 + .75 * .4
    cuts = quartile_cut_points(np.array([3.9, 1.0, 2.6, 1.4, 3.0, 2.0, NAN]))
    np.testing.assert_allclose(cuts, [1.55, 2.3, 2.9])


@pytest.mark.parametrize("seed", range(5))
def test_quartile_cut_points_equal_quartile_inc_on_random_lists(seed):
    rng = np.random.default_rng(seed)
    values = np.round(rng.uniform(1, 4, rng.integers(4, 60)), 2)
    expected = [quartile_inc(values, q) for q in (1, 2, 3)]
    np.testing.assert_allclose(quartile_cut_points(values), expected, rtol=0, atol=1e-12)


def test_a_score_equal_to_a_cut_point_goes_to_the_worse_segment():
    cuts = (2.0, 2.5, 3.0)
    np.testing.assert_array_equal(
        segment_of([1.99, 2.0, 2.49, 2.5, 2.99, 3.0, 4.0, NAN], cuts),
        [1, 2, 2, 3, 3, 4, 4, NAN])


def test_national_quartiles_pool_all_trust_types():
    scores = [1.0, 1.5, 2.0, 2.5, 2.0, 2.4, 3.0, 4.0]
    types = ["acute"] * 4 + ["non-acute"] * 4
    result, codes = one_score_each(scores, types)
    cuts = result.cut_points
    assert len(cuts) == 1 and cuts.at[0, "pool"] == "acute + non-acute + ambulance"
    assert cuts.at[0, "rule"] == "national-quartiles" and cuts.at[0, "organisations"] == 8
    np.testing.assert_allclose(cuts.loc[0, ["c1", "c2", "c3"]].astype(float),
                               [quartile_inc(scores, q) for q in (1, 2, 3)])  # 1.875, 2.2, 2.625
    np.testing.assert_array_equal(result.league.loc[codes, "unadjusted_segment"],
                                  [1, 1, 2, 3, 2, 3, 4, 4])
    assert result.cuts_for("T00") == tuple(cuts.loc[0, ["c1", "c2", "c3"]])


def test_type_quartiles_cut_each_type_separately():
    scores = [1.0, 1.5, 2.0, 2.5, 2.0, 2.4, 3.0, 4.0]
    types = ["acute"] * 4 + ["non-acute"] * 4
    meth = METHOD.with_settings(cut_point_rule="type-quartiles")
    result, codes = one_score_each(scores, types, meth)
    cuts = result.cut_points.set_index("pool")
    np.testing.assert_allclose(cuts.loc["acute", ["c1", "c2", "c3"]].astype(float),
                               [1.375, 1.75, 2.125])
    np.testing.assert_allclose(cuts.loc["non-acute", ["c1", "c2", "c3"]].astype(float),
                               [2.3, 2.7, 3.25])
    np.testing.assert_array_equal(result.league.loc[codes, "unadjusted_segment"],
                                  [1, 2, 3, 4, 1, 2, 3, 4])


def test_fixed_cut_points_apply_to_everyone():
    meth = METHOD.with_settings(cut_points=(1.5, 2.5, 3.5))
    assert meth.cut_point_rule == "fixed"
    result, codes = one_score_each([1.49, 1.5, 2.49, 2.5, 3.49, 3.5], meth=meth)
    np.testing.assert_array_equal(result.league.loc[codes, "unadjusted_segment"],
                                  [1, 2, 2, 3, 3, 4])
    assert result.cut_points.at[0, "rule"] == "fixed"


def test_fixed_cut_points_work_for_a_single_organisation():
    result, codes = one_score_each([2.2], meth=METHOD.with_settings(cut_points=(2.05, 2.33, 2.62)))
    assert result.league.at[codes[0], "unadjusted_segment"] == 2
    assert result.league.at[codes[0], "position"] == 1


def test_quartiles_need_four_scored_organisations():
    with pytest.raises(InputError, match="at least 4"):
        one_score_each([1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="at least 4"):
        one_score_each([1.0, 2.0, 3.0, 4.0, 2.0], ["acute"] * 4 + ["ambulance"],
                       METHOD.with_settings(cut_point_rule="type-quartiles"))


def test_segments_use_the_2dp_average():
    # unrounded 1.005 is below the cut-point 1.01, but the published 2-dp average 1.01 is not
    codes = ["A", "B"]
    result = run({"code": codes, "type": "acute"}, {"OF1061": [1.0, 3.0], "OF1082": [1.01, 3.0]},
                 METHOD.with_settings(cut_points=(1.01, 2.0, 3.0)))
    assert result.league.at["A", "average_score"] == 1.01
    assert result.league.at["A", "unadjusted_segment"] == 2


def test_icbs_are_cut_apart_from_trusts():
    # the 2025/26 catalogue scores no ICB metric yet: add one, as a 2026/27 catalogue would
    icb_metric = {"score_id": "OF1950", "value_id": "OF0950", "name": "ICB metric",
                  "domain": "Access to services", "direction": "lower", "scoring": "ranked",
                  "peer_group": "type", "types": "icb", "in_average": "yes"}
    catalogue = load_catalogue().with_metrics([metric_from_row(icb_metric, METHOD.types)])
    scores = [1.0, 2.0, 3.0, 4.0]
    types = ["acute"] * 4 + ["icb"] * 4
    codes = [f"T{i}" for i in range(8)]
    values = pd.DataFrame({"OF1061": scores + [NAN] * 4, "OF1950": [NAN] * 4 + scores},
                          index=codes)
    result = compute_league_tables(pd.DataFrame({"code": codes, "type": types}), values, METHOD,
                                   catalogue)
    assert list(result.cut_points["pool"]) == ["acute + non-acute + ambulance", "icb"]
    np.testing.assert_array_equal(result.league.loc[codes, "unadjusted_segment"],
                                  [1, 2, 3, 4] * 2)
    assert result.types_present == ["acute", "icb"]
    assert list(result.table("icb")["position"]) == [1, 2, 3, 4]
