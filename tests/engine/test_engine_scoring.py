"""Step 1 — metric scores, by worked examples small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xl_league import compute_league_tables, load_catalogue, load_methodology
from xl_league.engine.catalogue import catalogue_from_rows
from xl_league.engine.scoring import (banded_scores, combined_scores, competition_better_counts,
                                      ranked_scores)

CATALOGUE = load_catalogue()
METHOD = load_methodology().with_settings(bootstrap_replicates=0)
NAN = np.nan


def run(orgs: dict, values: dict, meth=METHOD, catalogue=None):
    """Engine on dict-of-columns inputs; codes in ``orgs['code']``."""
    return compute_league_tables(pd.DataFrame(orgs), pd.DataFrame(values, index=orgs["code"]),
                                 meth, catalogue)


# ---- ranked metrics: score = 1 + 3 b / (n - 1) ----------------------------------------------

def test_ranked_higher_is_better_ties_share_the_better_score():
    # 30 is best (b=0); the two 20s each have one better (b=1); 10 has three better (b=3)
    scores = ranked_scores(np.array([10.0, 20.0, 20.0, 30.0]), higher_is_better=True)
    np.testing.assert_allclose(scores, [4.0, 2.0, 2.0, 1.0])


def test_ranked_lower_is_better_and_missing_gets_no_score():
    # n = 3 scored: b = 0, 1, 2 -> 1, 2.5, 4; the NaN is neither scored nor counted in n
    scores = ranked_scores(np.array([1.0, 2.0, 3.0, NAN]), higher_is_better=False)
    np.testing.assert_allclose(scores, [1.0, 2.5, 4.0, NAN])


def test_ranked_single_value_scores_best_and_all_tied_score_best():
    np.testing.assert_allclose(ranked_scores(np.array([NAN, 7.0]), True), [NAN, 1.0])
    np.testing.assert_allclose(ranked_scores(np.array([5.0, 5.0, 5.0]), False), [1.0] * 3)
    assert np.isnan(ranked_scores(np.array([NAN, NAN]), True)).all()


def test_competition_better_counts_counts_strictly_better_values():
    v = np.array([3.0, 1.0, 3.0, NAN, 2.0])
    np.testing.assert_array_equal(competition_better_counts(v, True), [0, 3, 0, NAN, 2])
    np.testing.assert_array_equal(competition_better_counts(v, False), [2, 0, 2, NAN, 1])


def test_ranked_metric_in_the_engine_uses_the_metric_direction():
    codes = ["A", "B", "C", "D", "E"]
    result = run({"code": codes, "type": "acute"},
                 {"OF0013": [95.0, 90.0, 85.0, 80.0, 75.0],    # A&E 4-hour %: higher is better
                  "OF0014": [2.0, 4.0, 6.0, 8.0, 10.0]})       # > 12 h in A&E %: lower is better
    s = result.metric_scores.loc[codes]
    np.testing.assert_allclose(s["OF1013"], [1.0, 1.75, 2.5, 3.25, 4.0])
    np.testing.assert_allclose(s["OF1014"], [1.0, 1.75, 2.5, 3.25, 4.0])
    np.testing.assert_allclose(result.metric_ranks.loc[codes, "OF1013"], [1, 2, 3, 4, 5])
    assert (result.metric_peers.loc[codes, "OF1013"] == 5).all()


PEER_ROWS = [{"score_id": "OF1901", "value_id": "OF0901", "name": "by type", "domain":
              "People and workforce", "direction": "higher", "scoring": "ranked",
              "peer_group": "type", "types": "acute non-acute", "in_average": "yes"},
             {"score_id": "OF1902", "value_id": "OF0902", "name": "national", "domain":
              "People and workforce", "direction": "higher", "scoring": "ranked",
              "peer_group": "national", "types": "acute non-acute", "in_average": "yes"}]


def test_peer_group_type_versus_national():
    cat = catalogue_from_rows("test", PEER_ROWS, METHOD.types)
    codes = ["A1", "A2", "N1", "N2"]
    values = [4.0, 3.0, 2.0, 1.0]
    result = run({"code": codes, "type": ["acute", "acute", "non-acute", "non-acute"]},
                 {"OF0901": values, "OF0902": values}, catalogue=cat)
    s = result.metric_scores.loc[codes]
    # within each type, two organisations: best 1, worst 4
    np.testing.assert_allclose(s["OF1901"], [1.0, 4.0, 1.0, 4.0])
    # one national pool of four: b = 0..3 -> 1, 2, 3, 4
    np.testing.assert_allclose(s["OF1902"], [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(result.metric_peers.loc[codes, "OF1901"], [2, 2, 2, 2])
    np.testing.assert_allclose(result.metric_peers.loc[codes, "OF1902"], [4, 4, 4, 4])


def test_icbs_are_never_in_the_trusts_national_pool():
    rows = [dict(PEER_ROWS[1], types="acute icb")]
    cat = catalogue_from_rows("test", rows, METHOD.types)
    codes = ["A1", "A2", "Q1", "Q2"]
    result = run({"code": codes, "type": ["acute", "acute", "icb", "icb"]},
                 {"OF0902": [4.0, 3.0, 2.0, 1.0]}, meth=METHOD.with_settings(cut_points=(2, 3, 4)),
                 catalogue=cat)
    np.testing.assert_allclose(result.metric_scores.loc[codes, "OF1902"], [1.0, 4.0, 1.0, 4.0])


# ---- banded finance metrics -------------------------------------------------------------------

@pytest.mark.parametrize("value, score", [
    (2.5, 1), (0.0, 1), (-0.01, 2), (-0.99, 2), (-1.0, 3), (-1.5, 3), (-1.99, 3), (-2.0, 4),
    (-7.0, 4)])
def test_planned_surplus_deficit_bands_OF1079(value, score):
    assert banded_scores(np.array([value]), CATALOGUE["OF1079"])[0] == score


@pytest.mark.parametrize("value, score", [
    (1.0, 1), (0.0, 1), (-0.01, 2), (-0.49, 2), (-0.5, 3), (-0.99, 3), (-1.0, 4), (-3.0, 4)])
def test_year_to_date_variance_bands_OF1081(value, score):
    assert banded_scores(np.array([value]), CATALOGUE["OF1081"])[0] == score


def test_banded_missing_value_has_no_score():
    assert np.isnan(banded_scores(np.array([NAN]), CATALOGUE["OF1079"])[0])


# ---- the combined finance matrix OF1080 -------------------------------------------------------

#: rows = plan score OF1079 1-4, columns = variance score OF1081 1-4 (the method's matrix, with
#: unobserved cells filled by its pattern: surplus -> max(1, var - 1); deficit -> min(4, var + 1))
FINANCE_MATRIX = [[1, 1, 2, 3], [2, 3, 4, 4], [2, 3, 4, 4], [2, 3, 4, 4]]
UNOBSERVED = {(2, 2), (2, 3), (2, 4), (3, 3), (4, 3)}


@pytest.mark.parametrize("plan", [1, 2, 3, 4])
@pytest.mark.parametrize("var", [1, 2, 3, 4])
def test_finance_matrix_every_cell(plan, var):
    score, unobserved = combined_scores(np.array([float(plan)]), np.array([float(var)]),
                                        CATALOGUE["OF1080"])
    assert score[0] == FINANCE_MATRIX[plan - 1][var - 1]
    assert bool(unobserved[0]) == ((plan, var) in UNOBSERVED)


def test_finance_matrix_follows_the_published_pattern():
    for plan in range(1, 5):
        for var in range(1, 5):
            pattern = max(1, var - 1) if plan == 1 else min(4, var + 1)
            assert FINANCE_MATRIX[plan - 1][var - 1] == pattern


def test_finance_from_raw_values_and_the_note_for_an_unobserved_cell():
    codes = ["A", "B", "C", "D"]
    result = run({"code": codes, "type": "acute", "in_deficit": "No"},
                 {"OF0079": [0.5, -0.5, -1.5, -3.0],      # plan scores 1, 2, 3, 4
                  "OF0081": [-0.7, 0.0, -0.7, -0.2]})     # variance scores 3, 1, 3, 2
    s = result.metric_scores.loc[codes]
    np.testing.assert_allclose(s["OF1079"], [1, 2, 3, 4])
    np.testing.assert_allclose(s["OF1081"], [3, 1, 3, 2])
    np.testing.assert_allclose(s["OF1080"], [2, 2, 4, 3])
    notes = [n for n in result.notes if "finance matrix" in n]
    assert notes == ["OF1080: 1 organisation (C) fall in cells of the finance matrix NHS "
                     "England's data has not shown; scored by the published pattern"]  # (3, 3)


def test_no_note_when_a_supplied_OF1080_replaces_the_unobserved_cell():
    codes = ["A", "B", "C", "D"]
    result = run({"code": codes, "type": "acute", "in_deficit": "No"},
                 {"OF1079": [3.0, 1, 1, 1], "OF1081": [3.0, 1, 1, 1], "OF1080": [2.0, NAN, NAN, NAN]})
    assert result.metric_scores.at["A", "OF1080"] == 2.0
    assert not [n for n in result.notes if "finance matrix" in n]


def test_only_the_combined_finance_score_enters_the_average():
    codes = ["A", "B", "C", "D"]
    result = run({"code": codes, "type": "acute", "in_deficit": "No"},
                 {"OF0079": [0.5, -0.5, -1.5, -3.0], "OF0081": [0.0, 0.0, 0.0, 0.0]})
    league = result.league.loc[codes]
    assert (league["metrics_scored"] == 1).all()
    np.testing.assert_allclose(league["average_score"], result.metric_scores.loc[codes, "OF1080"])


# ---- supplied scores, missing values, metrics that do not apply ------------------------------

def test_a_supplied_score_wins_over_the_computed_one():
    codes = ["A", "B", "C", "D"]
    result = run({"code": codes, "type": "acute"},
                 {"OF0013": [95.0, 90.0, 85.0, 80.0], "OF1013": [NAN, 3.5, NAN, NAN]})
    s = result.metric_scores.loc[codes, "OF1013"]
    # B's 3.5 is used; the others are ranked among the four raw values
    np.testing.assert_allclose(s, [1.0, 3.5, 3.0, 4.0])
    assert list(result.supplied_scores.loc[codes, "OF1013"]) == [False, True, False, False]


def test_score_supplied_metric_takes_the_typed_in_score():
    codes = ["A", "B", "C", "D"]
    result = run({"code": codes, "type": "acute"},
                 {"OF1106": [1.0, 2.0, 4.0, NAN], "OF0013": [1.0, 2.0, 3.0, 4.0]})
    np.testing.assert_allclose(result.metric_scores.loc[codes, "OF1106"], [1, 2, 4, NAN])
    np.testing.assert_array_equal(result.league.loc[codes, "metrics_scored"], [2, 2, 2, 1])


def test_missing_value_gets_no_score_and_does_not_count_in_n():
    codes = ["A", "B", "C", "D", "E"]
    result = run({"code": codes, "type": "acute"},
                 {"OF0013": [95.0, NAN, 85.0, 80.0, 70.0], "OF0014": [1.0, 2.0, 3.0, 4.0, 5.0]})
    s = result.metric_scores.loc[codes, "OF1013"]
    np.testing.assert_allclose(s, [1.0, NAN, 2.0, 3.0, 4.0])   # n = 4, not 5
    assert np.isnan(result.metric_peers.at["B", "OF1013"])
    assert result.league.at["B", "metrics_scored"] == 1
    assert result.league.at["B", "average_score"] == result.metric_scores.at["B", "OF1014"]


def test_a_metric_that_does_not_apply_to_the_type_gives_no_score():
    codes = ["A1", "A2", "A3", "N1"]
    result = run({"code": codes, "type": ["acute", "acute", "acute", "non-acute"]},
                 {"OF0013": [95.0, 90.0, 85.0, 50.0],       # A&E: acute only
                  "OF0061": [6.0, 6.5, 7.0, 6.2]})           # raising concerns: all trusts
    s = result.metric_scores.loc[codes]
    assert np.isnan(s.at["N1", "OF1013"])
    np.testing.assert_allclose(s.loc[["A1", "A2", "A3"], "OF1013"], [1.0, 2.5, 4.0])
    assert result.league.at["N1", "metrics_scored"] == 1
    assert not result.supplied_scores.at["N1", "OF1013"]
