"""The methodology and the metric catalogue are data: the shipped 2025/26 year says what
nof-methodology.md says, a 2026/27-style fixed-threshold year is a config change, and settings
that make no sense raise MethodologyError with a clear message."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from nhse_data import MH_CSV, SKIP_REASON, long_data
from xl_league import MethodologyError, compute_league_tables, load_catalogue, load_methodology
from xl_league.engine.catalogue import DOMAINS, catalogue_from_rows
from xl_league.engine.methodology import methodology_from_toml

METHOD = load_methodology()
CATALOGUE = load_catalogue()


# ---- the shipped 2025/26 year -------------------------------------------------------------------

def test_2025_26_settings():
    m = METHOD
    assert m.year == "2025/26" and m.cut_point_rule == "national-quartiles"
    assert m.quantile_method == "linear" and m.fixed_cut_points == ()
    assert m.national_pools == (("acute", "non-acute", "ambulance"), ("icb",))
    assert (m.override_cap_segment, m.rsp_segment, m.minimum_metrics) == (3, 5, 1)
    assert (m.best_score, m.worst_score, m.average_decimals) == (1.0, 4.0, 2)
    assert (m.deficit_plan_metric, m.deficit_variance_metric) == ("OF0079", "OF0081")
    assert (m.bootstrap_confidence, m.bootstrap_replicates) == (0.95, 2000)
    assert m.pool_of("ambulance") == ("acute", "non-acute", "ambulance")
    with pytest.raises(MethodologyError, match="no national pool"):
        m.pool_of("hospice")


def test_methodology_is_frozen_and_with_settings_copies():
    with pytest.raises(dataclasses.FrozenInstanceError):
        METHOD.cut_point_rule = "fixed"  # type: ignore[misc]
    fixed = METHOD.with_settings(cut_points=[2.05, 2.33, 2.62], bootstrap_seed=1)
    assert fixed.cut_point_rule == "fixed" and fixed.fixed_cut_points == (2.05, 2.33, 2.62)
    assert METHOD.cut_point_rule == "national-quartiles" and METHOD.bootstrap_seed == 2025


#: metric value ID -> direction, as the method's catalogue section lists them
DIRECTIONS = {"OF0005": "lower", "OF0041": "higher", "OF0016": "higher", "OF0061": "higher",
              "OF0057": "higher", "OF0063": "lower", "OF0082": "lower", "OF0084": "higher",
              "OF0086": "lower", "OF0023": "higher", "OF0003": "lower", "OF0010": "higher",
              "OF0011": "higher", "OF0013": "higher", "OF0014": "lower", "OF0025": "lower",
              "OF0020": "lower", "OF0088": "lower", "OF0048": "lower", "OF0085": "higher",
              "OF0017": "lower"}


def test_catalogue_directions_follow_the_method():
    by_value = {m.value_id: m for m in CATALOGUE if m.value_id}
    for value_id, direction in DIRECTIONS.items():
        assert by_value[value_id].direction == direction, value_id
        assert by_value[value_id].scoring == "ranked", value_id


def test_catalogue_structure():
    assert len({m.score_id for m in CATALOGUE}) == len(CATALOGUE)
    assert all(m.domain in DOMAINS for m in CATALOGUE)
    assert all(m.score_id[3:] == m.value_id[3:] for m in CATALOGUE if m.value_id)
    assert not CATALOGUE["OF1079"].in_average and not CATALOGUE["OF1081"].in_average
    assert CATALOGUE["OF1080"].in_average and CATALOGUE["OF1080"].components == ("OF1079", "OF1081")
    supplied = {m.score_id for m in CATALOGUE if m.scoring == "supplied"}
    assert supplied == {"OF1106", "OF1035", "OF1067"}
    assert {m.score_id for m in CATALOGUE.for_type("ambulance")} == {
        "OF1017", "OF1061", "OF1082", "OF1084", "OF1079", "OF1081", "OF1080"}
    assert CATALOGUE.for_type("icb") == ()  # ICBs are segmented from 2026/27


def test_catalogue_round_trips_through_its_rows():
    again = catalogue_from_rows(CATALOGUE.year, CATALOGUE.to_rows(), METHOD.types)
    assert again == CATALOGUE


def test_shipped_toml_is_what_load_methodology_returns():
    from importlib import resources
    text = resources.files("xl_league.data").joinpath("nof-2025-26.toml").read_text("utf-8")
    assert methodology_from_toml(text) == METHOD


@pytest.mark.nhse_data
@pytest.mark.skipif(not MH_CSV.exists(), reason=SKIP_REASON)
def test_catalogue_holds_every_published_mental_health_and_community_metric():
    rows = long_data()
    published = rows[rows["Metric_ID"].str.match(r"OF1\d{3}$")]
    domains = dict(zip(published["Metric_ID"], published["Domain"]))
    assert set(domains) == {m.score_id for m in CATALOGUE.for_type("non-acute")}
    for score_id, domain in domains.items():
        assert CATALOGUE[score_id].domain == domain, score_id
    raw = set(rows.loc[rows["Metric_ID"].str.match(r"OF0\d{3}$"), "Metric_ID"])
    assert raw == {m.value_id for m in CATALOGUE.for_type("non-acute") if m.value_id}


# ---- a 2026/27-style year is a config change ----------------------------------------------------

TOML_2026_27 = """
year = "2026/27"
types = ["acute", "non-acute", "ambulance", "icb"]
national_pools = [["acute", "non-acute", "ambulance"], ["icb"]]
[segments]
rule = "fixed"            # "defined thresholds" instead of quartiles
cut_points = [1.8, 2.4, 3.0]
[financial_override]
cap_segment = 3
fallback = false
[likely_ranges]
replicates = 0
"""

ROWS_2026_27 = [
    {"score_id": "OF2023", "value_id": "OF0023", "name": "RTT within 18 weeks",
     "domain": "Access to services", "direction": "higher", "scoring": "ranked",
     "peer_group": "national", "types": "acute icb", "in_average": "yes"},
    {"score_id": "OF2079", "value_id": "OF0079", "name": "Planned surplus/deficit",
     "domain": "Finance and productivity", "direction": "higher", "scoring": "banded",
     "rule": ">=0:1; >-1:2; >-2:3; else:4", "types": "acute icb", "in_average": "yes"},
]


def test_a_fixed_threshold_year_runs_from_data_alone():
    meth = methodology_from_toml(TOML_2026_27)
    assert (meth.year, meth.cut_point_rule, meth.fixed_cut_points) == ("2026/27", "fixed",
                                                                         (1.8, 2.4, 3.0))
    assert not meth.deficit_fallback and meth.bootstrap_replicates == 0
    catalogue = catalogue_from_rows(meth.year, ROWS_2026_27, meth.types)
    codes = ["RA1", "RA2", "RA3", "QA1", "QA2"]
    orgs = pd.DataFrame({"code": codes, "type": ["acute"] * 3 + ["icb"] * 2,
                         "in_deficit": ["No", "Yes", None, "No", "No"]})
    values = pd.DataFrame({"OF0023": [70.0, 65.0, 50.0, 60.0, 55.0],
                           "OF0079": [0.5, -0.5, -2.5, 0.0, -1.5]}, index=codes)
    result = compute_league_tables(orgs, values, meth, catalogue)
    league = result.league.loc[codes]
    # RTT ranked within each national pool: acute 1, 2.5, 4; ICBs 1, 4
    assert list(result.metric_scores.loc[codes, "OF2023"]) == [1.0, 2.5, 4.0, 1.0, 4.0]
    assert list(league["average_score"]) == [1.0, 2.25, 4.0, 1.0, 3.5]
    assert list(league["unadjusted_segment"]) == [1, 2, 4, 1, 4]   # thresholds 1.8, 2.4, 3.0
    assert list(league["segment"]) == [1, 3, 4, 1, 4]              # RA2 in deficit
    assert not league["deficit_derived"].any()                     # fallback off
    assert set(result.cut_points["rule"]) == {"fixed"}
    assert result.types_present == ["acute", "icb"]


def test_a_fixed_threshold_year_needs_no_quartile_pool():
    meth = methodology_from_toml(TOML_2026_27)
    catalogue = catalogue_from_rows(meth.year, ROWS_2026_27, meth.types)
    result = compute_league_tables(pd.DataFrame({"code": ["QA1"], "type": ["icb"]}),
                                   pd.DataFrame({"OF0079": [-0.5]}, index=["QA1"]), meth, catalogue)
    assert result.league.at["QA1", "segment"] == 2


# ---- invalid settings ----------------------------------------------------------------------------

@pytest.mark.parametrize("settings, message", [
    ({"cut_point_rule": "deciles"}, "cut-point rule 'deciles' is not one of"),
    ({"cut_point_rule": "fixed"}, "no cut-points were given"),
    ({"cut_points": (2.5, 2.0, 3.0)}, "three increasing numbers"),
    ({"cut_points": (2.0, 2.5)}, "three increasing numbers"),
    ({"cut_points": ("a", "b", "c")}, "must be three numbers"),
    ({"bootstrap_replicates": -1}, "must be 0 \\(off\\) or more"),
    ({"bootstrap_confidence": 1.0}, "between 0 and 1"),
    ({"minimum_metrics": 0}, "at least 1"),
    ({"national_pools": (("acute",), ("icb",))}, "must hold each type"),
    ({"quantile_method": "excel"}, "quantile method 'excel' is not one of"),
    ({"override_cap_segment": 5}, "cap segment 5 must be 1 to 4"),
    ({"best_score": 4.0, "worst_score": 1.0}, "best score 4.0 must be below worst score"),
])
def test_invalid_settings_raise_methodology_error(settings, message):
    with pytest.raises(MethodologyError, match=message):
        METHOD.with_settings(**settings)


@pytest.mark.parametrize("text, message", [
    ("year = ", "not valid TOML"),
    ("[segments]\nrule = 'fixed'\ncut_points = [1, 'x', 3]", "must be three numbers"),
    ("[segments]\naverage_decimals = 'two'", "value of the wrong kind"),
    ("[likely_ranges]\nreplicates = 'many'", "value of the wrong kind"),
    ("[segments]\nrule = 'fixed'", "no cut-points were given"),
])
def test_invalid_methodology_files_raise_methodology_error(text, message):
    with pytest.raises(MethodologyError, match=message):
        methodology_from_toml(text)


def test_unknown_year():
    with pytest.raises(MethodologyError, match="no methodology for year '2030/31'"):
        load_methodology("2030/31")


GOOD_ROW = {"score_id": "OF1999", "value_id": "OF0999", "name": "x", "domain": "Patient safety",
            "direction": "lower", "scoring": "ranked", "peer_group": "type", "types": "acute",
            "in_average": "yes"}


@pytest.mark.parametrize("change, message", [
    ({"score_id": "X1"}, "metric ID 'X1' is not like OF1023"),
    ({"scoring": "weighted"}, "scoring 'weighted' is not one of"),
    ({"direction": "up"}, "direction 'up' is not higher or lower"),
    ({"peer_group": "regional"}, "peer group 'regional' is not type or national"),
    ({"types": "hospice"}, "types 'hospice' must be among"),
    ({"types": ""}, "must be among"),
    ({"value_id": ""}, "ranked scoring needs a value_id"),
    ({"value_id": "0999"}, "value ID '0999' is not like OF0023"),
    ({"scoring": "banded", "rule": ">=0:1; >-1:2"}, "needs bands and an 'else:N' score"),
    ({"scoring": "banded", "rule": "=>0:1; else:4"}, "is not like '>=0:1'"),
    ({"scoring": "combined", "value_id": "", "rule": "components=OF1079 OF1081"},
     "combined rule needs"),
    ({"scoring": "combined", "value_id": "", "rule": "components=OF1079; matrix=1 1 1 1|1 1 1 1|1 1 1 1|1 1 1 1"},
     "needs two components"),
    ({"scoring": "combined", "value_id": "", "rule": "components=OF1079 OF1081; matrix=1 2 | 3 4"},
     "must be 4 rows of 4"),
])
def test_invalid_catalogue_rows_raise_methodology_error(change, message):
    with pytest.raises(MethodologyError, match=message):
        catalogue_from_rows("test", [dict(GOOD_ROW, **change)], METHOD.types)


def test_catalogue_consistency_errors():
    with pytest.raises(MethodologyError, match="lists OF1999 more than once"):
        catalogue_from_rows("test", [GOOD_ROW, GOOD_ROW], METHOD.types)
    combined = dict(GOOD_ROW, score_id="OF1998", value_id="", scoring="combined",
                    rule="components=OF1999 OF1997; matrix=1 1 1 1|1 1 1 1|1 1 1 1|1 1 1 1")
    with pytest.raises(MethodologyError, match="combines OF1997, which is not in the catalogue"):
        catalogue_from_rows("test", [GOOD_ROW, combined], METHOD.types)
