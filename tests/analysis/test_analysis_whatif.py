"""What-if and what-it-would-take, on small datasets checked by hand (and on the real data).

Dataset "five acute trusts, two metrics" (fixed cut-points 2.0 / 2.6 / 3.3 unless a test says):

    code  OF0013 (A&E 4h %, higher)  OF0082 (sickness %, lower)  average  segment  deficit
    A1    80 -> 1.00                 5.0 -> 2.50                 1.75     1        No
    A2    75 -> 1.75                 4.0 -> 1.00                 1.38     1 -> 3   Yes
    A3    70 -> 2.50                 6.0 -> 4.00                 3.25     3        No
    A4    65 -> 3.25                 4.5 -> 1.75                 2.50     2        No
    A5    60 -> 4.00                 5.5 -> 3.25                 3.63     4        No

Ranked score = 1 + 3·b/4, b = peers strictly better. Positions: A1 1, A4 2, A2 3, A3 4, A5 5.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from xl_league import InputError, load_catalogue, load_methodology
from xl_league.analysis import WHAT_IT_TAKES_COLUMNS, what_it_takes, whatif
from xl_league.engine.catalogue import CATALOGUE_COLUMNS, catalogue_from_rows
from nhse_data import MH_CSV
from nhse_data import SKIP_REASON as NO_DATA

CUTS = (2.0, 2.6, 3.3)


def orgs(deficit=("No", "Yes", "No", "No", "No")) -> pd.DataFrame:
    return pd.DataFrame({"code": ["A1", "A2", "A3", "A4", "A5"],
                         "name": ["Ash", "Birch", "Cedar", "Damson", "Elm"],
                         "type": "acute", "in_deficit": list(deficit)})


def values() -> pd.DataFrame:
    return pd.DataFrame({"OF0013": [80.0, 75.0, 70.0, 65.0, 60.0],
                         "OF0082": [5.0, 4.0, 6.0, 4.5, 5.5]},
                        index=pd.Index(["A1", "A2", "A3", "A4", "A5"], name="code"))


def meth(cuts=CUTS, **kw):
    m = load_methodology().with_settings(bootstrap_replicates=0, **kw)
    return m.with_settings(cut_points=cuts) if cuts else m


# --- whatif ------------------------------------------------------------------------------

def test_raising_one_value_rescores_the_peers_it_overtakes():
    w = whatif(orgs(), values(), org="A4", set_values={"OF0013": 78.0}, methodology=meth())
    # A4 now 2nd best on OF0013 (b=1 → 1.75); A2 and A3 each have one more better peer.
    assert w.summary.loc["average_score"].tolist() == [2.5, 1.75]
    assert w.summary.loc["unadjusted_segment"].tolist() == [2, 1]
    assert w.summary.loc["segment"].tolist() == [2, 1]
    assert w.summary.loc["position"].tolist() == [2, 1]
    changes = w.score_changes.set_index("code")
    assert set(changes.index) == {"A2", "A3", "A4"}
    assert (changes["metric"] == "OF1013").all()
    assert changes.loc["A4", ["score_before", "score_after"]].tolist() == [3.25, 1.75]
    assert changes.loc["A2", ["score_before", "score_after"]].tolist() == [1.75, 2.5]
    assert changes.loc["A3", ["score_before", "score_after"]].tolist() == [2.5, 3.25]
    assert set(w.others_affected) == {"A2", "A3"}


def test_the_whole_table_is_re_ranked_with_movement():
    w = whatif(orgs(), values(), org="A4", set_values={"OF0013": 78.0}, methodology=meth())
    t = w.table.set_index("code")
    # after: A1 and A4 tie at (1, 1.75) → 1, 1; A2 (3, 1.75) → 3; A3 and A5 tie at (4, 3.63)
    assert t["position_before"].to_dict() == {"A1": 1, "A4": 2, "A2": 3, "A3": 4, "A5": 5}
    assert t["position_after"].to_dict() == {"A1": 1, "A4": 1, "A2": 3, "A3": 4, "A5": 4}
    assert t["movement"].to_dict() == {"A1": 0, "A4": 1, "A2": 0, "A3": 0, "A5": 1}
    assert t.loc["A3", ["average_before", "average_after"]].tolist() == [3.25, 3.63]
    assert t.loc["A3", ["segment_before", "segment_after"]].tolist() == [3, 4]
    assert t.loc["A2", "scores_changed"] == "OF1013" and t.loc["A1", "scores_changed"] == ""
    assert list(w.table["code"]) == ["A1", "A4", "A2", "A3", "A5"]   # in the "after" order
    assert w.changes.to_dict("records") == [{"what": "OF0013", "before": 65.0, "after": 78.0}]


def test_clearing_the_deficit_removes_the_override_and_moves_no_scores():
    w = whatif(orgs(), values(), org="A2", deficit=False, methodology=meth())
    assert w.summary.loc["segment"].tolist() == [3, 1]
    assert w.summary.loc["unadjusted_segment"].tolist() == [1, 1]
    assert w.summary.loc["in_deficit"].tolist() == [True, False]
    assert w.summary.loc["position"].tolist() == [3, 1]
    assert w.score_changes.empty and w.others_affected == ()
    assert w.table.set_index("code")["position_after"].to_dict() == \
        {"A2": 1, "A1": 2, "A4": 3, "A3": 4, "A5": 5}


def test_a_supplied_score_changes_only_that_organisation():
    w = whatif(orgs(), values(), org="A5", set_values={"OF1082": 1.0}, methodology=meth())
    assert w.summary.loc["average_score"].tolist() == [3.63, 2.5]   # (4 + 1) / 2
    assert w.summary.loc["segment"].tolist() == [4, 2]
    assert w.others_affected == ()


def test_cut_points_stay_fixed_by_default_and_can_be_recomputed():
    # National quartiles of the averages 1.38 1.75 2.50 3.25 3.63 (QUARTILE.INC): 1.75 2.50 3.25
    w = whatif(orgs(), values(), org="A4", set_values={"OF0013": 78.0}, methodology=meth(None))
    assert w.before.cut_points[["c1", "c2", "c3"]].iloc[0].tolist() == [1.75, 2.5, 3.25]
    assert w.after.cut_points[["c1", "c2", "c3"]].iloc[0].tolist() == [1.75, 2.5, 3.25]
    # A4: 2.50 is at c2 → segment 3 before; 1.75 is at c1 → segment 2 after
    assert w.summary.loc["unadjusted_segment"].tolist() == [3, 2]
    assert any("cut-points kept" in n for n in w.notes)
    # After averages 1.75 1.75 1.75 3.63 3.63 → quartiles 1.75 1.75 3.63: 1.75 is segment 3
    r = whatif(orgs(), values(), org="A4", set_values={"OF0013": 78.0}, methodology=meth(None),
               recompute_cut_points=True)
    assert r.after.cut_points[["c1", "c2", "c3"]].iloc[0].tolist() == [1.75, 1.75, 3.63]
    assert r.summary.loc["unadjusted_segment"].tolist() == [3, 3]


def test_per_type_cut_points_are_kept_per_type():
    """Type quartiles: the acute change keeps the acute cut-points; non-acute is untouched."""
    o = pd.concat([orgs(), pd.DataFrame({"code": ["N1", "N2", "N3", "N4"], "name": list("PQRS"),
                                         "type": "non-acute", "in_deficit": "No"})])
    v = pd.concat([values(), pd.DataFrame({"OF0082": [4.2, 4.8, 5.2, 5.8]},
                                          index=pd.Index(["N1", "N2", "N3", "N4"], name="code"))])
    m = meth(None, cut_point_rule="type-quartiles")
    w = whatif(o, v, org="A4", set_values={"OF0013": 78.0}, methodology=m)
    assert len(w.before.cut_points) == 2
    pd.testing.assert_frame_equal(w.after.cut_points, w.before.cut_points)
    non_acute = ["N1", "N2", "N3", "N4"]
    for col in ("average_score", "segment", "position"):
        assert w.after.league.loc[non_acute, col].tolist() == \
            w.before.league.loc[non_acute, col].tolist()
    assert list(w.table["code"]) == ["A1", "A4", "A2", "A3", "A5"]


def test_tied_quartiles_are_kept_as_they_were():
    """Quartiles of 1 1 1 2.5 4 tie (c1 = c2 = 1): the fixed 'after' run keeps them."""
    v = pd.DataFrame({"OF0013": [80.0, 80.0, 80.0, 70.0, 60.0]},
                     index=pd.Index(["A1", "A2", "A3", "A4", "A5"], name="code"))
    w = whatif(orgs(), v, org="A5", set_values={"OF0013": 65.0}, methodology=meth(None))
    assert w.before.cut_points[["c1", "c2"]].iloc[0].tolist() == [1.0, 1.0]
    b, a = w.before.league, w.after.league
    assert a.loc[["A1", "A2", "A3", "A4"], "unadjusted_segment"].tolist() == \
        b.loc[["A1", "A2", "A3", "A4"], "unadjusted_segment"].tolist()


def test_published_scores_are_read_off_the_peers():
    """With supplied (published) scores, the new score is the best supplied score of the peers
    the new value equals or beats; the others' supplied scores stay as given."""
    v = values().assign(OF1013=[1.1, 1.9, 2.6, 3.2, 3.9])
    w = whatif(orgs(), v, org="A4", set_values={"OF0013": 78.0}, methodology=meth())
    assert w.score_changes[["code", "score_before", "score_after"]].values.tolist() == \
        [["A4", 3.2, 1.9]]                      # 78 beats A2 (75, 1.9), A3, A5
    assert any("supplied" in n and "1.90" in n for n in w.notes)
    tie = whatif(orgs(), v, org="A4", set_values={"OF0013": 70.0}, methodology=meth())
    assert tie.score_changes["score_after"].tolist() == [2.6]   # equals A3's 70
    worst = whatif(orgs(), v, org="A4", set_values={"OF0013": 50.0}, methodology=meth())
    assert worst.score_changes["score_after"].tolist() == [4.0]  # beats nobody


