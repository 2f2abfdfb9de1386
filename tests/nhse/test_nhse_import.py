"""Reading NHS England's published CSVs (xl_league.nhse): the real file and hand-written ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xl_league import XlLeagueError, compute_league_tables, load_methodology
from xl_league.nhse import (LEAGUE_TABLE_COLUMNS, TRUST_DATA_COLUMNS, read_nhse_league_table,
                            read_nhse_trust_data)

from nhse_data import MH_CSV as NHSE_FILE

# fixed national cut-points inside the gaps the published unadjusted segments leave
CUTS = {"Q1 2025/26": (2.05, 2.325, 2.62), "Q2 2025/26": (2.065, 2.345, 2.66)}
# NHS England averages unrounded metric scores, the file holds them to 2 dp: these trusts'
# published averages differ by 0.01 from the mean of the printed scores (the import now
# reconstructs the unrounded scores, so they agree exactly)
AVERAGE_DIFFERS = {"Q1 2025/26": {"TAH"}, "Q2 2025/26": {"RV3", "RX2", "RY2", "RY8", "RYV"}}

needs_data = pytest.mark.skipif(not NHSE_FILE.exists(),
                                reason=f"NHS England's published data not found at {NHSE_FILE}")


# --- the real file --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def raw_csv() -> pd.DataFrame:
    return pd.read_csv(NHSE_FILE, dtype=str, encoding="utf-8-sig")


def _published_metric(raw_csv: pd.DataFrame, quarter: str, metric: str) -> pd.Series:
    rows = raw_csv[(raw_csv["Quarter"] == quarter) & (raw_csv["Metric_ID"] == metric)]
    return rows.set_index("Trust_code")["Value"].astype(float)


@needs_data
@pytest.mark.nhse_data
def test_real_file_quarters_and_organisations(raw_csv):
    imp = read_nhse_trust_data([NHSE_FILE])
    assert imp.quarters_available == ("Q1 2025/26", "Q2 2025/26")
    assert imp.quarter == "Q2 2025/26"  # the latest by default
    for quarter in imp.quarters_available:
        one = read_nhse_trust_data([str(NHSE_FILE)], quarter=quarter)
        assert one.quarter == quarter
        assert len(one.organisations) == 61
        assert one.organisations["code"].is_unique
        assert set(one.organisations["type"]) == {"non-acute"}
        assert list(one.values.index) == list(one.organisations["code"])
    orgs = imp.organisations
    assert list(orgs.columns) == ["code", "name", "type", "region", "subtype", "in_deficit",
                                  "in_rsp"]
    assert "G6V2S" in set(orgs["code"])  # a five-character ODS code, kept as text
    assert all(isinstance(c, str) for c in orgs["code"])
    assert set(orgs["subtype"]) == {"Community", "Mental Health and Learning Disability",
                                    "Care Trust"}
    assert imp.warnings == ()
    assert imp.values.dtypes.eq(float).all()


@needs_data
@pytest.mark.nhse_data
@pytest.mark.parametrize("quarter", list(CUTS))
def test_real_file_flags_match_published(raw_csv, quarter):
    imp = read_nhse_trust_data([NHSE_FILE], quarter=quarter)
    orgs = imp.organisations.set_index("code")
    override = _published_metric(raw_csv, quarter, "OF5004")
    rsp = _published_metric(raw_csv, quarter, "OF5007")
    assert (orgs["in_deficit"] == "Yes").sum() == int(override.sum()) > 0
    assert (orgs["in_rsp"] == "Yes").sum() == int(rsp.sum()) > 0
    expected = override.map({1.0: "Yes", 0.0: "No"})
    assert orgs["in_deficit"].to_dict() == expected.to_dict()
    assert orgs["in_rsp"].to_dict() == rsp.map({1.0: "Yes", 0.0: "No"}).to_dict()


@needs_data
@pytest.mark.nhse_data
@pytest.mark.parametrize("quarter", list(CUTS))
def test_published_scores_reproduce_segments_and_positions(raw_csv, quarter):
    imp = read_nhse_trust_data([NHSE_FILE], quarter=quarter, scores="published")
    # the cut-points come from the file itself: a point inside what its segments imply
    (pool, inferred), = imp.cut_points.items()
    assert pool == "acute + non-acute + ambulance"
    assert all(iv.contains(c) for iv, c in zip(inferred.intervals, CUTS[quarter]))
    meth = load_methodology().with_settings(cut_points=inferred.points, bootstrap_replicates=0)
    result = compute_league_tables(imp.organisations, imp.values, meth, imp.catalogue)
    league = result.league.loc[imp.published.index]
    pub = imp.published
    # the published file, read independently, agrees with imp.published
    assert pub["average_score"].to_dict() == _published_metric(raw_csv, quarter, "OF5002").to_dict()
    ranks = raw_csv[(raw_csv["Quarter"] == quarter) & (raw_csv["Metric_ID"] == "OF5000")]
    published_ranks = ranks.set_index("Trust_code")["Rank"].astype(float)
    assert pub["position"].to_dict() == published_ranks.to_dict()
    # every published score was used as given (ranked ones unrounded: within half a cent)
    scored = [c for c in imp.values.columns if c.startswith("OF1")]
    assert result.supplied_scores.loc[pub.index, scored].to_numpy()[
        imp.values[scored].notna().to_numpy()].all()
    printed = raw_csv[raw_csv["Quarter"] == quarter].pivot(
        index="Trust_code", columns="Metric_ID", values="Value").astype(float)
    gap = (imp.values[scored] - printed[scored].reindex(imp.values.index)).abs()
    assert (gap.fillna(0) <= 0.005 + 1e-9).all().all()
    assert (gap.fillna(0) > 1e-6).any().any()  # some are not the printed 2 dp
    # segments: unadjusted (OF5003), after the override (OF5000), final incl. 5 (OF5005)
    for ours, theirs in (("unadjusted_segment", "unadjusted_segment"), ("segment", "segment"),
                         ("final_segment", "final_segment")):
        assert league[ours].astype(int).to_dict() == pub[theirs].astype(int).to_dict(), ours
    # averages and positions: exactly NHS England's, every trust (the printed 2-dp scores
    # alone missed AVERAGE_DIFFERS and moved POSITION_DIFFERS)
    assert (league["average_score"] == pub["average_score"]).all()
    assert league["position"].astype(int).to_dict() == pub["position"].astype(int).to_dict()
    assert AVERAGE_DIFFERS[quarter] and AVERAGE_DIFFERS[quarter] <= set(league.index)
    printed_mean = printed.reindex(league.index)[[m.score_id for m in imp.catalogue
                                                  if m.in_average and m.score_id in printed]]
    from xl_league.engine.averages import round_half_up
    naive = pd.Series(round_half_up(printed_mean.mean(axis=1).to_numpy(), 2), league.index)
    assert set(league.index[(naive - pub["average_score"]).abs() > 1e-9]) == \
        AVERAGE_DIFFERS[quarter]
    # domain scores and segments (cut at the domain cut-points the file implies)
    dmeth = meth.with_settings(domain_cut_points=tuple(
        (d, inf.points) for d, inf in imp.domain_cut_points.items()))
    result = compute_league_tables(imp.organisations, imp.values, dmeth, imp.catalogue)
    from xl_league.nhse_scores import DOMAIN_SCORE_IDS, DOMAIN_SEGMENT_IDS
    for domain, score_id in DOMAIN_SCORE_IDS.items():
        theirs = pub[score_id]
        mine = pd.Series(round_half_up(result.domain_scores[domain].to_numpy(), 2),
                         result.domain_scores.index).reindex(theirs.index)
        assert ((mine - theirs).abs().fillna(0) < 1e-9).all(), domain
        seg = result.domain_segments[domain].reindex(theirs.index)
        assert (seg.fillna(0) == pub[DOMAIN_SEGMENT_IDS[domain]].astype(float).fillna(0)).all()


@needs_data
@pytest.mark.nhse_data
@pytest.mark.parametrize("quarter", list(CUTS))
def test_raw_scores_rescore_finance_exactly(quarter):
    raw = read_nhse_trust_data([NHSE_FILE], quarter=quarter, scores="raw")
    published = read_nhse_trust_data([NHSE_FILE], quarter=quarter, scores="published")
    # only the scores the engine cannot compute are passed on
    assert {c for c in raw.values.columns if c.startswith("OF1")} == {"OF1035", "OF1067"}
    assert {c for c in raw.values.columns if c.startswith("OF0")} == \
        {c for c in published.values.columns if c.startswith("OF0")}
    meth = load_methodology().with_settings(cut_points=CUTS[quarter], bootstrap_replicates=0)
    result = compute_league_tables(raw.organisations, raw.values, meth, raw.catalogue)
    scores = result.metric_scores.loc[raw.values.index]
    assert not result.supplied_scores.loc[:, ["OF1079", "OF1080", "OF1081"]].any().any()
    for metric in ("OF1079", "OF1081", "OF1080"):
        theirs = published.values[metric]
        np.testing.assert_array_equal(scores[metric].to_numpy(), theirs.to_numpy(), metric)


@needs_data
@pytest.mark.nhse_data
def test_published_frame_columns():
    imp = read_nhse_trust_data([NHSE_FILE], quarter="q1 2025/26")  # case and spacing forgiven
    assert imp.quarter == "Q1 2025/26"
    pub = imp.published
    assert list(pub.columns[:7]) == ["average_score", "unadjusted_segment", "financial_override",
                                     "segment", "final_segment", "in_rsp", "position"]
    domains = {"OF4000", "OF4002", "OF4003", "OF4004", "OF4005", "OF4100", "OF4105"}
    assert domains <= set(pub.columns)
    assert str(pub["position"].dtype) == "Int64"
    assert pub["position"].min() == 1 and pub["position"].max() == 61
    assert set(pub["final_segment"]) == {1, 2, 3, 4, 5}


# --- hand-written files ---------------------------------------------------------------------

def _write(path: Path, header, rows) -> Path:
    """A CSV the way NHS England publishes them: UTF-8 with BOM, CRLF."""
    lines = [",".join(header)] + [",".join(_quote(c) for c in r) for r in rows]
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def _quote(cell: str) -> str:
    return f'"{cell}"' if "," in cell else cell


def _row(code, metric, value, *, quarter="Q2 2025/26", trust_type="Acute trust",
         subtype="Acute - Large", name=None, domain="Access to services", rank="",
         description="") -> list[str]:
    cells = {"Quarter": quarter, "Region": "London", "Trust_type": trust_type,
             "Trust_subtype": subtype, "Trust_code": code, "Trust_name": name or f"Trust {code}",
             "Domain": domain, "Sub-domain": "", "Metric_ID": metric,
             "Metric_description": description or metric, "Reporting_date": "",
             "Units": "%", "Value": value, "Median_value": "", "Lower_quartile": "",
             "Upper_quartile": "", "Rank": rank}
    return [cells[c] for c in TRUST_DATA_COLUMNS]


def _acute_file(tmp_path: Path, name="acute.csv", extra=(), quarter="Q2 2025/26") -> Path:
    rows = []
    for i, (code, ae, score) in enumerate((("RA1", "80.0", "1"), ("012", "70.0", "2.5"),
                                           ("1E3", "60.0", "4"))):
        rows += [_row(code, "OF0013", ae, quarter=quarter),
                 _row(code, "OF1013", score, quarter=quarter),
                 _row(code, "OF5004", "1" if code == "1E3" else "0", quarter=quarter,
                      domain="Summary"),
                 _row(code, "OF5000", "1", quarter=quarter, domain="Summary", rank=str(i + 1))]
    return _write(tmp_path / name, TRUST_DATA_COLUMNS, rows + list(extra))


def test_codes_stay_text_and_flags_map(tmp_path):
    imp = read_nhse_trust_data(_acute_file(tmp_path))
    orgs = imp.organisations
    assert list(orgs["code"]) == ["012", "1E3", "RA1"]  # never 12 or 1000.0
    assert list(orgs["type"]) == ["acute"] * 3
    assert list(orgs["in_deficit"]) == ["No", "Yes", "No"]
    assert list(orgs["in_rsp"]) == ["", "", ""]  # OF5007 not in the file: blank
    assert imp.values.loc["012", "OF0013"] == 70.0
    assert imp.published.loc["RA1", "position"] == 1


def test_several_files_concatenate(tmp_path):
    acute = _acute_file(tmp_path)
    mh = _write(tmp_path / "mh.csv", TRUST_DATA_COLUMNS, [
        _row("RX9", "OF0082", "5.5", trust_type="Mental health and community trust",
             subtype="Community", domain="People and workforce"),
        _row("RX8", "OF0082", "4.5", trust_type="Non-acute hospital trust",
             subtype="Mental Health and Learning Disability", domain="People and workforce"),
        _row("RX8", "OF5007", "1", trust_type="Non-acute hospital trust", domain="Summary"),
    ])
    imp = read_nhse_trust_data([acute, mh])
    assert list(imp.organisations["code"]) == ["012", "1E3", "RA1", "RX8", "RX9"]
    assert list(imp.organisations["type"]) == ["acute"] * 3 + ["non-acute"] * 2
    assert imp.organisations.set_index("code").at["RX8", "in_rsp"] == "Yes"
    result = compute_league_tables(imp.organisations, imp.values,
                                   load_methodology().with_settings(
                                       cut_points=(1.5, 2.5, 3.5), bootstrap_replicates=0),
                                   imp.catalogue)
    assert result.types_present == ["acute", "non-acute"]


def test_published_scores_win_raw_scores_rescore(tmp_path):
    path = _acute_file(tmp_path)
    meth = load_methodology().with_settings(cut_points=(1.5, 2.5, 3.5), bootstrap_replicates=0)
    pub = read_nhse_trust_data(path, scores="published")
    assert {"OF0013", "OF1013"} <= set(pub.values.columns)
    result = compute_league_tables(pub.organisations, pub.values, meth, pub.catalogue)
    assert result.metric_scores["OF1013"].to_dict() == {"RA1": 1.0, "012": 2.5, "1E3": 4.0}
    raw = read_nhse_trust_data(path, scores="raw")
    assert "OF1013" not in raw.values.columns
    result = compute_league_tables(raw.organisations, raw.values, meth, raw.catalogue)
    assert result.metric_scores["OF1013"].to_dict() == {"RA1": 1.0, "012": 2.5, "1E3": 4.0}


def test_raw_mode_keeps_a_score_where_the_value_is_missing(tmp_path):
    path = _acute_file(tmp_path, extra=[_row("RA4", "OF1013", "3"), _row("RA4", "OF0013", "")])
    raw = read_nhse_trust_data(path, scores="raw")
    assert raw.values.loc["RA4", "OF1013"] == 3.0
    assert np.isnan(raw.values.loc["RA1", "OF1013"])
    assert any("RA4" in w and "OF1013" in w for w in raw.warnings)


def test_unknown_published_score_becomes_a_supplied_metric(tmp_path):
    extra = [_row(c, "OF1999", s, domain="Patient safety", description="A new safety metric")
             for c, s in (("RA1", "4"), ("012", "1"), ("1E3", "1"))]
    extra += [_row(c, "OF0999", "12.5") for c in ("RA1", "012", "1E3")]
    extra += [_row("RA1", "OF2013", "2")]  # a 2026/27 score: not this year's method
    imp = read_nhse_trust_data(_acute_file(tmp_path, extra=extra))
    assert "OF1999" in imp.catalogue
    metric = imp.catalogue["OF1999"]
    assert (metric.scoring, metric.domain, metric.types, metric.in_average) == \
        ("supplied", "Patient safety", ("acute",), True)
    assert imp.warnings == ("OF1999 (A new safety metric) is not in the 2025/26 catalogue: "
                            "imported as a supplied score",)
    assert "OF0999" not in imp.values.columns and "OF2013" not in imp.values.columns
    meth = load_methodology().with_settings(cut_points=(1.5, 2.5, 3.5), bootstrap_replicates=0)
    result = compute_league_tables(imp.organisations, imp.values, meth, imp.catalogue)
    # RA1: mean of OF1013 = 1 and OF1999 = 4
    assert result.league.at["RA1", "average_score"] == 2.5
    assert result.league.at["RA1", "metrics_scored"] == 2


def test_quarter_choice_and_unknown_quarter(tmp_path):
    q1 = _acute_file(tmp_path, "q1.csv", quarter="Q1 2025/26")
    q4 = _acute_file(tmp_path, "q4.csv", quarter="Q4 2024/25")
    imp = read_nhse_trust_data([q1, q4])
    assert imp.quarters_available == ("Q4 2024/25", "Q1 2025/26")
    assert imp.quarter == "Q1 2025/26"  # latest by financial year, not alphabetically
    with pytest.raises(XlLeagueError) as err:
        read_nhse_trust_data([q1, q4], quarter="Q3 2025/26")
    assert "Q3 2025/26" in str(err.value)
    assert "Q4 2024/25, Q1 2025/26" in str(err.value)


def test_unknown_trust_type_names_file_line_and_value(tmp_path):
    path = _acute_file(tmp_path, extra=[_row("RB1", "OF0013", "70", trust_type="Hospice")])
    with pytest.raises(XlLeagueError) as err:
        read_nhse_trust_data(path)
    assert f"{path} line 14" in str(err.value)
    assert "'Hospice'" in str(err.value)


def test_duplicate_rows_name_file_and_lines(tmp_path):
    first = _acute_file(tmp_path, extra=[_row("RA1", "OF0013", "81.0")])
    with pytest.raises(XlLeagueError) as err:
        read_nhse_trust_data(first)
    message = str(err.value)
    assert f"{first} line 14" in message and f"{first} line 2" in message
    assert "RA1" in message and "OF0013" in message
    # the same file given twice
    with pytest.raises(XlLeagueError, match="already given"):
        read_nhse_trust_data([_acute_file(tmp_path, "a.csv"), _acute_file(tmp_path, "b.csv")])


def test_blank_values_are_missing_text_is_an_error(tmp_path):
    blank = _acute_file(tmp_path, extra=[_row("RB1", "OF0013", ""), _row("RB1", "OF1013", "")])
    imp = read_nhse_trust_data(blank)
    assert imp.values.loc["RB1"].isna().all()
    bad = _acute_file(tmp_path, "bad.csv", extra=[_row("RB1", "OF0013", "high")])
    with pytest.raises(XlLeagueError) as err:
        read_nhse_trust_data(bad)
    assert f"{bad} line 14" in str(err.value) and "'high'" in str(err.value)


def test_not_a_trust_data_csv(tmp_path):
    league_csv = _write(tmp_path / "league.csv", LEAGUE_TABLE_COLUMNS, [])
    with pytest.raises(XlLeagueError) as err:
        read_nhse_trust_data(league_csv)
    assert "missing column(s) Domain, Metric_ID, Value" in str(err.value)
    binary = tmp_path / "book.xlsx"
    binary.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x81\x8d\x90" * 40)
    with pytest.raises(XlLeagueError):
        read_nhse_trust_data(binary)
    with pytest.raises(XlLeagueError, match="no such file"):
        read_nhse_trust_data(tmp_path / "missing.csv")
    with pytest.raises(XlLeagueError, match="'rescored'"):
        read_nhse_trust_data(_acute_file(tmp_path), scores="rescored")  # type: ignore[arg-type]


def test_a_flag_that_is_not_0_or_1(tmp_path):
    path = _acute_file(tmp_path, extra=[_row("RB1", "OF5004", "2", domain="Summary")])
    with pytest.raises(XlLeagueError, match="line 14.*OF5004.* 2 is not a flag"):
        read_nhse_trust_data(path)


# --- the league-table format ----------------------------------------------------------------

def _league_rows(quarter="Q2 2025/26"):
    return [
        [quarter, "London", "Acute trust", "Acute - Teaching", "RA1", "Trust RA1", "1.85",
         "1.2 to 2.49", "1", "No", "1", "1 to 11"],
        [quarter, "London", "Acute trust", "Acute - Large", "012", "Trust, with a comma", "2.40",
         "2.01 to 2.8", "3", "Yes", "2", "2 to 30"],
        [quarter, "Midlands", "Ambulance trust", "Ambulance", "RX1", "Trust RX1", "3.10",
         "", "4", "No", "1", ""],
    ]


def test_league_table_parses_ranges(tmp_path):
    path = _write(tmp_path / "league.csv", LEAGUE_TABLE_COLUMNS,
                  _league_rows() + _league_rows("Q1 2025/26"))
    table = read_nhse_league_table([path])
    assert list(table.index) == ["RA1", "012", "RX1"]
    assert set(table["quarter"]) == {"Q2 2025/26"}
    assert table.loc["012"].to_dict() == {
        "quarter": "Q2 2025/26", "code": "012", "name": "Trust, with a comma", "type": "acute",
        "trust_type": "Acute trust", "region": "London", "subtype": "Acute - Large",
        "position": 2, "average_score": 2.40, "score_low": 2.01, "score_high": 2.8,
        "segment": 3, "in_deficit": "Yes", "rank_low": 2, "rank_high": 30}
    assert np.isnan(table.at["RX1", "score_low"]) and pd.isna(table.at["RX1", "rank_high"])
    assert read_nhse_league_table(path, quarter="Q1 2025/26")["quarter"].eq("Q1 2025/26").all()


def test_league_table_errors(tmp_path):
    rows = _league_rows()
    rows[1][7] = "2.01 - 2.8"
    path = _write(tmp_path / "league.csv", LEAGUE_TABLE_COLUMNS, rows)
    with pytest.raises(XlLeagueError) as err:
        read_nhse_league_table(path)
    assert f"{path} line 3" in str(err.value) and "'2.01 - 2.8'" in str(err.value)
    trust_data = _acute_file(tmp_path)
    with pytest.raises(XlLeagueError, match="missing column.*Average_score"):
        read_nhse_league_table(trust_data)
    with pytest.raises(XlLeagueError, match="Q2 2025/26"):
        read_nhse_league_table(_write(tmp_path / "ok.csv", LEAGUE_TABLE_COLUMNS, _league_rows()),
                               quarter="Q3 2025/26")


def test_a_metric_for_another_type_is_left_out_with_a_warning(tmp_path):
    # OF0017 (category 2 response time) is scored for ambulance trusts only
    path = _acute_file(tmp_path, extra=[_row("RA1", "OF0017", "31.5")])
    imp = read_nhse_trust_data(path)
    assert "OF0017" not in imp.values.columns
    assert imp.warnings == ("OF0017 has values only for trust types the 2025/26 catalogue does "
                            "not score it for (ambulance only): left out",)


def test_a_catalogue_metric_scored_for_another_type_applies_to_it_too(tmp_path):
    # NHS England scored OF1017 for these acute trusts: their published average counts it, so
    # the catalogue (ambulance only) is widened to acute for this import, with a warning.
    extra = [_row(c, "OF1017", s) for c, s in (("RA1", "4"), ("012", "1"), ("1E3", "2"))]
    imp = read_nhse_trust_data(_acute_file(tmp_path, extra=extra))
    assert imp.catalogue["OF1017"].types == ("ambulance", "acute")
    assert imp.warnings == ("OF1017 is scored for acute trusts in NHS England's file: the "
                            "catalogue now applies it to them too",)
    meth = load_methodology().with_settings(cut_points=(1.5, 2.5, 3.5), bootstrap_replicates=0)
    result = compute_league_tables(imp.organisations, imp.values, meth, imp.catalogue)
    assert result.league.at["RA1", "average_score"] == 2.5  # (OF1013 1 + OF1017 4) / 2
    assert result.league.at["RA1", "metrics_scored"] == 2


@pytest.mark.parametrize("scores", ["published", "raw"])
def test_a_value_nhs_england_did_not_score_is_not_scored(tmp_path, scores):
    # RA4 has an A&E value but no published OF1013 score: NHS England excluded it, so its
    # value is left blank (no score, not counted among the peers either).
    extra = [_row("RA4", "OF0013", "99.0"), _row("RA4", "OF1013", "")]
    imp = read_nhse_trust_data(_acute_file(tmp_path, extra=extra), scores=scores)
    assert np.isnan(imp.values.loc["RA4", "OF0013"])
    assert "OF0013: RA4 have a value but no published score OF1013 (excluded by NHS England): " \
        "left blank" in imp.warnings
    meth = load_methodology().with_settings(cut_points=(1.5, 2.5, 3.5), bootstrap_replicates=0)
    result = compute_league_tables(imp.organisations, imp.values, meth, imp.catalogue)
    assert np.isnan(result.metric_scores.at["RA4", "OF1013"])
    assert result.metric_scores["OF1013"].dropna().to_dict() == {"RA1": 1.0, "012": 2.5,
                                                                "1E3": 4.0}


def test_a_semicolon_or_malformed_csv_is_named_by_file_and_line(tmp_path):
    """A CSV re-saved with semicolons, or with an unclosed quote, is one message naming the
    file and line and the fix, never pandas' own words."""
    semi = tmp_path / "semi.csv"
    semi.write_text(";".join(TRUST_DATA_COLUMNS) + "\n" + ";" * 16 + "\n", encoding="utf-8")
    with pytest.raises(XlLeagueError) as err:
        read_nhse_trust_data(semi)
    assert str(err.value).startswith(f"{semi} line 1: the columns are separated by semicolons")
    broken = tmp_path / "broken.csv"
    broken.write_text(",".join(TRUST_DATA_COLUMNS) + '\n"Q1 2025/26,unclosed\n', encoding="utf-8")
    with pytest.raises(XlLeagueError) as err:
        read_nhse_trust_data(broken)
    assert str(err.value).startswith(f"{broken} line 2: the CSV is malformed")
    assert "tokenizing" not in str(err.value)
