"""Quarter on quarter: movements attributed to the financial override or to score change.

Hand-checked dataset: one supplied-score metric (OF1106), so each trust's average is exactly
the score typed, and fixed cut-points 2.0 / 2.6 / 3.3 (1.5 → segment 1, 2.2 → 2, 2.8 → 3,
3.5 → 4). The financial override caps a trust in deficit at segment 3.
"""

from __future__ import annotations


import pandas as pd
import pytest

from xl_league import compute_league_tables, load_methodology
from xl_league.analysis import CAUSES, COMPARE_COLUMNS, compare
from nhse_data import MH_CSV
from nhse_data import SKIP_REASON as NO_DATA

CUTS = (2.0, 2.6, 3.3)

#            old score, old deficit, new score, new deficit, expected cause
CASES = {
    "C1": (1.5, "No", 1.5, "Yes", "override applied"),            # 1 → 3
    "C2": (1.5, "Yes", 1.5, "No", "override removed"),            # 3 → 1
    "C3": (2.2, "No", 1.5, "No", "score change"),                 # 2 → 1
    "C4": (1.5, "No", 2.2, "Yes", "score change and override"),   # 1 → 3 (2 without the flag)
    "C5": (2.2, "Yes", 2.2, "Yes", "no change"),                  # 3 → 3
    "C6": (2.2, "Yes", 3.5, "Yes", "score change"),               # 3 → 4, flag unchanged
    "C7": (2.8, "No", 2.2, "Yes", "score change within segment"),  # 3 → 3, position 7 → 5
    "C8": (2.8, "No", 3.5, "Yes", "score change"),                # 3 → 4, flag irrelevant at 3-4
    "C9": (3.5, "Yes", 2.2, "No", "score change and override"),   # 4 → 2 (3 with the flag)
}


def results(quarter: str, replicates: int = 0, extra: dict | None = None):
    rows = {code: (c[0], c[1]) if quarter == "old" else (c[2], c[3])
            for code, c in CASES.items()}
    rows.update(extra or {})
    codes = list(rows)
    orgs = pd.DataFrame({"code": codes, "name": [f"Trust {c}" for c in codes], "type": "acute",
                         "in_deficit": [rows[c][1] for c in codes]})
    values = pd.DataFrame({"OF1106": [rows[c][0] for c in codes]},
                          index=pd.Index(codes, name="code"))
    meth = load_methodology().with_settings(cut_points=CUTS, bootstrap_replicates=replicates)
    return compute_league_tables(orgs, values, meth)


def test_each_cause_by_hand():
    df = compare(results("old", extra={"CL": (2.2, "No")}),
                 results("new", extra={"CN": (1.5, "No")}))
    assert list(df.columns) == list(COMPARE_COLUMNS)
    assert list(df.columns[:8]) == ["code", "name", "type", "position_old", "position_new",
                                    "segment_old", "segment_new", "cause"]
    got = df.set_index("code")["cause"].to_dict()
    for code, case in CASES.items():
        assert got[code] == case[4], code
    assert got["CL"] == "left" and got["CN"] == "new"
    assert set(got.values()) <= set(CAUSES)


def test_segments_positions_and_override_columns():
    df = compare(results("old"), results("new")).set_index("code")
    assert df.loc["C1", ["segment_old", "segment_new"]].tolist() == [1, 3]
    assert df.loc["C1", ["unadjusted_segment_old", "unadjusted_segment_new"]].tolist() == [1, 1]
    assert df.loc["C1", ["override_old", "override_new"]].tolist() == [False, True]
    assert df.loc["C9", ["segment_old", "segment_new", "final_segment_new"]].tolist() == [4, 2, 2]
    assert df.loc["C6", ["override_old", "override_new"]].tolist() == [True, False]
    # old keys (segment, average); C2 is capped at 3 by the override:
    # C1 (1,1.5) C4 (1,1.5) C3 (2,2.2) C2 (3,1.5) C5 C6 (3,2.2) C7 C8 (3,2.8) C9 (4,3.5)
    assert df["position_old"].to_dict() == {"C1": 1, "C4": 1, "C3": 3, "C2": 4, "C5": 5,
                                            "C6": 5, "C7": 7, "C8": 7, "C9": 9}
    # new: C2 C3 (1,1.5) C9 (2,2.2) C1 (3,1.5) C4 C5 C7 (3,2.2) C6 C8 (4,3.5)
    assert df["position_new"].to_dict() == {"C2": 1, "C3": 1, "C9": 3, "C1": 4, "C4": 5,
                                            "C5": 5, "C7": 5, "C6": 8, "C8": 8}
    assert df.loc["C9", "position_change"] == 6 and df.loc["C1", "position_change"] == -3
    # ordered by new position, then old position
    assert list(df.index) == ["C3", "C2", "C9", "C1", "C4", "C5", "C7", "C6", "C8"]