def finance_orgs() -> pd.DataFrame:
    return pd.DataFrame({"code": ["F1", "F2", "F3", "F4", "F5"], "name": list("VWXYZ"),
                         "type": "acute", "in_deficit": None})


def finance_values() -> pd.DataFrame:
    return pd.DataFrame({"OF0013": [80.0, 75.0, 70.0, 65.0, 60.0],
                         "OF0079": [0.5, 0.0, -1.5, 1.0, -3.0],
                         "OF0081": [0.0, 0.2, 0.0, 0.0, -1.2]},
                        index=pd.Index(["F1", "F2", "F3", "F4", "F5"], name="code"))


def test_planned_deficit_cleared_removes_the_derived_deficit():
    """F3: plan -1.5 % → OF1079 3, OF1080 = matrix[3][1] = 2, flag blank → derived in deficit.
    Average (2.5 + 2) / 2 = 2.25 → segment 2 → capped at 3.
    Plan 0 → OF1080 1, not in deficit."""
    w = whatif(finance_orgs(), finance_values(), org="F3", set_values={"OF0079": 0.0},
               methodology=meth())
    assert w.summary.loc["average_score"].tolist() == [2.25, 1.75]
    assert w.summary.loc["in_deficit"].tolist() == [True, False]
    assert w.summary.loc["segment"].tolist() == [3, 1]
    changed = w.score_changes[w.score_changes["code"] == "F3"].set_index("metric")
    assert changed.loc["OF1079", "score_after"] == 1.0
    assert changed.loc["OF1080", "score_after"] == 1.0


