"""Exactly NHS England's figures with nothing to type (issue 11).

* Through the CLI, as a user would: ``import-nhse FILE --quarter Q`` (no ``--cutoffs``), then
  ``table --format csv``: averages, segments and positions equal the published ones for every
  trust; domain scores and segments too.
* The pieces on synthetic data: peer-group size n from printed scores (and Rank), unrounded
  scores chosen by the published averages, cut-point intervals from published segments,
  the cut-point choice of an import, raw-mode notes and OF1057's floor.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import nhse_data
from cli_helpers import run
from xl_league import XlLeagueError, compute_league_tables, load_catalogue, load_methodology
from xl_league.cut_point_inference import CutPointInterval, infer_cut_points, quartiles_inside
from xl_league.engine.averages import round_half_up
from xl_league.engine.catalogue import catalogue_from_rows
from xl_league.jobs import choose_cut_points
from xl_league.run import RunSettings, open_run
from xl_league.nhse import TRUST_DATA_COLUMNS, read_nhse_trust_data
from xl_league.nhse_scores import (DOMAIN_SCORE_IDS, DOMAIN_SEGMENT_IDS, grid_scores,
                                   grid_sizes, reconstruct_scores, smallest_grid)

# --- the published file through the CLI ------------------------------------------------------

#: What the published segments imply (method, step 3): c1, c2, c3 intervals per quarter.
IMPLIED = {"Q1 2025/26": "c1 in (2.04, 2.06], c2 in (2.32, 2.33], c3 in (2.60, 2.65]",
           "Q2 2025/26": "c1 in (2.06, 2.07], c2 in (2.34, 2.35], c3 in (2.64, 2.69]"}


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, tuple[object, Path, pd.DataFrame]]:
    if not nhse_data.MH_CSV.exists():
        pytest.skip(nhse_data.SKIP_REASON)
    folder = tmp_path_factory.mktemp("exact")
    out = {}
    for quarter in nhse_data.QUARTERS:
        path = folder / f"{quarter[:2]}.xlsx"
        done = run("import-nhse", nhse_data.MH_CSV, "-o", path, "--quarter", quarter)
        assert done.exit_code == 0, done.output
        table = run("table", path, "--type", "non-acute", "--format", "csv",
                    "--replicates", "0")
        assert table.exit_code == 0, table.output
        out[quarter] = (done, path, pd.read_csv(io.StringIO(table.stdout),
                                                dtype={"code": str}).set_index("code"))
    return out


@pytest.mark.nhse_data
@pytest.mark.parametrize("quarter", nhse_data.QUARTERS)
def test_table_equals_nhs_englands_for_every_trust(imported, quarter):
    _, _, ours = imported[quarter]
    pub = nhse_data.published(quarter).reindex(ours.index)
    rank = nhse_data.published(quarter, "Rank")["OF5000"].reindex(ours.index)
    assert len(ours) == 61
    assert (ours["average_score"] == pub["OF5002"]).sum() == 61
    for column, metric in (("unadjusted_segment", "OF5003"), ("segment", "OF5000"),
                           ("final_segment", "OF5005")):
        assert (ours[column] == pub[metric]).sum() == 61, column
    assert (ours["position"] == rank).sum() == 61


@pytest.mark.nhse_data
@pytest.mark.parametrize("quarter", nhse_data.QUARTERS)
def test_domain_scores_and_segments_equal_nhs_englands(imported, quarter):
    _, path, _ = imported[quarter]
    results = open_run(path, RunSettings(replicates=0)).results
    pub = nhse_data.published(quarter).reindex(results.league.index)
    pairs = same_segment = same_score = 0
    for domain, score_id in DOMAIN_SCORE_IDS.items():
        given = pub[score_id].notna()
        pairs += int(given.sum())
        mine = round_half_up(results.domain_scores[domain].to_numpy(), 2)
        same_score += int((np.abs(mine - pub[score_id].to_numpy()) < 1e-9)[given].sum())
        seg = results.domain_segments[domain]
        same_segment += int((seg == pub[DOMAIN_SEGMENT_IDS[domain]])[given].sum())
    assert pairs >= 300
    assert same_segment >= 0.99 * pairs  # measured: 300/300 (Q1), 301/301 (Q2)
    assert same_score >= 0.99 * pairs


@pytest.mark.nhse_data
@pytest.mark.parametrize("quarter", nhse_data.QUARTERS)
def test_inferred_cut_points_are_recorded_where_the_user_sees_them(imported, quarter):
    done, path, _ = imported[quarter]
    stdout, stderr = (" ".join(t.split()) for t in (done.stdout, done.stderr))  # unwrapped
    assert f"cut-points inferred from NHS England's published segments of the 61 non-acute " \
           f"trusts imported: {IMPLIED[quarter]}" in stdout
    assert "only 61 non-acute trusts of the national pool (acute, ambulance missing)" in stderr
    wb = openpyxl.load_workbook(path)
    settings = {r[0]: r[1] for r in wb["Settings"].iter_rows(values_only=True)}
    assert settings["cut_point_rule"] == "fixed"
    assert IMPLIED[quarter] in settings["cut_points_source"]
    assert "national" in settings["cut_points_source"]  # ... says the import is not
    about = [r[1] for r in wb["About"].iter_rows(values_only=True) if r[0] == "Cut-points source"]
    assert about == [settings["cut_points_source"]]
    texts = [r[0] for r in wb["Cut-points"].iter_rows(values_only=True) if r[0]]
    assert f"Cut-points: {settings['cut_points_source']}." in texts
    # every cut-point used lies in what the published segments imply
    intervals = [iv.split(" in ")[1] for iv in IMPLIED[quarter].split(", c")]
    for c, text in zip((settings[f"cut_point_{i}"] for i in (1, 2, 3)), intervals):
        low, high = (float(x) for x in text.strip("(]").split(", "))
        assert low < c <= high
    assert settings["domain_cut_points"].count(":") == 5


@pytest.mark.nhse_data
def test_unrounded_scores_are_kept_in_the_workbook(imported):
    _, path, _ = imported["Q2 2025/26"]
    ws = openpyxl.load_workbook(path)["Non-acute inputs"]
    rows = list(ws.iter_rows(values_only=True))
    column = rows[0].index("OF1016")
    cells = [r[column] for r in rows[1:] if r[column] is not None]
    assert len(cells) == 48
    assert any(abs(c - round(c, 2)) > 1e-6 for c in cells)  # not the printed 2 dp
    assert all(abs(c - round(c, 2)) <= 0.005 for c in cells)
    # on the grid of a 50-organisation peer group (method, step 1)
    assert all(abs((c - 1) * 49 / 3 - round((c - 1) * 49 / 3)) < 1e-6 for c in cells)


@pytest.mark.nhse_data
def test_cutoffs_given_still_win(tmp_path):
    if not nhse_data.MH_CSV.exists():
        pytest.skip(nhse_data.SKIP_REASON)
    path = tmp_path / "given.xlsx"
    done = run("import-nhse", nhse_data.MH_CSV, "-o", path, "--cutoffs", "2.0,2.4,2.8")
    assert done.exit_code == 0, done.output
    assert "cut-points given with --cutoffs at import: 2, 2.4, 2.8" in done.stdout
    assert "--cutoffs c1, c2, c3 lie outside" in " ".join(done.stderr.split())
    settings = {r[0]: r[1] for r in openpyxl.load_workbook(path)["Settings"].iter_rows(
        values_only=True)}
    assert (settings["cut_point_1"], settings["cut_point_2"], settings["cut_point_3"]) == \
        (2.0, 2.4, 2.8)


# --- peer-group size n and the unrounded scores ---------------------------------------------

def test_smallest_grid_of_a_whole_peer_group():
    printed = round_half_up(1 + 3 * np.arange(7) / 6, 2)  # 1.00, 1.50, ..., 4.00
    assert smallest_grid(printed) == 7
    assert grid_sizes(printed, limit=3) == [7, 13, 19]


def test_smallest_grid_of_part_of_a_wider_pool():
    n = 120
    b = np.array([0, 3, 8, 17, 30, 44, 61, 62, 79, 95, 101, 119])
    printed = round_half_up(1 + 3 * b / (n - 1), 2)
    assert smallest_grid(printed) == 120
    np.testing.assert_allclose(grid_scores(printed, 120), 1 + 3 * b / (n - 1))


def test_rank_refuses_a_grid_that_gives_a_trust_fewer_better_than_its_rank_says():
    printed = np.array([1.00, 2.50, 4.00])
    assert smallest_grid(printed) == 3
    # ranked 3rd within the file (a trust without a score is 2nd): at least 2 organisations
    # are better than it, so 2.50 cannot be b = 1 of n = 3; n = 5 gives b = 2
    assert smallest_grid(printed, ranks=np.array([1, 3, 4])) == 5
    assert smallest_grid(printed, ranks=np.array([1, 2, 3])) == 3


def _wide(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows).T.astype(float)


def test_published_averages_choose_between_grids():
    """1.07, 1.25, 2.61, 3.60 fit n = 122 (smallest) and n = 135; with a second score of 1,
    only n = 135's unrounded scores average to the published 1.03, 1.12, 1.81, 2.30."""
    cat = load_catalogue()
    printed = [1.07, 1.25, 2.61, 3.60]
    assert grid_sizes(printed)[:2] == [122, 135]
    codes = ["T1", "T2", "T3", "T4"]
    types = pd.Series("non-acute", index=codes)
    base = {c: {"OF1005": s, "OF1035": 1.0} for c, s in zip(codes, printed)}
    no_results = _wide(base)
    scores, fits = reconstruct_scores(no_results, pd.DataFrame(index=codes), types, cat)
    assert [f.chosen for f in fits] == [122]
    np.testing.assert_allclose(scores["OF1005"], grid_scores(printed, 122))
    published = _wide({c: dict(base[c], OF5002=a)
                       for c, a in zip(codes, [1.03, 1.12, 1.81, 2.30])})
    scores, fits = reconstruct_scores(published, pd.DataFrame(index=codes), types, cat)
    assert [(f.metric, f.org_type, f.scored, f.chosen) for f in fits] == \
        [("OF1005", "non-acute", 4, 135)]
    assert fits[0].wider_than_file
    np.testing.assert_allclose(scores["OF1005"], grid_scores(printed, 135))
    mean = round_half_up(scores[["OF1005", "OF1035"]].mean(axis=1).to_numpy(), 2)
    assert mean.tolist() == [1.03, 1.12, 1.81, 2.30]