def test_new_and_left_rows_keep_what_is_known():
    df = compare(results("old", extra={"CL": (2.2, "No")}),
                 results("new", extra={"CN": (1.5, "No")})).set_index("code")
    assert df.loc["CL", "name"] == "Trust CL" and df.loc["CL", "segment_old"] == 2
    assert pd.isna(df.loc["CL", "segment_new"]) and pd.isna(df.loc["CL", "position_change"])
    assert df.loc["CN", "segment_new"] == 1 and pd.isna(df.loc["CN", "position_old"])
    assert list(df.index[-1:]) == ["CL"]            # organisations that left come last


def test_same_segment_causes_say_who_moved():
    """Same segment: no change, only peers moved, or the organisation's own average moved."""
    extra_old = {"P1": (2.8, "No"), "P2": (2.9, "No"), "P3": (3.0, "No")}
    extra_new = {"P1": (2.8, "No"), "P2": (2.5, "No"), "P3": (3.0, "No")}
    df = compare(results("old", extra=extra_old), results("new", extra=extra_new))
    df = df.set_index("code")
    # old segment 3 keys: P1 (3, 2.8), P2 (3, 2.9), P3 (3, 3.0); new P2 improves to 2.5 (seg 2)
    assert df.loc["P2", "cause"] == "score change"
    assert df.loc["P1", "position_change"] != 0 and df.loc["P1", "cause"] == "peers moved"
    assert df.loc["C5", "cause"] in ("no change", "peers moved")
    assert (df.loc[df["position_change"] == 0, "cause"].isin(
        ["no change", "score change", "override applied", "override removed",
         "score change and override", "cut-points moved"])).all()


def test_score_change_within_segment_and_cut_points_moved():
    old = results("old", extra={"W1": (2.1, "No"), "K1": (2.55, "No")})
    new = results("new", extra={"W1": (2.5, "No"), "K1": (2.55, "No")})
    df = compare(old, new).set_index("code")
    assert df.loc["W1", ["segment_old", "segment_new"]].tolist() == [2, 2]
    assert df.loc["W1", "cause"] == "score change within segment"
    # the same average, new cut-points: segment 2 under 2.0/2.6/3.3, 3 under 2.0/2.5/3.3
    moved = new.methodology.with_settings(cut_points=(2.0, 2.5, 3.3))
    new2 = compute_league_tables(new.organisations.reset_index(), new.metric_values, moved)
    df = compare(old, new2).set_index("code")
    assert df.loc["K1", ["segment_old", "segment_new"]].tolist() == [2, 3]
    assert df.loc["K1", "cause"] == "cut-points moved"


def test_significant_by_the_paired_bootstrap():
    """Many metrics that all improve by a lot: significant; one metric of many moving, or
    nothing changing: not."""
    ids = [m.score_id for m in _catalogue().for_type("acute") if m.in_average][:8]
    codes = ["S1", "S2", "S3", "S4"]
    orgs = pd.DataFrame({"code": codes, "name": codes, "type": "acute", "in_deficit": "No"})
    base = pd.DataFrame(3.0, index=pd.Index(codes, name="code"), columns=ids)
    later = base.copy()
    later.loc["S1"] = 1.5                                   # every metric better by 1.5
    later.loc["S2", ids[0]] = 1.0                           # one metric of eight
    later.loc["S4", ids] = [2.0, 4.0] * 4                       # half better, half worse: net 0
    meth = load_methodology().with_settings(cut_points=CUTS, bootstrap_replicates=0)
    old = compute_league_tables(orgs, base, meth)
    new = compute_league_tables(orgs, later, meth)
    df = compare(old, new).set_index("code")
    assert df["significant"].to_dict() == {"S1": True, "S2": False, "S3": False, "S4": False}
    assert df.loc["S1", "change_high"] < 0 and df.loc["S3", ["change_low", "change_high"]
                                                       ].tolist() == [0.0, 0.0]
    # seeded: the same answer twice; another seed may move the interval, not these answers
    again = compare(old, new, seed=7).set_index("code")
    assert again["significant"].to_dict() == df["significant"].to_dict()
    assert compare(old, new)[["change_low", "change_high"]].equals(
        compare(old, new)[["change_low", "change_high"]])


def _catalogue():
    from xl_league import load_catalogue
    return load_catalogue(load_methodology())


def test_no_organisation_in_common_is_a_warning():
    old = results("old")
    orgs = old.organisations.reset_index()
    orgs["code"] = "X" + orgs["code"]
    vals = old.metric_values.set_axis("X" + old.metric_values.index)
    other = compute_league_tables(orgs, vals, old.methodology)
    df = compare(old, other)
    assert df.attrs["warnings"] == [
        "the two quarters have no organisation in common: every organisation is 'new' or "
        "'left' (are these books of the same organisations, e.g. the same trust types?)"]
    assert set(df["cause"]) == {"new", "left"} and df["significant"].isna().all()
    assert compare(old, old).attrs["warnings"] == []


