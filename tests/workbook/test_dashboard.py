"""The Dashboard sheet: native charts over cells holding the engine's numbers, rewritten (not
piled up) by each recalculation, printed one landscape page per chart group."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from cli_helpers import run
from libreoffice_helpers import soffice_or_skip
from nhse_data import MH_CSV, SKIP_REASON
from xl_league.errors import WorkbookError
from xl_league.excel import macros
from xl_league.excel.openpyxl_book import OpenpyxlBook
from xl_league.libreoffice import convert
from xl_league.run import RunSettings
from xl_league.workbook_io import recalc_workbook
from xl_league.workbook_io.dashboard import MARKER_NAME, type_label
from xl_league.workbook_io.layout import ABOUT_SHEET, DASHBOARD_SHEET

SEGMENTS = (1, 2, 3, 4, 5)


# --------------------------------------------------------------------------- helpers

def values_at(wb: openpyxl.Workbook, ref: str) -> list[object]:
    """The cells a chart formula such as ``'Dashboard'!$B$6:$B$8`` points at, in order."""
    sheet, _, cells = ref.rpartition("!")
    ws = wb[sheet.strip("'")]
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    return [ws.cell(r, c).value for r in range(min_row, max_row + 1)
            for c in range(min_col, max_col + 1)]


def title_of(chart) -> str:
    return "".join(run.t for p in chart.title.tx.rich.p for run in (p.r or []))


def charts_by_title(ws) -> dict[str, object]:
    return {title_of(c): c for c in ws._charts}


def chart_starting(ws, text: str):
    found = [c for title, c in charts_by_title(ws).items() if title.startswith(text)]
    assert len(found) == 1, (text, list(charts_by_title(ws)))
    return found[0]


def row_of(ws, text: str) -> int:
    return next(c.row for c in ws["A"] if c.value == text)


@pytest.fixture(scope="module")
def recalculated(base_book: Path, tmp_path_factory):
    """The sample workbook recalculated once (tests only read it), and the engine's results."""
    path = tmp_path_factory.mktemp("recalculated") / "book.xlsx"
    result = recalc_workbook(base_book, path)
    return path, result.results


# --------------------------------------------------------------------------- the sheet

def test_recalc_writes_the_dashboard_right_after_about(recalculated):
    path, results = recalculated
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames.index(DASHBOARD_SHEET) == wb.sheetnames.index(ABOUT_SHEET) + 1
    ws = wb[DASHBOARD_SHEET]
    assert MARKER_NAME in ws.defined_names
    titles = list(charts_by_title(ws))
    assert len(titles) == 3 + len(results.types_present) >= 4
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_area


def test_segment_chart_plots_the_summary_table_which_equals_the_engine(recalculated):
    path, results = recalculated
    wb = openpyxl.load_workbook(path)
    ws = wb[DASHBOARD_SHEET]
    chart = chart_starting(ws, "Organisations by final segment")
    assert chart.grouping == "stacked" and len(chart.series) == len(SEGMENTS)
    league = results.league
    types = results.types_present
    for series, seg in zip(chart.series, SEGMENTS):
        assert series.val.numRef.f.startswith("'Dashboard'!$")
        assert values_at(wb, series.tx.strRef.f) == [f"Segment {seg}"]
        assert values_at(wb, series.val.numRef.f) == [
            int(((league["type"] == t) & (league["final_segment"] == seg)).sum()) for t in types]
        assert values_at(wb, series.cat.strRef.f if series.cat.strRef else
                         series.cat.numRef.f) == [type_label(t) for t in types]
    # the national row and the totals of the same table
    all_row = row_of(ws, "All")
    assert [ws.cell(all_row, 1 + i).value for i in SEGMENTS] == [
        int((league["final_segment"] == s).sum()) for s in SEGMENTS]
    assert ws.cell(all_row, 8).value == len(league)


def test_override_table_and_chart_equal_the_engine(recalculated):
    path, results = recalculated
    wb = openpyxl.load_workbook(path)
    ws = wb[DASHBOARD_SHEET]
    league = results.league
    head = row_of(ws, "Financial override") + 1
    for i, org_type in enumerate(results.types_present, start=1):
        rows = league[league["type"] == org_type]
        capped = rows["override_applied"].astype(bool)
        deficit = rows["in_deficit"].astype(bool)
        assert [ws.cell(head + i, c).value for c in range(1, 5)] == [
            type_label(org_type), len(rows), int(deficit.sum()), int(capped.sum())]
    chart = chart_starting(ws, "Financial override")
    per_type = [(r, r["override_applied"].astype(bool))
                for r in (league[league["type"] == t] for t in results.types_present)]
    expected = [
        [int((capped & (r["unadjusted_segment"] == 1)).sum()) for r, capped in per_type],
        [int((capped & (r["unadjusted_segment"] == 2)).sum()) for r, capped in per_type],
        [int((r["in_deficit"].astype(bool) & ~capped).sum()) for r, capped in per_type],
    ]
    assert [values_at(wb, s.val.numRef.f) for s in chart.series] == expected
    assert sum(map(sum, expected)) == int(league["in_deficit"].astype(bool).sum())