def test_grids_are_per_trust_type():
    """OF1061 is ranked within each type: acute and non-acute printed scores are two grids."""
    cat = load_catalogue()
    acute = round_half_up(1 + 3 * np.arange(5) / 4, 2)       # n = 5
    mh = round_half_up(1 + 3 * np.arange(4) / 3, 2)          # n = 4
    codes = [f"A{i}" for i in range(5)] + [f"M{i}" for i in range(4)]
    wide = _wide({c: {"OF1061": s} for c, s in zip(codes, list(acute) + list(mh))})
    types = pd.Series(["acute"] * 5 + ["non-acute"] * 4, index=codes)
    scores, fits = reconstruct_scores(wide, pd.DataFrame(index=codes), types, cat)
    assert {(f.org_type, f.chosen) for f in fits} == {("acute", 5), ("non-acute", 4)}
    np.testing.assert_allclose(scores.loc["M1", "OF1061"], 2.0)


# --- cut-point intervals ---------------------------------------------------------------------

def test_intervals_lie_between_the_segments():
    scores = [1.50, 1.90, 2.06, 2.07, 2.20, 2.34, 2.35, 2.50, 2.64, 2.69, 3.10]
    segments = [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4]
    inferred = infer_cut_points(scores, segments)
    assert inferred.text() == "c1 in (2.06, 2.07], c2 in (2.34, 2.35], c3 in (2.64, 2.69]"
    assert inferred.points == (2.065, 2.345, 2.665)
    assert inferred.organisations == 11
    # the points reproduce every segment (at or above a cut-point: the worse segment)
    from xl_league.engine.segments import segment_of
    assert segment_of(scores, inferred.points).tolist() == segments
    assert quartiles_inside((2.07, 2.30, 2.70), inferred) == [2, 3]
    assert CutPointInterval(2.06, 2.07).contains(2.07)
    assert not CutPointInterval(2.06, 2.07).contains(2.06)