def test_a_trust_without_a_segment_is_not_segmented():
    old = results("old", extra={"CX": (2.2, "No")})
    orgs = old.organisations.reset_index()
    vals = old.metric_values.copy()
    vals.loc["CX", "OF1106"] = float("nan")
    new = compute_league_tables(orgs, vals, old.methodology)
    assert compare(old, new).set_index("code").loc["CX", "cause"] == "not segmented"


# --- real data: Q1 → Q2 2025/26 ---------------------------------------------------------------

QUARTER_CUTS = {"Q1 2025/26": (2.05, 2.325, 2.62), "Q2 2025/26": (2.065, 2.345, 2.66)}


def quarter(q: str):
    from xl_league.nhse import read_nhse_trust_data

    imp = read_nhse_trust_data(MH_CSV, quarter=q, scores="published")
    meth = load_methodology().with_settings(cut_points=QUARTER_CUTS[q],
                                            bootstrap_replicates=200)
    return compute_league_tables(imp.organisations, imp.values, meth, imp.catalogue), imp


@pytest.mark.nhse_data
@pytest.mark.skipif(not MH_CSV.exists(), reason=NO_DATA)
def test_real_q1_to_q2_against_the_published_segments_and_flags():
    (old, imp1), (new, imp2) = quarter("Q1 2025/26"), quarter("Q2 2025/26")
    df = compare(old, new).set_index("code")
    p1, p2 = imp1.published, imp2.published
    assert len(df) == 61 and set(df["cause"]) <= set(CAUSES) - {"new", "left"}
    # The segments it reports are NHS England's, both quarters.
    assert df["segment_old"].astype(int).to_dict() == p1["segment"].astype(int).to_dict()
    assert df["segment_new"].astype(int).to_dict() == p2["segment"].astype(int).to_dict()
    assert df["unadjusted_segment_old"].astype(int).to_dict() == \
        p1["unadjusted_segment"].astype(int).to_dict()
    # The override is blamed exactly where NHS England's flag (OF5004) changed while the
    # unadjusted segment was 1-2, and the segment moved.
    flag_old = p1["financial_override"].reindex(df.index).astype(bool)
    flag_new = p2["financial_override"].reindex(df.index).astype(bool)
    u_old = p1["unadjusted_segment"].reindex(df.index)
    u_new = p2["unadjusted_segment"].reindex(df.index)
    moved = df["segment_old"] != df["segment_new"]
    override_mattered = (flag_old != flag_new) & ((u_old <= 2) | (u_new <= 2)) & moved
    assert (df["cause"].str.contains("override") == override_mattered).all()
    applied = df["cause"] == "override applied"
    assert (flag_new[applied] & ~flag_old[applied] & (u_old == u_new)[applied]).all()
    removed = df["cause"] == "override removed"
    assert (flag_old[removed] & ~flag_new[removed] & (u_old == u_new)[removed]).all()
    # A pure score change never involves a flag change where it mattered.
    score = df["cause"] == "score change"
    assert ((u_old != u_new)[score]).all()
    same = df["cause"].isin(["no change", "peers moved", "score change within segment"])
    assert (same == ~moved).all()
    assert override_mattered.sum() >= 1          # the quarter has such movements


@pytest.mark.nhse_data
@pytest.mark.skipif(not MH_CSV.exists(), reason=NO_DATA)
def test_real_q1_to_q2_significance_against_nhs_englands_proportions():
    """The calibration of the significance test (xl_league/engine/significance.py) on the 61
    mental health and community trusts: segment changes by cause, and significant changes
    without a segment change. NHS England (all 205 trusts): 8 of 32 non-override segment
    changes significant (25 %), 9 of 167 unchanged segments (5.4 %)."""
    (old, _), (new, _) = quarter("Q1 2025/26"), quarter("Q2 2025/26")
    df = compare(old, new)
    moved = df["segment_old"] != df["segment_new"]
    override = df["cause"].str.contains("override")
    significant = df["significant"].astype(bool)
    assert df["significant"].notna().all()
    assert (moved.sum(), (moved & override).sum()) == (14, 3)
    assert (significant & moved & ~override).sum() == 3         # of 11: 27 %
    assert (significant & ~moved).sum() == 2                    # of 47: 4.3 %
    # the paired intervals hold the observed change
    avg = (df["average_new"] - df["average_old"]).astype(float)
    assert ((df["change_low"] <= avg + 0.006) & (avg - 0.006 <= df["change_high"])).all()