def test_cut_point_table_equals_the_engine(recalculated):
    path, results = recalculated
    ws = openpyxl.load_workbook(path)[DASHBOARD_SHEET]
    first = row_of(ws, "Cut-points") + 2
    for offset, (_, pool) in enumerate(results.cut_points.iterrows()):
        row = first + offset
        assert ws.cell(row, 4).value == pool["organisations"]
        assert [ws.cell(row, c).value for c in (5, 6, 7)] == pytest.approx(
            [pool["c1"], pool["c2"], pool["c3"]])
    rules = " ".join(str(c.value) for c in ws["A"] if c.value)
    assert f"Rule '{results.cut_points['rule'].iloc[0]}'" in rules


def test_histogram_counts_every_average_by_its_segment(recalculated):
    path, results = recalculated
    wb = openpyxl.load_workbook(path)
    chart = chart_starting(wb[DASHBOARD_SHEET], "Average metric scores of")
    scored = results.league[results.league["average_score"].notna()]
    assert [sum(values_at(wb, s.val.numRef.f)) for s in chart.series] == [
        int((scored["unadjusted_segment"] == s).sum()) for s in (1, 2, 3, 4)]
    bins = values_at(wb, chart.series[0].cat.strRef.f)
    counts = [sum(col) for col in zip(*(values_at(wb, s.val.numRef.f) for s in chart.series))]
    for label, count in zip(bins, counts):   # each bin holds the averages its label names
        low, high = map(float, label.split("–"))
        averages = scored["average_score"]
        assert count == int(((averages >= low - 1e-9) & (averages <= high + 1e-9)).sum())


def test_caterpillar_plots_positions_averages_and_likely_ranges(recalculated):
    path, results = recalculated
    wb = openpyxl.load_workbook(path)
    ws = wb[DASHBOARD_SHEET]
    for org_type in results.types_present:
        chart = chart_starting(ws, f"{type_label(org_type)}: average metric score")
        table = results.league[results.league["type"] == org_type].set_index("position",
                                                                                drop=False)
        points = [s for s in chart.series if s.errBars is not None]
        assert points, "the organisations carry error bars"
        seen = 0
        for series in points:
            xs = values_at(wb, series.xVal.numRef.f)
            ys = values_at(wb, series.yVal.numRef.f)
            minus = values_at(wb, series.errBars.minus.numRef.f)
            plus = values_at(wb, series.errBars.plus.numRef.f)
            assert series.errBars.errValType == "cust"
            for x, y, m, p in zip(xs, ys, minus, plus):
                rows = table.loc[[x]]
                match = rows[rows["average_score"] == y]
                assert not match.empty
                assert y - m == pytest.approx(float(match["score_low"].iloc[0]), abs=1e-9)
                assert y + p == pytest.approx(float(match["score_high"].iloc[0]), abs=1e-9)
            seen += len(xs)
        assert seen == int(table["average_score"].notna().sum())
        cuts = [s for s in chart.series if s.errBars is None]
        assert [values_at(wb, s.yVal.numRef.f)[0] for s in cuts] == pytest.approx(
            list(results.cuts_for(table["code"].iloc[0])))


def test_a_second_recalculation_replaces_the_dashboard(recalculated, tmp_path: Path):
    path = Path(shutil.copy(recalculated[0], tmp_path / "again.xlsx"))
    before = openpyxl.load_workbook(path)
    recalc_workbook(path)
    after = openpyxl.load_workbook(path)
    assert after.sheetnames == before.sheetnames
    assert after.sheetnames.count(DASHBOARD_SHEET) == 1
    old, new = before[DASHBOARD_SHEET], after[DASHBOARD_SHEET]
    assert len(new._charts) == len(old._charts)
    assert new.max_row == old.max_row and new.max_column == old.max_column
    grid = [[c.value for c in row] for row in new.iter_rows()]
    assert grid == [[c.value for c in row] for row in old.iter_rows()]


def test_a_users_own_sheet_named_dashboard_is_refused_not_replaced(book: Path):
    wb = openpyxl.load_workbook(book)
    index = wb.sheetnames.index(DASHBOARD_SHEET)
    wb.remove(wb[DASHBOARD_SHEET])
    wb.create_sheet(DASHBOARD_SHEET, index)["A1"] = "my own notes"
    wb.save(book)
    data = book.read_bytes()
    with pytest.raises(WorkbookError, match="Dashboard.*xl-league did not write.*rename"):
        recalc_workbook(book)
    assert book.read_bytes() == data