def test_a_single_type_file_without_a_segment_leaves_a_wide_gap():
    # nobody in segment 3: c2 and c3 both lie in (2.30, 2.80]; the points split it evenly
    scores = [1.80, 2.00, 2.10, 2.30, 2.80, 3.00, np.nan]
    segments = [1, 1, 2, 2, 4, 4, 3]  # NaN score: ignored
    inferred = infer_cut_points(scores, segments)
    assert inferred.text() == "c1 in (2.00, 2.10], c2 in (2.30, 2.80], c3 in (2.30, 2.80]"
    c1, c2, c3 = inferred.points
    assert 2.0 < c1 <= 2.1 and 2.3 < c2 < c3 <= 2.8
    assert c2 == pytest.approx(2.3 + 0.5 / 3, abs=1e-4)


def test_open_sides_when_no_trust_is_in_the_best_or_worst_segment():
    inferred = infer_cut_points([2.2, 2.4, 2.6], [2, 3, 3])
    assert inferred.text() == "c1 <= 2.20, c2 in (2.20, 2.40], c3 > 2.60"
    c1, c2, c3 = inferred.points
    assert c1 <= 2.2 and 2.2 < c2 <= 2.4 and 2.6 < c3 <= 4.01


def test_segments_no_cut_points_can_give_are_an_error():
    with pytest.raises(XlLeagueError, match="cannot come from cut-points.*--cutoffs"):
        infer_cut_points([2.0, 2.1], [2, 1])
    assert infer_cut_points([np.nan], [1]) is None