def test_a_supplied_banded_score_is_rescored_with_the_bands():
    v = finance_values().assign(OF1080=[1.0, 1.0, 2.0, 1.0, 4.0])
    w = whatif(finance_orgs(), v, org="F3", set_values={"OF0079": 0.0}, methodology=meth())
    assert w.after.metric_scores.at["F3", "OF1080"] == 1.0
    assert w.after.metric_scores.at["F5", "OF1080"] == 4.0       # others' supplied kept
    assert any("OF1080" in n and "recomputed" in n for n in w.notes)


@pytest.mark.parametrize("kwargs, words", [
    ({"org": "ZZZ", "set_values": {"OF0013": 1.0}}, "'ZZZ' is not in the inputs"),
    ({"org": "A11", "set_values": {"OF0013": 1.0}}, "did you mean A1"),
    ({"org": "A1", "set_values": {"OF9999": 1.0}}, "'OF9999' is not in the 2025/26 catalogue"),
    ({"org": "A1", "set_values": {"OF0005": 1.0}}, "does not apply to acute"),
    ({"org": "A1", "set_values": {"OF1013": 5.0}}, "outside 1 to 4"),
    ({"org": "A1", "set_values": {"OF0013": float("nan")}}, "not a finite number"),
    ({"org": "A1", "set_values": {"OF0013": "abc"}}, "'abc' is not a number"),
    ({"org": "A1", "set_values": {"OF0106": 1.0}}, "set OF1106=1..4 instead"),
    ({"org": "A1"}, "nothing to change"),
])
def test_bad_requests_name_what_is_wrong(kwargs, words):
    with pytest.raises(InputError, match=None) as err:
        whatif(orgs(), values(), methodology=meth(), **kwargs)
    assert words in str(err.value)