def test_a_workbook_without_a_dashboard_gets_one_after_about(book: Path):
    wb = openpyxl.load_workbook(book)
    wb.remove(wb[DASHBOARD_SHEET])
    wb.save(book)
    recalc_workbook(book)
    names = openpyxl.load_workbook(book).sheetnames
    assert names.index(DASHBOARD_SHEET) == names.index(ABOUT_SHEET) + 1


# --------------------------------------------------------------------------- every route

def test_demo_writes_a_dashboard(tmp_path: Path):
    assert run("demo", "-o", tmp_path).exit_code == 0
    ws = openpyxl.load_workbook(tmp_path / "nof-league-tables-demo.xlsx")[DASHBOARD_SHEET]
    assert len(ws._charts) >= 4


@pytest.mark.nhse_data
@pytest.mark.skipif(not MH_CSV.exists(), reason=SKIP_REASON)
def test_import_nhse_writes_a_dashboard_with_the_given_cut_points(tmp_path: Path):
    out = tmp_path / "q2.xlsx"
    result = run("import-nhse", MH_CSV, "-o", out, "--quarter", "Q2 2025/26",
                 "--cutoffs", "2.065,2.345,2.665")
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out)[DASHBOARD_SHEET]
    assert len(ws._charts) >= 4
    first = row_of(ws, "Cut-points") + 2
    assert [ws.cell(first, c).value for c in (5, 6, 7)] == [2.065, 2.345, 2.665]
    assert ws.cell(first, 5).number_format == "0.000"
    notes = " ".join(str(c.value) for c in ws["A"] if c.value)
    assert "Rule 'fixed': the cut-points were set on the Settings sheet" in notes
    # the trust names are not cut off: the column fits them, the longest wrap
    wb = openpyxl.load_workbook(out)
    for sheet in ("Non-acute league table", "Metric scores"):
        table = wb[sheet]
        names = [c for c in table["C"][1:] if c.value]
        width = table.column_dimensions["C"].width
        assert width == pytest.approx(min(max(len(c.value) for c in names) + 2, 60))
        assert all(bool(c.alignment.wrap_text) == (len(c.value) + 2 > 60) for c in names)


def test_the_macro_writes_the_dashboards_tables_without_charts(book: Path, tmp_path: Path):
    workbook = OpenpyxlBook.open(book)
    report = macros.recalculate(workbook)
    assert report.ok and DASHBOARD_SHEET in report.sheets_written
    saved = tmp_path / "macro.xlsx"
    workbook.save(saved)
    ws = openpyxl.load_workbook(saved)[DASHBOARD_SHEET]
    league = report.results.league
    all_row = row_of(ws, "All")
    assert [ws.cell(all_row, 1 + i).value for i in SEGMENTS] == [
        int((league["final_segment"] == s).sum()) for s in SEGMENTS]


# --------------------------------------------------------------------------- LibreOffice

@pytest.mark.libreoffice
def test_libreoffice_prints_one_landscape_page_per_chart_group_without_errors(
        recalculated, tmp_path: Path):
    exe = soffice_or_skip("rendering the Dashboard")
    path, results = recalculated
    wb = openpyxl.load_workbook(path)
    for name in wb.sheetnames:
        if name != DASHBOARD_SHEET:
            wb.remove(wb[name])
    only = tmp_path / "dashboard.xlsx"
    wb.save(only)
    profile = tmp_path / "profile"
    pdf, = convert([only], "pdf", tmp_path / "pdf", profile=profile, soffice=exe)
    csv, = convert([only], "csv", tmp_path / "csv", profile=profile, soffice=exe)
    data = pdf.read_bytes()
    pages = re.findall(rb"/Type\s*/Page[^s]", data)
    assert len(pages) == 2 + len(results.types_present)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(float(w) > float(h) for w, h in boxes)      # landscape
    text = csv.read_text(encoding="utf-8", errors="replace")
    assert "Organisations by final segment" in text
    assert not re.search(r"#(REF|VALUE|NAME|N/A|DIV/0)|Err:\d", text)



def test_without_likely_ranges_the_caterpillars_have_no_error_bars(book: Path):
    results = recalc_workbook(book, None, RunSettings(replicates=0)).results
    ws = openpyxl.load_workbook(book)[DASHBOARD_SHEET]
    for org_type in results.types_present:
        chart = chart_starting(ws, f"{type_label(org_type)}: average metric score")
        assert title_of(chart) == f"{type_label(org_type)}: average metric score by league position"
        assert all(s.errBars is None for s in chart.series)
    assert any("no likely ranges" in str(c.value) for c in ws["A"])