# --- hand-written files: the cut-point choice and raw mode ----------------------------------

TYPES = {"acute": ("Acute trust", "Acute - Large"),
         "non-acute": ("Mental health and community trust", "Community"),
         "ambulance": ("Ambulance trust", "Ambulance")}


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    lines = [",".join(TRUST_DATA_COLUMNS)]
    for r in rows:
        lines.append(",".join(r.get(c, "") for c in TRUST_DATA_COLUMNS))
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def _row(code: str, org_type: str, metric: str, value, rank="") -> dict[str, str]:
    trust_type, subtype = TYPES[org_type]
    return {"Quarter": "Q2 2025/26", "Region": "London", "Trust_type": trust_type,
            "Trust_subtype": subtype, "Trust_code": code, "Trust_name": f"Trust {code}",
            "Domain": "Summary", "Metric_ID": metric, "Value": str(value), "Rank": str(rank)}


def _summary_rows(code, org_type, average, segment):
    return [_row(code, org_type, "OF1080", 1), _row(code, org_type, "OF5002", average),
            _row(code, org_type, "OF5003", segment), _row(code, org_type, "OF5004", 0),
            _row(code, org_type, "OF5000", segment), _row(code, org_type, "OF5005", segment)]


def _nation(tmp_path: Path, averages, segments=(1, 1, 2, 2, 3, 3, 4, 4, 4)) -> Path:
    """Three trusts of each type with published averages and segments."""
    rows = []
    for i, (avg, seg) in enumerate(zip(averages, segments)):
        org_type = ("acute", "non-acute", "ambulance")[i % 3]
        rows += _summary_rows(f"R{i}", org_type, avg, seg)
    return _write(tmp_path / "nation.csv", rows)


def test_all_types_imported_checks_national_quartiles_against_the_interval(tmp_path):
    averages = [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 4.0]
    imp = read_nhse_trust_data(_nation(tmp_path, averages))
    meth, source, warnings = choose_cut_points(imp)
    assert meth.cut_point_rule == "fixed"
    assert meth.fixed_cut_points == (1.5, 2.5, 3.5)
    assert source.startswith("inferred from NHS England's published segments of the "
                             "3 acute + 3 non-acute + 3 ambulance trusts imported: "
                             "c1 in (1.00, 2.00], c2 in (2.00, 3.00], c3 in (3.00, 4.00]")
    assert "national quartiles of the published averages: 2.000, 3.000, 4.000" in source
    # QUARTILE.INC of 1,1,2,2,3,3,4,4,4 is 2, 3, 4: c2 = 3 is inside (2, 3], c1 = 2 inside
    # (1, 2], c3 = 4 inside (3, 4]; nothing to warn about
    assert warnings == []
    assert "not national" not in source


