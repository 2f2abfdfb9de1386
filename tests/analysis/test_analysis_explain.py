"""Explain: the average broken down by domain and metric, and the override in plain words.

Same five acute trusts as the what-if tests (fixed cut-points 2.0 / 2.6 / 3.3):

    code  OF0013 → score   OF0082 → score   average  unadjusted  deficit  segment
    A1    80 → 1.00        5.0 → 2.50       1.75     1           No       1
    A2    75 → 1.75        4.0 → 1.00       1.38     1           Yes      3
    A3    70 → 2.50        6.0 → 4.00       3.25     3           No       3
    A4    65 → 3.25        4.5 → 1.75       2.50     2           No       2
    A5    60 → 4.00        5.5 → 3.25       3.63     4           (varies) 4
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from xl_league import InputError, compute_league_tables, load_methodology
from xl_league.analysis import explain
from xl_league.analysis.explain import EXPLAIN_DOMAIN_COLUMNS, EXPLAIN_METRIC_COLUMNS
from nhse_data import MH_CSV
from nhse_data import SKIP_REASON as NO_DATA

CUTS = (2.0, 2.6, 3.3)


def tables(deficit=("No", "Yes", "No", "No", "No"), rsp=(None,) * 5, replicates=0, **settings):
    orgs = pd.DataFrame({"code": ["A1", "A2", "A3", "A4", "A5"],
                         "name": ["Ash", "Birch", "Cedar", "Damson", "Elm"], "type": "acute",
                         "in_deficit": list(deficit), "in_rsp": list(rsp)})
    values = pd.DataFrame({"OF0013": [80.0, 75.0, 70.0, 65.0, 60.0],
                           "OF0082": [5.0, 4.0, 6.0, 4.5, 5.5]},
                          index=pd.Index(["A1", "A2", "A3", "A4", "A5"], name="code"))
    meth = load_methodology().with_settings(cut_points=CUTS, bootstrap_replicates=replicates,
                                            **settings)
    return compute_league_tables(orgs, values, meth)


def test_metric_breakdown_adds_up_to_the_average():
    e = explain(tables(), "A3")
    assert list(e.metrics.columns) == list(EXPLAIN_METRIC_COLUMNS)
    m = e.metrics.set_index("metric")
    assert m.loc["OF1013", ["raw_value", "score", "rank", "peers", "contribution"]].tolist() == \
        [70.0, 2.5, 3, 5, 1.25]
    assert m.loc["OF1082", ["raw_value", "score", "rank", "peers", "contribution"]].tolist() == \
        [6.0, 4.0, 5, 5, 2.0]
    assert m.loc["OF1013", "counts"] and not m.loc["OF1013", "supplied"]
    assert m["contribution"].sum() == pytest.approx(3.25)
    # Every acute metric is listed; those without a value do not count.
    assert not m.loc["OF1023", "counts"] and np.isnan(m.loc["OF1023", "score"])
    assert e.summary["average_score"] == 3.25 and e.summary["metrics_scored"] == 2


def test_domain_scores():
    e = explain(tables(), "A3")
    assert list(e.domains.columns) == list(EXPLAIN_DOMAIN_COLUMNS)
    d = e.domains.set_index("domain")
    cols = ["metrics_scored", "domain_score", "contribution"]
    assert d.loc["Access to services", cols].tolist() == [1, 2.5, 1.25]
    assert d.loc["People and workforce", cols].tolist() == [1, 4.0, 2.0]
    assert d.loc["Patient safety", "metrics_scored"] == 0


def test_plain_words_for_an_organisation_held_back_by_the_override():
    e = explain(tables(), "A2")
    assert e.lines[0] == "A2 Birch (acute)."
    assert "Average metric score 1.38: the mean of 2 metric scores (sum 2.75 / 2); lower is " \
           "better." in e.lines
    assert ("In deficit (flag from the workbook): the financial override caps the segment at 3; "
            "without it the average 1.38 would be segment 1.") in e.lines
    assert ("The average is already in segment 1, the best. While in deficit, the financial "
            "override keeps the segment at 3 or worse.") in e.lines
    assert "League position 3 of 5 acute organisations (ordered by segment, then average)." \
        in e.lines
    assert e.text == "\n".join(e.lines) + "\n"


def test_plain_words_for_segment_distance_and_no_deficit():
    e = explain(tables(), "A3")
    assert ("Cut-points 2.000 / 2.600 / 3.300 (fixed national cut-points): the average 3.25 is "
            "in segment 3 before the financial override.") in e.lines
    assert "Not in deficit (flag from the workbook): no financial override; the segment is 3." \
        in e.lines
    # The largest 2-dp average below 2.6 is 2.59: 3.25 - 2.59 = 0.66
    assert "To reach segment 2 the average must fall by 0.66 to 2.59 or below (cut-point 2.600)." \
        in e.lines
    assert any(line.startswith("Worst scores (pulling the average up): OF1082 Sickness absence "
                               "rate 4.00; OF1013") for line in e.lines)


def test_in_deficit_but_already_segment_four():
    e = explain(tables(deficit=("No", "Yes", "No", "No", "Yes")), "A5")
    assert ("In deficit (flag from the workbook): the financial override caps the segment at 3, "
            "but the average 3.63 already puts it in segment 4, so the override changes "
            "nothing.") in e.lines


def test_recovery_support_programme_and_likely_ranges():
    e = explain(tables(rsp=(None, None, None, None, "Yes"), replicates=200), "A5")
    assert "In the Recovery Support Programme: shown as segment 5, ranked with segment 4." \
        in e.lines
    assert e.summary["final_segment"] == 5
    assert any(line.startswith("Likely range of the average score ") for line in e.lines)
    assert e.summary["score_low"] <= 3.63 <= e.summary["score_high"]


def finance(flag=None, fallback=True):
    orgs = pd.DataFrame({"code": ["F1", "F2", "F3", "F4", "F5"], "name": list("VWXYZ"),
                         "type": "acute", "in_deficit": flag})
    values = pd.DataFrame({"OF0013": [80.0, 75.0, 70.0, 65.0, 60.0],
                           "OF0079": [0.5, 0.0, -1.5, 1.0, -3.0],
                           "OF0081": [0.0, 0.2, 0.0, 0.0, -1.2]},
                          index=pd.Index(["F1", "F2", "F3", "F4", "F5"], name="code"))
    meth = load_methodology().with_settings(cut_points=CUTS, bootstrap_replicates=0,
                                            deficit_fallback=fallback)
    return compute_league_tables(orgs, values, meth)


def test_a_derived_deficit_names_the_finance_value():
    """F3: OF1013 2.5 and OF1080 = matrix[plan 3][variance 1] = 2 → 2.25, segment 2."""
    e = explain(finance(), "F3")
    assert ("The deficit flag was blank and was derived as in deficit from planned "
            "surplus/deficit -1.5 % (OF0079 < 0): the financial override caps the segment at 3; "
            "without it the average 2.25 would be segment 2.") in e.lines
    e = explain(finance(), "F1")
    assert ("The deficit flag was blank and was derived as not in deficit from planned "
            "surplus/deficit 0.5 % (OF0079 >= 0) and year-to-date variance to plan 0 % "
            "(OF0081 >= 0): no financial override; the segment is 1.") in e.lines
    m = e.metrics.set_index("metric")
    assert not m.loc["OF1079", "counts"] and m.loc["OF1080", "counts"]


def test_a_blank_flag_that_cannot_be_derived():
    e = explain(finance(fallback=False), "F3")
    assert any(line.startswith("The deficit flag was blank and could not be derived")
               for line in e.lines)
    assert e.summary["in_deficit"] is False and e.summary["segment"] == 2


def test_unknown_organisation():
    with pytest.raises(InputError, match="'A9' is not in the inputs"):
        explain(tables(), "A9")
    assert explain(tables(), "a3").code == "A3"


# --- real data -------------------------------------------------------------------------------



@pytest.mark.nhse_data
@pytest.mark.skipif(not MH_CSV.exists(), reason=NO_DATA)
def test_real_q2_every_trust_explained():
    from xl_league.nhse import read_nhse_trust_data

    imp = read_nhse_trust_data(MH_CSV, quarter="Q2 2025/26", scores="published")
    meth = load_methodology().with_settings(cut_points=(2.065, 2.345, 2.66),
                                            bootstrap_replicates=0)
    res = compute_league_tables(imp.organisations, imp.values, meth, imp.catalogue)
    published = imp.published
    for code in res.league.index:
        e = explain(res, code)
        assert e.metrics["contribution"].sum() == \
            pytest.approx(res.league.at[code, "average_score_unrounded"])
        flagged = bool(published.at[code, "financial_override"])
        override_line = [ln for ln in e.lines if "financial override" in ln and "deficit" in ln][0]
        assert override_line.startswith("In deficit" if flagged else "Not in deficit")
        capped = flagged and published.at[code, "unadjusted_segment"] <= 2
        assert ("without it the average" in override_line) == capped
