"""Bad input to the engine raises InputError naming the organisation and/or metric; nothing
partial is returned. Good input in its everyday forms (NHS England's type names, Yes/No flags,
ODS codes as text, blank cells) is accepted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xl_league import InputError, XlLeagueError, compute_league_tables, load_methodology

METHOD = load_methodology().with_settings(bootstrap_replicates=0)
CODES = ["RA1", "RA2", "RA3", "RA4"]
NAN = np.nan


def orgs(**columns) -> pd.DataFrame:
    return pd.DataFrame({"code": CODES, "type": "acute", **columns})


def values(**columns) -> pd.DataFrame:
    return pd.DataFrame({"code": CODES, "OF0013": [80.0, 75.0, 70.0, 65.0], **columns})


def raises(organisations, vals, match, *, organisation=None, metric=None, meth=METHOD):
    with pytest.raises(InputError, match=match) as info:
        compute_league_tables(organisations, vals, meth)
    assert info.value.organisation == organisation
    assert info.value.metric == metric
    assert isinstance(info.value, XlLeagueError)
    return str(info.value)


def test_good_input_runs():
    league = compute_league_tables(orgs(), values(), METHOD).league
    assert list(league.index) == CODES


def test_unknown_metric():
    message = raises(orgs(), values(OF9999=[1.0, 2, 3, 4]), "OF9999", metric="OF9999")
    assert "not in the 2025/26 catalogue" in message


def test_duplicate_organisation_code():
    frame = orgs()
    frame.loc[3, "code"] = "RA1"
    raises(frame, values().iloc[:3], "RA1 appears more than once", organisation="RA1")


def test_duplicate_row_of_values():
    vals = values()
    vals.loc[3, "code"] = "RA1"
    raises(orgs(), vals, "RA1 has more than one row", organisation="RA1")


@pytest.mark.parametrize("blank", [None, NAN, "", "  "])
def test_blank_organisation_code(blank):
    frame = orgs()
    frame["code"] = frame["code"].astype(object)
    frame.loc[1, "code"] = blank
    raises(frame, values().iloc[[0, 2, 3]], "blank code")


def test_blank_code_in_the_metric_values():
    vals = values()
    vals["code"] = vals["code"].astype(object)
    vals.loc[2, "code"] = None
    raises(orgs(), vals, "row of metric values has a blank code")


def test_values_for_an_organisation_that_is_not_listed():
    vals = values()
    vals.loc[3, "code"] = "RZZ"
    raises(orgs(), vals, "RZZ, which is not in the organisations", organisation="RZZ")


@pytest.mark.parametrize("bad", ["abc", "12%", "n/a"])
def test_non_numeric_value(bad):
    vals = values()
    vals["OF0013"] = vals["OF0013"].astype(object)
    vals.loc[2, "OF0013"] = bad
    message = raises(orgs(), vals, "is not a number", organisation="RA3", metric="OF0013")
    assert repr(bad) in message


@pytest.mark.parametrize("bad", [np.inf, -np.inf, "inf"])
def test_infinite_value(bad):
    vals = values()
    vals["OF0013"] = vals["OF0013"].astype(object)
    vals.loc[1, "OF0013"] = bad
    raises(orgs(), vals, "not a finite number", organisation="RA2", metric="OF0013")


def test_a_metric_column_with_no_values():
    raises(orgs(), values(OF0014=[NAN] * 4), "OF0014 has no value", metric="OF0014")


def test_a_metric_with_values_only_for_types_it_does_not_apply_to():
    frame = orgs(type=["acute", "acute", "acute", "non-acute"])
    # OF0014 (> 12 hours in A&E) is an acute metric; only the non-acute trust has a value
    raises(frame, values(OF0014=[NAN, NAN, NAN, 3.0]), "OF0014 has no value", metric="OF0014")


def test_the_same_metric_in_two_columns():
    vals = pd.concat([values(), values()[["OF0013"]]], axis=1)
    raises(orgs(), vals, "OF0013 has more than one column", metric="OF0013")


@pytest.mark.parametrize("score", [0.5, 4.01, 5, -1])
def test_supplied_score_outside_1_to_4(score):
    raises(orgs(), values(OF1013=[1.0, score, 2.0, 3.0]), "outside 1 to 4",
           organisation="RA2", metric="OF1013")


def test_supplied_scores_at_the_limits_are_accepted():
    result = compute_league_tables(orgs(), values(OF1013=[1.0, 4.0, NAN, NAN]), METHOD)
    assert list(result.metric_scores.loc[["RA1", "RA2"], "OF1013"]) == [1.0, 4.0]


def test_unknown_type():
    message = raises(orgs(type=["acute", "acute", "hospice", "acute"]), values(),
                     "type 'hospice' is not one of", organisation="RA3")
    assert "acute, non-acute, ambulance, icb" in message


def test_missing_type_column():
    raises(pd.DataFrame({"code": CODES}), values(), "need a 'type' column")


@pytest.mark.parametrize("frame", [pd.DataFrame(), pd.DataFrame(columns=["code", "type"])])
def test_no_organisations(frame):
    raises(frame, values().iloc[:0], "no organisations were given")


def test_bad_deficit_flag():
    raises(orgs(in_deficit=["Yes", "No", "maybe", None]), values(),
           "in_deficit 'maybe' is not Yes or No", organisation="RA3")


def test_fewer_than_4_organisations_under_a_quartile_rule():
    message = raises(orgs().iloc[:3], values().iloc[:3], "at least 4")
    assert "fixed national cut-points" in message  # the way out is in the message


def test_fewer_than_4_scored_organisations_under_a_quartile_rule():
    raises(orgs(), values(OF0013=[80.0, NAN, NAN, 70.0]), "only 2 organisation")


def test_one_organisation_with_fixed_cut_points():
    result = compute_league_tables(orgs().iloc[:1], values().iloc[:1],
                                   METHOD.with_settings(cut_points=(2.05, 2.33, 2.62)))
    assert result.league.at["RA1", "position"] == 1
    assert result.league.at["RA1", "average_score"] == 1.0


def test_no_organisation_has_any_score():
    # the planned position alone is shown (OF1079) but never averaged, and OF1080 needs both parts
    only_plan = pd.DataFrame({"code": CODES, "OF0079": [0.5, -0.5, -1.5, -2.5]})
    raises(orgs(), only_plan, "no organisation has any metric score")


def test_table_of_an_unknown_or_absent_type():
    result = compute_league_tables(orgs(), values(), METHOD)
    with pytest.raises(InputError, match="'hospice' is not one of"):
        result.table("hospice")
    with pytest.raises(InputError, match="no ambulance organisations"):
        result.table("ambulance")


# ---- everyday forms of good input -----------------------------------------------------------

@pytest.mark.parametrize("name, key", [
    ("Acute trust", "acute"), ("Mental health and community trust", "non-acute"),
    ("Non-acute hospital trust", "non-acute"), ("Ambulance trust", "ambulance"),
    (" ACUTE ", "acute")])
def test_nhs_england_type_names_are_understood(name, key):
    scores = pd.DataFrame({"code": CODES, "OF1061": [1.0, 2.0, 3.0, 4.0]})
    result = compute_league_tables(orgs(type=name), scores, METHOD)
    assert (result.league["type"] == key).all()
    assert result.types_present == [key]


@pytest.mark.parametrize("flag, expected", [
    ("Yes", True), ("no", False), (" YES ", True), (True, True), (0, False), (1.0, True),
    (None, False), ("", False)])
def test_deficit_flag_forms(flag, expected):
    cut = METHOD.with_settings(cut_points=(2, 3, 4))
    result = compute_league_tables(orgs(in_deficit=[flag, "No", "No", "No"]), values(), cut)
    assert result.league.at["RA1", "in_deficit"] == expected


def test_codes_are_text_and_blank_cells_are_missing():
    codes = ["G6V2S", "RX1", "007", "R1A"]
    frame = pd.DataFrame({"code": codes, "type": "acute"})
    vals = pd.DataFrame({"code": codes, "OF0013": ["80", "", "70.5", None],
                         "OF0014": [1.0, 2.0, 3.0, 4.0]})
    result = compute_league_tables(frame, vals, METHOD)
    assert set(result.league.index) == set(codes)
    assert np.isnan(result.metric_scores.at["RX1", "OF1013"])
    assert result.metric_scores.at["007", "OF1013"] == 4.0
    assert result.league.at["RX1", "metrics_scored"] == 1


def test_inputs_are_not_modified():
    frame, vals = orgs(in_deficit=["Yes", None, "No", "No"]), values()
    before = frame.copy(), vals.copy()
    compute_league_tables(frame, vals, METHOD)
    pd.testing.assert_frame_equal(frame, before[0])
    pd.testing.assert_frame_equal(vals, before[1])