def test_codes_and_metric_ids_are_case_insensitive():
    w = whatif(orgs(), values(), org="a4", set_values={"of0013": 78.0}, methodology=meth())
    assert w.code == "A4" and w.changes["what"].tolist() == ["OF0013"]


# --- what it takes ---------------------------------------------------------------------------

def test_what_it_takes_to_reach_the_next_segment():
    """A3: 70 → 2.50 and 6.0 → 4.00, average 3.25, segment 3; segment 2 needs < 2.6.
    OF0013: 75 gives 1.75 → 2.88 (no); 80 gives 1.00 → 2.50 (yes).
    OF0082: 5.5 gives 3.25 → 2.88 (no); 5.0 gives 2.50 → 2.50 (yes)."""
    t = what_it_takes(orgs(), values(), org="A3", target="segment", methodology=meth())
    assert list(t.columns) == list(WHAT_IT_TAKES_COLUMNS)
    rows = t.set_index("value_id")
    assert rows.loc["OF0013", ["comparison", "target_value", "change_needed"]].tolist() == \
        [">=", 80.0, 10.0]
    assert rows.loc["OF0013", ["new_score", "new_average", "new_unadjusted_segment"]].tolist() \
        == [1.0, 2.5, 2]
    assert rows.loc["OF0082", ["comparison", "target_value", "change_needed"]].tolist() == \
        ["<=", 5.0, -1.0]
    assert rows["reachable"].all()
    assert t.attrs["goal"] == "unadjusted segment 2 (now 3)" and t.attrs["position"] == 4


def test_what_it_takes_to_gain_a_position():
    """A3 is 4th; at 75 (OF0013) or 5.5 (OF0082) it stays 4th behind A2 (3, 1.38); at 80 or
    5.0 it is (2, 2.50), tied 2nd with A4."""
    t = what_it_takes(orgs(), values(), org="A3", target="position", methodology=meth())
    rows = t.set_index("value_id")
    assert rows["target_value"].to_dict() == {"OF0013": 80.0, "OF0082": 5.0}
    assert rows["new_position"].tolist() == [2, 2]


def test_not_reachable_by_this_metric_alone():
    """Cut-points 1.5 / 2.1 / 2.4: A5 (4.00, 3.25 → 3.63) needs < 2.4. Via OF0013 best 1.00 →
    2.13 (yes, at 80); via OF0082 the best, 1.00, gives (4 + 1) / 2 = 2.50: not reachable."""
    t = what_it_takes(orgs(), values(), org="A5", target="segment",
                      methodology=meth((1.5, 2.1, 2.4)))
    rows = t.set_index("value_id")
    assert rows.loc["OF0013", ["reachable", "target_value", "new_average"]].tolist() == \
        [True, 80.0, 2.13]
    assert not rows.loc["OF0082", "reachable"]
    assert np.isnan(rows.loc["OF0082", "target_value"])
    assert rows.loc["OF0082", ["new_score", "new_average", "new_unadjusted_segment"]].tolist() \
        == [1.0, 2.5, 4]
    assert rows.loc["OF0082", "note"].startswith("not reachable by this metric alone")


def test_the_override_would_still_cap_the_segment():
    t = what_it_takes(orgs(("No", "Yes", "Yes", "No", "No")), values(), org="A3",
                      target="segment", methodology=meth())
    row = t.set_index("value_id").loc["OF0013"]
    assert row["new_unadjusted_segment"] == 2 and row["new_segment"] == 3
    assert "financial override would still cap the segment at 3" in row["note"]


def test_already_in_segment_one():
    t = what_it_takes(orgs(), values(), org="A2", target="segment", methodology=meth())
    assert len(t) == 0 and list(t.columns) == list(WHAT_IT_TAKES_COLUMNS) and t.attrs["done"]
    assert t.attrs["goal"] == ("already in segment 1; the financial override keeps it in "
                               "segment 3 while in deficit")


def test_already_the_best_value():
    t = what_it_takes(orgs(), values(), org="A1", target="position",
                      methodology=meth((1.5, 2.1, 2.4)))
    assert t.attrs["position"] == 1 and len(t) == 0
    assert t.attrs["goal"] == "already at position 1" and t.attrs["done"]
    t = what_it_takes(orgs(), values(), org="A2", target="position", methodology=meth())
    row = t.set_index("value_id").loc["OF0082"]      # A2 has the best sickness rate already
    assert not row["reachable"] and "already at the best value" in row["note"]