def test_quartiles_outside_the_interval_warn(tmp_path):
    # segments far from quartiles: c1 in (1.0, 1.1], c2 in (1.4, 1.5], c3 in (1.6, 1.7] while
    # QUARTILE.INC gives 1.2, 1.4, 1.6
    averages = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8]
    imp = read_nhse_trust_data(_nation(tmp_path, averages, (1, 2, 2, 2, 2, 3, 3, 4, 4)))
    meth, _, warnings = choose_cut_points(imp)
    assert len(warnings) == 1
    assert warnings[0].startswith("national quartiles of the published averages (1.200, "
                                  "1.400, 1.600) lie outside the interval NHS England's "
                                  "segments imply for c1, c2, c3")
    assert meth.fixed_cut_points == (1.05, 1.45, 1.65)  # the inferred ones are used


def test_without_published_segments_a_partial_pool_is_not_called_national(tmp_path):
    rows = [_row(f"M{i}", "non-acute", "OF1080", s) for i, s in enumerate([1, 2, 3, 4, 4])]
    imp = read_nhse_trust_data(_write(tmp_path / "mh.csv", rows))
    assert imp.cut_points == {}
    meth, source, warnings = choose_cut_points(imp)
    assert meth.cut_point_rule == "national-quartiles"
    assert source == ("quartiles of the average metric scores of the trusts imported (only part "
                      "of the national pool, not national)")
    assert len(warnings) == 1
    assert "only 5 non-acute trusts of the national pool (acute, ambulance missing)" in \
        warnings[0]
    assert "not national" in warnings[0] and "--cutoffs" in warnings[0]


