"""Steps 4-6 — financial override, segment 5, league positions and distance to the next
segment, by worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xl_league import compute_league_tables, load_methodology
from xl_league.engine.league import competition_positions, distance_to_next_segment
from xl_league.engine.override import apply_financial_override
from xl_league.engine.segments import segment_of

CUTS = (2.0, 2.5, 3.0)
METHOD = load_methodology().with_settings(cut_points=CUTS, bootstrap_replicates=0)
NAN = np.nan


def run(scores, meth=METHOD, values=None, **orgs):
    """One supplied OF1061 score per organisation (average = score), codes T00, T01, ..."""
    codes = [f"T{i:02d}" for i in range(len(scores))]
    frame = pd.DataFrame({"OF1061": list(scores), **(values or {})}, index=codes)
    result = compute_league_tables(pd.DataFrame({"code": codes, "type": "acute", **orgs}), frame,
                                   meth)
    return result, result.league.loc[codes]


# ---- step 4: financial override -------------------------------------------------------------

def test_override_caps_segments_1_and_2_at_3_and_leaves_3_and_4():
    seg = np.array([1.0, 2.0, 3.0, 4.0, NAN])
    np.testing.assert_array_equal(apply_financial_override(seg, [True] * 5), [3, 3, 3, 4, NAN])
    np.testing.assert_array_equal(apply_financial_override(seg, [False] * 5), seg)


def test_override_in_the_engine_keeps_both_segments_and_flags_the_change():
    _, league = run([1.5, 2.2, 2.7, 3.5, 1.5], in_deficit=["Yes", "Yes", "Yes", "Yes", "No"])
    assert list(league["unadjusted_segment"]) == [1, 2, 3, 4, 1]
    assert list(league["segment"]) == [3, 3, 3, 4, 1]
    assert list(league["override_applied"]) == [True, True, False, False, False]
    assert list(league["in_deficit"]) == [True] * 4 + [False]
    assert not league["deficit_derived"].any()


def test_blank_deficit_flag_is_derived_from_the_finance_metrics():
    # plan deficit / adverse variance / both fine / flag given "No" despite a planned deficit
    result, league = run([1.5, 1.5, 1.5, 1.5], in_deficit=[None, "", None, "No"],
                         values={"OF0079": [-0.5, 0.2, 0.0, -0.5],
                                 "OF0081": [0.0, -0.1, 0.0, 0.0]})
    # OF1080 (2, 1, 1, 2) enters the average: 1.75, 1.25, 1.25, 1.75, all segment 1
    assert list(league["in_deficit"]) == [True, True, False, False]
    assert list(league["deficit_derived"]) == [True, True, True, False]
    assert list(league["segment"]) == [3, 3, 1, 1]
    assert "deficit flag derived from finance metrics for 3 organisation(s): T00, T01, T02" \
        in result.notes


def test_deficit_fallback_uses_banded_scores_when_only_scores_are_given():
    _, league = run([1.5, 1.5, 1.5], values={"OF1079": [2.0, 1.0, 1.0],
                                            "OF1081": [1.0, 1.0, 4.0]})
    assert list(league["in_deficit"]) == [True, False, True]
    assert league["deficit_derived"].all()


def test_blank_flag_without_finance_metrics_is_not_in_deficit_and_not_derived():
    result, league = run([1.5, 1.5])
    assert not league["in_deficit"].any() and not league["deficit_derived"].any()
    assert not [n for n in result.notes if "deficit" in n]


def test_deficit_fallback_can_be_disabled():
    result, league = run([1.5, 1.5], METHOD.with_settings(deficit_fallback=False),
                         values={"OF0079": [-2.0, -2.0]})
    assert not league["in_deficit"].any() and not league["deficit_derived"].any()
    assert list(league["segment"]) == [1, 1]
    assert not [n for n in result.notes if "deficit" in n]


# ---- step 5: segment 5 ------------------------------------------------------------------------

def test_rsp_trusts_show_segment_5_and_are_ranked_by_their_adjusted_segment():
    _, league = run([1.5, 2.7, 2.8, 3.5, 3.6], in_rsp=["No", "Yes", "No", "No", "Yes"])
    assert list(league["segment"]) == [1, 3, 3, 4, 4]
    assert list(league["final_segment"]) == [1, 5, 3, 4, 5]
    assert list(league["position"]) == [1, 2, 3, 4, 5]  # T01 keeps its place in segment 3


def test_which_segments_qualify_for_segment_5_is_a_setting():
    result, league = run([2.7, 3.5], METHOD.with_settings(rsp_applies_to_segments=(4,)),
                         in_rsp=["Yes", "Yes"])
    assert list(league["final_segment"]) == [3, 5]
    assert any(n.startswith("T00 is flagged in the Recovery Support Programme") for n in result.notes)


# ---- step 6: league positions ------------------------------------------------------------------

def test_shared_positions_skip_the_next_one_8_8_10():
    # 1.704 and 1.696 are both 1.70 to 2 dp: they share 8th, and the next trust is 10th
    scores = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.704, 1.696, 1.9]
    _, league = run(scores)
    assert list(league["position"]) == [1, 2, 3, 4, 5, 6, 7, 8, 8, 10]


def test_segment_comes_before_average():
    # T00 has the best average but is in deficit: segment 3, below both segment 2 trusts
    _, league = run([1.5, 2.2, 2.3, 2.6], in_deficit=["Yes", "No", "No", "No"])
    assert list(league["position"]) == [3, 1, 2, 4]
    # equal averages in different segments do not share a position
    _, league = run([1.5, 1.5], in_deficit=["Yes", "No"])
    assert list(league["position"]) == [2, 1]


def test_positions_are_separate_for_each_type_and_the_table_is_in_order():
    codes = ["A1", "A2", "N1", "N2", "B1"]
    result = compute_league_tables(
        pd.DataFrame({"code": codes, "type": ["acute", "acute", "non-acute", "non-acute",
                                              "ambulance"]}),
        pd.DataFrame({"OF1061": [2.6, 1.5, 3.5, 1.2, 2.0]}, index=codes), METHOD)
    league = result.league
    assert list(league.index) == ["A2", "A1", "N2", "N1", "B1"]
    assert list(league["position"]) == [1, 2, 1, 2, 1]
    assert list(result.table("non-acute").index) == ["N2", "N1"]
    assert list(result.table("Mental health and community trust").index) == ["N2", "N1"]


def test_competition_positions_rank_each_row_separately():
    keys = np.array([[3.0, 1.0, 3.0, NAN, 2.0],
                     [1.0, 1.0, 1.0, 1.0, 0.5]])
    np.testing.assert_array_equal(competition_positions(keys),
                                  [[3, 1, 3, NAN, 2], [2, 2, 2, 2, 1]])


# ---- distance to the next segment ---------------------------------------------------------------

@pytest.mark.parametrize("average, segment, expected", [
    (2.40, 3, 0.08),   # must reach 2.32, the largest 2-dp average below c2 = 2.325
    (2.05, 2, 0.01),   # 2.04 < c1 = 2.05
    (2.33, 3, 0.01),
    (3.00, 4, 0.39),   # 2.61 < c3 = 2.62
    (1.20, 1, NAN),    # segment 1: nowhere better to go
])
def test_distance_to_next_segment(average, segment, expected):
    cuts = (2.05, 2.325, 2.62)
    got = distance_to_next_segment(average, segment, cuts)
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected)
        assert segment_of(round(average - got, 2), cuts) == segment - 1
        assert segment_of(round(average - got + 0.01, 2), cuts) == segment


def test_distance_to_next_segment_in_the_engine():
    _, league = run([1.5, 2.2, 2.7, 3.5])
    np.testing.assert_allclose(league["distance_to_next_segment"], [NAN, 0.21, 0.21, 0.51])