def test_banded_metrics_use_their_thresholds():
    """A banded metric in the average, '>=90:1; >80:2; >70:3; else:4': at 75 (score 3), the
    nearest better band is 'more than 80' (score 2), then 'at least 90' (score 1)."""
    rows = load_catalogue().to_rows() + [{
        "score_id": "OF1900", "value_id": "OF0900", "name": "Test banded", "domain":
        "Access to services", "direction": "higher", "scoring": "banded",
        "rule": ">=90:1; >80:2; >70:3; else:4", "peer_group": "type", "types": "acute",
        "in_average": "yes"}]
    cat = catalogue_from_rows("2025/26", [{k: r.get(k, "") for k in CATALOGUE_COLUMNS} for r in rows],
                              load_methodology().types)
    v = values().assign(OF0900=[95.0, 95.0, 75.0, 95.0, 95.0])
    # A3: OF1013 2.5, OF1082 4.0, OF1900 3 → 3.17, segment 3. Score 2 → 2.83 (3); 1 → 2.5 (2)
    t = what_it_takes(orgs(), v, org="A3", target="segment", methodology=meth(), catalogue=cat)
    row = t.set_index("value_id").loc["OF0900"]
    assert row[["comparison", "target_value", "new_score", "new_average"]].tolist() == \
        [">=", 90.0, 1.0, 2.5]
    t = what_it_takes(orgs(), v, org="A3", target="segment", methodology=meth((2.0, 2.9, 3.3)),
                      catalogue=cat)
    row = t.set_index("value_id").loc["OF0900"]
    assert row[["comparison", "target_value", "new_score", "new_average"]].tolist() == \
        [">", 80.0, 2.0, 2.83]


def test_a_what_it_takes_answer_is_what_whatif_finds():
    t = what_it_takes(orgs(), values(), org="A3", target="position", methodology=meth())
    for _, row in t[t["reachable"]].iterrows():
        w = whatif(orgs(), values(), org="A3", set_values={row["value_id"]: row["target_value"]},
                   methodology=meth())
        assert w.summary.loc["position", "after"] == row["new_position"]
        assert w.summary.loc["average_score", "after"] == row["new_average"]


def test_bad_target_or_unscored_organisation():
    with pytest.raises(InputError, match="target 'rank' is not one of segment, position"):
        what_it_takes(orgs(), values(), org="A3", target="rank", methodology=meth())
    o = pd.concat([orgs(), pd.DataFrame({"code": ["A6"], "name": ["Fir"], "type": "acute"})])
    with pytest.raises(InputError, match="A6 has no average metric score"):
        what_it_takes(o, values(), org="A6", methodology=meth())


# --- real data -------------------------------------------------------------------------------



@pytest.mark.nhse_data
@pytest.mark.skipif(not MH_CSV.exists(), reason=NO_DATA)
@pytest.mark.parametrize("target", ["segment", "position"])
def test_real_data_answers_hold_when_applied(target):
    """Q2 2025/26 with NHS England's published scores: every reachable answer, applied with
    whatif, gives the promised average and position, which reach the goal."""
    from xl_league.nhse import read_nhse_trust_data

    imp = read_nhse_trust_data(MH_CSV, quarter="Q2 2025/26", scores="published")
    m = load_methodology().with_settings(cut_points=(2.065, 2.345, 2.66), bootstrap_replicates=0)
    code = "RX3"   # unadjusted segment 3, position 34 of 61 in Q2, not in deficit
    t = what_it_takes(imp.organisations, imp.values, org=code, target=target, methodology=m,
                      catalogue=imp.catalogue)
    assert (t.attrs["unadjusted_segment"], t.attrs["position"]) == (3, 34)
    assert t["reachable"].any() and t["score_supplied"].all()
    for _, row in t[t["reachable"]].iterrows():
        w = whatif(imp.organisations, imp.values, org=code,
                   set_values={row["value_id"]: row["target_value"]}, methodology=m,
                   catalogue=imp.catalogue)
        assert w.summary.loc["average_score", "after"] == row["new_average"]
        assert w.summary.loc["position", "after"] == row["new_position"]
        if target == "segment":
            assert row["new_unadjusted_segment"] < 3
        else:
            assert row["new_position"] < 34