def test_raw_mode_lists_metrics_ranked_beyond_the_file(tmp_path):
    rows = []
    # OF0063 (lower is better): ranked among these 4 trusts only -> exact, not listed
    for i, (v, s) in enumerate([(1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (4.0, 4.0)]):
        rows += [_row(f"M{i}", "non-acute", "OF0063", v, i + 1),
                 _row(f"M{i}", "non-acute", "OF1063", s, i + 1)]
    # OF0016 (higher is better): the printed scores need a pool of 10 -> approximate
    for i, (v, b) in enumerate([(90.0, 0), (80.0, 4), (70.0, 5), (60.0, 9)]):
        rows += [_row(f"M{i}", "non-acute", "OF0016", v, i + 1),
                 _row(f"M{i}", "non-acute", "OF1016", f"{1 + 3 * b / 9:.2f}", i + 1)]
    path = _write(tmp_path / "raw.csv", rows)
    raw = read_nhse_trust_data(path, scores="raw")
    notes = [w for w in raw.warnings if w.startswith("raw scores are approximate")]
    assert len(notes) == 1
    assert "OF1016 (non-acute: ranked among 10, 4 in the file)" in notes[0]
    assert "OF1063" not in notes[0]
    assert "until the other types' files are imported" in notes[0]
    assert not any("approximate" in w for w in
                   read_nhse_trust_data(path, scores="published").warnings)


def test_raw_mode_orders_printed_ties_by_nhs_englands_rank(tmp_path):
    # OF0061 printed 6.50 for three trusts that NHS England ranked 1st, 2nd and 2nd
    values = [(6.5, 1), (6.5, 2), (6.5, 2), (6.1, 4)]
    rows = [_row(f"M{i}", "non-acute", "OF0061", v, r) for i, (v, r) in enumerate(values)]
    raw = read_nhse_trust_data(_write(tmp_path / "ties.csv", rows), scores="raw")
    assert any("ranked apart by NHS England" in w for w in raw.warnings)
    v = raw.values["OF0061"]
    assert v["M0"] > v["M1"] == v["M2"] > v["M3"]
    assert (round_half_up(v.to_numpy(), 2) == [6.5, 6.5, 6.5, 6.1]).all()
    meth = load_methodology().with_settings(cut_points=(1.5, 2.5, 3.5), bootstrap_replicates=0)
    scores = compute_league_tables(raw.organisations, raw.values, meth, raw.catalogue
                                   ).metric_scores["OF1061"]
    assert scores.to_dict() == {"M0": 1.0, "M1": 2.0, "M2": 2.0, "M3": 4.0}


def test_urgent_community_response_below_70_percent_scores_4(tmp_path):
    values = [95.0, 85.0, 75.0, 65.0, 50.0]
    rows = [_row(f"M{i}", "non-acute", "OF0057", v) for i, v in enumerate(values)]
    raw = read_nhse_trust_data(_write(tmp_path / "ucr.csv", rows), scores="raw")
    meth = load_methodology().with_settings(cut_points=(1.5, 2.5, 3.5), bootstrap_replicates=0)
    scores = compute_league_tables(raw.organisations, raw.values, meth, raw.catalogue
                                   ).metric_scores["OF1057"]
    # ranked among all five (n = 5: 1, 1.75, 2.5, ...), then the floor: below 70 -> 4
    assert scores.round(4).to_dict() == {"M0": 1.0, "M1": 1.75, "M2": 2.5, "M3": 4.0, "M4": 4.0}


def test_the_floor_is_catalogue_data():
    meth = load_methodology()
    assert load_catalogue(meth)["OF1057"].rule == "<70:4"
    row = {"score_id": "OF1999", "value_id": "OF0999", "name": "x", "domain": "Patient safety",
           "direction": "higher", "scoring": "ranked", "rule": "<=50:4", "peer_group": "type",
           "types": "acute", "in_average": "yes"}
    metric = catalogue_from_rows("2025/26", [row], meth.types)["OF1999"]
    assert [(b.op, b.threshold, b.score) for b in metric.floor] == [("<=", 50.0, 4.0)]
    with pytest.raises(XlLeagueError, match="not a floor like '<70:4'"):
        catalogue_from_rows("2025/26", [dict(row, rule="below 50")], meth.types)


def test_a_ranked_score_the_catalogue_lacks_is_read_by_the_published_averages(tmp_path):
    """OF1999 is not in the catalogue (imported as a supplied score): kept as printed unless
    NHS England's averages need its unrounded values, here those of a 135-organisation grid."""
    printed, averages = [1.07, 1.25, 2.61, 3.60], [1.03, 1.12, 1.81, 2.30]
    rows = []
    for i, (s, a) in enumerate(zip(printed, averages)):
        rows += [dict(_row(f"M{i}", "non-acute", "OF1999", s), Domain="Patient safety"),
                 _row(f"M{i}", "non-acute", "OF1035", 1)]
    plain = read_nhse_trust_data(_write(tmp_path / "plain.csv", rows))
    assert plain.values["OF1999"].tolist() == printed
    rows += [_row(f"M{i}", "non-acute", "OF5002", a) for i, a in enumerate(averages)]
    imp = read_nhse_trust_data(_write(tmp_path / "with-averages.csv", rows))
    np.testing.assert_allclose(imp.values["OF1999"], grid_scores(printed, 135))
    assert [(f.metric, f.chosen) for f in imp.peer_groups if f.metric == "OF1999"] == \
        [("OF1999", 135)]


@pytest.mark.nhse_data
def test_a_mistyped_domain_cut_point_setting_is_a_problem_naming_the_cell(imported, tmp_path):
    _, path, _ = imported["Q1 2025/26"]
    wb = openpyxl.load_workbook(path)
    ws = wb["Settings"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "domain_cut_points")
    ws.cell(row, 2).value = "Patient safety: 2.5, 2.1, 2.9"
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    result = run("check", bad)
    assert result.exit_code == 1
    assert f"B{row}" in result.output and "Patient safety" in result.output
    assert "three increasing cut-points" in " ".join(result.output.split())
