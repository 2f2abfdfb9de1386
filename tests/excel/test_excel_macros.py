"""The macros, driven against OpenpyxlBook: the xlwings Book API subset, over a real file.

The macros read and write only through that API, so what they read (values, number formats,
error values), what they write (which sheets, in how many calls) and how they leave the host
(screen updating, calculation) are all checked here without Excel, and their results are
compared with ``xl-league recalc`` (recalc_workbook) on the same file.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from xl_league import compute_league_tables
from xl_league.demo import national_demo_dataset
from xl_league.excel import book_adapter, macros, whatif
from xl_league.excel.openpyxl_book import OpenpyxlBook, OpenpyxlRange
from xl_league.excel.reference import FORMULAS, MACROS
from xl_league.run import RunSettings, WorkbookProblems
from xl_league.run import check_book
from xl_league.workbook_io import build_template, fill_inputs, recalc_workbook, save_atomic
from xl_league.workbook_io.layout import (ABOUT_SHEET, INPUT_SHEETS, LAST_RECALCULATED_KEY,
                                          OUTPUT_SHEETS, SETTINGS_SHEET)

REPO = Path(__file__).resolve().parents[2]


def _column(ws, heading: str) -> int:
    return next(c.column for c in ws[1] if c.value == heading)


@pytest.fixture(scope="module")
def demo_book(tmp_path_factory) -> Path:
    """The demo dataset in a template, with one metric typed as percentage-formatted
    fractions (0.589 shown as 58.9%), which the reader must read as 58.9."""
    demo = national_demo_dataset()
    wb = build_template()
    fill_inputs(wb, demo.organisations, demo.values, demo.quarter)
    ws = wb[INPUT_SHEETS["acute"]]
    col = _column(ws, "OF0023")
    for r in range(2, ws.max_row + 1):
        cell = ws.cell(r, col)
        if isinstance(cell.value, float):
            cell.value = cell.value / 100
            cell.number_format = "0.0%"
    path = tmp_path_factory.mktemp("demo") / "book.xlsx"
    save_atomic(wb, path)
    return path


@pytest.fixture(scope="module")
def recalculated(demo_book, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "book.xlsx"
    recalc_workbook(demo_book, out)
    return out


def copy_of(path: Path, tmp_path: Path) -> Path:
    target = tmp_path / path.name
    shutil.copyfile(path, target)
    return target


def sheet_grid(wb: openpyxl.Workbook, name: str) -> dict[str, object]:
    return {c.coordinate: c.value for row in wb[name].iter_rows() for c in row
            if c.value is not None}


def shown_alike(value, got: str, want: str) -> bool:
    """The cell shows the same under both formats: equal, or text (formats change numbers
    only), or a whole number under "0" and General (the macros skip such calls)."""
    if got == want or isinstance(value, str):
        return True
    whole = isinstance(value, (int, float)) and float(value).is_integer()
    return whole and {got, want} == {"General", "0"}


def settings_row(wb: openpyxl.Workbook, key: str) -> int:
    return next(c.row for c in wb[SETTINGS_SHEET]["A"] if c.value == key)


# --- recalculate ----------------------------------------------------------------------------

def test_recalculate_writes_what_xl_league_recalc_writes(demo_book, recalculated, tmp_path):
    book = OpenpyxlBook.open(demo_book)
    report = macros.recalculate(book)
    assert report.ok, report.problems
    assert report.summary.startswith("Recalculated 134 acute, 61 non-acute, 10 ambulance at ")
    saved = tmp_path / "macro.xlsx"
    book.save(saved)
    want, got = openpyxl.load_workbook(recalculated), openpyxl.load_workbook(saved)
    assert got.sheetnames == want.sheetnames            # no Problems sheet after a clean run
    stamp = {ABOUT_SHEET: "B16", SETTINGS_SHEET: f"B{settings_row(want, LAST_RECALCULATED_KEY)}"}
    for name in want.sheetnames:
        a, b = sheet_grid(want, name), sheet_grid(got, name)
        if name in stamp:  # when it ran: both a date-time, not equal to the second
            assert isinstance(a.pop(stamp[name]), dt.datetime)
            assert isinstance(b.pop(stamp[name]), dt.datetime)
        assert b == a, name
    for name in OUTPUT_SHEETS:  # scores show as 0.00 etc., as the writer formats them
        for row in want[name].iter_rows(min_row=2):
            for cell in row:
                if cell.value is not None:
                    assert shown_alike(cell.value, got[name][cell.coordinate].number_format,
                                       cell.number_format), (name, cell.coordinate)
    # the percentage-formatted fractions were read as the percentages they show
    plain = compute_league_tables(national_demo_dataset().organisations,
                                  national_demo_dataset().values)
    assert report.results.league["position"].tolist() == plain.league["position"].tolist()


def test_recalculate_writes_only_output_sheets_one_call_each_and_restores_the_app(demo_book):
    book = OpenpyxlBook.open(demo_book)
    before = openpyxl.load_workbook(demo_book)
    assert macros.recalculate(book).ok
    written = [s for s, _ in book.writes]
    for name in OUTPUT_SHEETS:
        assert written.count(name) == 1, name           # range("A1").value = rows, once
    assert set(written) <= set(OUTPUT_SHEETS) | {ABOUT_SHEET, SETTINGS_SHEET}
    row = settings_row(before, LAST_RECALCULATED_KEY)
    assert [a for s, a in book.writes if s == SETTINGS_SHEET] == [f"$B${row}"]
    for name in INPUT_SHEETS.values():                  # input sheets: not one cell changed
        assert sheet_grid(book.wb, name) == sheet_grid(before, name)
    assert book.app.history == [("screen_updating", False), ("calculation", "manual"),
                                ("calculation", "automatic"), ("screen_updating", True)]


def test_recalculate_overrides_like_the_command_line(demo_book, tmp_path):
    book = OpenpyxlBook.open(demo_book)
    report = macros.recalculate(book, cut_points=(2.1, 2.4, 2.7), replicates=0)
    out = tmp_path / "cli.xlsx"
    recalc_workbook(demo_book, out, RunSettings((2.1, 2.4, 2.7), 0))
    book.save(tmp_path / "macro.xlsx")   # both through a file: floats written the same way
    want, got = openpyxl.load_workbook(out), openpyxl.load_workbook(tmp_path / "macro.xlsx")
    for name in (*OUTPUT_SHEETS, ABOUT_SHEET):
        a, b = sheet_grid(want, name), sheet_grid(got, name)
        if name == ABOUT_SHEET:                          # when each ran
            assert isinstance(a.pop("B16"), dt.datetime) and isinstance(b.pop("B16"),
                                                                      dt.datetime)
        assert b == a, name
    assert report.results.cut_points["c1"].tolist() == [2.1]
    # the packs and the what-if then use the recorded overrides, as xl-league packs does
    results = macros.compute(book, recorded=True).results
    assert results.cut_points["c1"].tolist() == [2.1]
    assert results.methodology.bootstrap_replicates == 0


def test_bad_cells_are_listed_on_a_problems_sheet_and_nothing_is_written(demo_book, tmp_path):
    path = copy_of(demo_book, tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb[INPUT_SHEETS["non-acute"]]
    ws.cell(5, _column(ws, "OF0082"), "abc")
    ws.cell(7, _column(ws, "In deficit"), "#N/A")
    wb.save(path)
    book = OpenpyxlBook.open(path)
    before = {n: sheet_grid(book.wb, n) for n in book.wb.sheetnames}
    report = macros.recalculate(book)
    assert not report.ok
    assert list(report.problems) == list(check_book(path).problems)          # the CLI's very lines
    assert len(report.problems) == 2 and report.problems[0].startswith("'Non-acute inputs'!")
    assert report.summary == "the recalculation: 2 problems, see the Problems sheet"
    shown = book.sheets[macros.PROBLEMS_SHEET].used_range.options(ndim=2).value
    assert shown[0][0].startswith("2 problems stopped the recalculation at ")
    assert [r[0] for r in shown[2:]] == list(report.problems)
    for name in before:                                           # nothing else touched
        assert sheet_grid(book.wb, name) == before[name], name
    with pytest.raises(WorkbookProblems):                         # the CLI refuses too
        recalc_workbook(path, tmp_path / "out.xlsx")
    # corrected: the Problems sheet now says so
    book.sheets[INPUT_SHEETS["non-acute"]].range(f"{_letter(ws, 'OF0082')}5").value = 5.0
    book.sheets[INPUT_SHEETS["non-acute"]].range(f"{_letter(ws, 'In deficit')}7").value = "No"
    assert macros.recalculate(book).ok
    assert book.sheets[macros.PROBLEMS_SHEET].range("A1").value.startswith(
        "No problems: the recalculation finished at ")


def test_a_users_own_dashboard_sheet_is_refused_as_the_cli_refuses_it(demo_book, tmp_path):
    path = copy_of(demo_book, tmp_path)
    wb = openpyxl.load_workbook(path)
    wb.remove(wb["Dashboard"])
    mine = wb.create_sheet("dashboard")
    mine["A1"], mine["B2"] = "My board KPIs", 42
    wb.save(path)
    book = OpenpyxlBook.open(path)
    before = {n: sheet_grid(book.wb, n) for n in book.wb.sheetnames}
    report = macros.recalculate(book)
    assert not report.ok
    with pytest.raises(Exception) as cli:                          # the CLI's very message
        recalc_workbook(path, tmp_path / "out.xlsx")
    assert report.problems == (str(cli.value),)
    assert "sheet named 'dashboard' that xl-league did not write" in report.problems[0]
    for name in before:
        if name != macros.PROBLEMS_SHEET:
            assert sheet_grid(book.wb, name) == before[name], name


def test_a_dashboard_the_macro_wrote_is_its_own_to_rewrite(demo_book, tmp_path):
    book = OpenpyxlBook.open(copy_of(demo_book, tmp_path))
    assert macros.recalculate(book).ok
    assert book.sheets["Dashboard"].range("A1").value.startswith(
        "Dashboard: NHS Oversight Framework league tables")
    assert macros.recalculate(book).ok                             # again: recognised as ours


def _letter(ws, heading: str) -> str:
    return openpyxl.utils.get_column_letter(_column(ws, heading))


def test_an_engine_objection_is_shown_named_by_cell(tmp_path):
    wb = build_template()
    orgs = pd.DataFrame({"code": ["RA1", "RA2", "RA3"], "name": ["A", "B", "C"],
                         "type": "acute", "in_deficit": "No"})
    fill_inputs(wb, orgs, pd.DataFrame({"OF0013": [70.0, 80.0, 75.0]},
                                       index=pd.Index(["RA1", "RA2", "RA3"], name="code")))
    path = tmp_path / "three.xlsx"
    save_atomic(wb, path)
    report = macros.recalculate(OpenpyxlBook.open(path))
    assert not report.ok
    assert list(report.problems) == list(check_book(path).problems)
    assert "quartile cut-points need at least 4" in report.problems[0]


def test_an_unexpected_failure_is_logged_reported_and_the_app_restored(demo_book, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("XL_LEAGUE_UDF_LOG", str(tmp_path / "udf.log"))

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(macros, "copy_sheet", broken)
    book = OpenpyxlBook.open(demo_book)
    report = macros.recalculate(book)
    assert not report.ok
    assert report.problems == (f"unexpected RuntimeError: disk on fire (details in "
                               f"{tmp_path / 'udf.log'})",)
    assert "Traceback" in (tmp_path / "udf.log").read_text("utf-8")
    assert book.app.screen_updating is True and book.app.calculation == "automatic"


def test_a_host_without_app_settings_still_recalculates(demo_book):
    """xlwings Lite has no screen updating / calculation mode to switch."""
    book = OpenpyxlBook.open(demo_book)
    book.app = object()
    assert macros.recalculate(book, replicates=0).ok


# --- build packs ----------------------------------------------------------------------------

def test_build_packs_writes_one_file_per_organisation(recalculated, tmp_path):
    book = OpenpyxlBook.open(copy_of(recalculated, tmp_path))
    report = macros.build_packs(book, codes=["ZA1", "ZN1"])
    assert report.ok, report.problems
    folder = tmp_path / "book packs"                              # beside the workbook
    assert sorted(p.parent for p in report.files) == [folder, folder]
    assert [p.name.split(" - ")[0] for p in report.files] == ["ZA1", "ZN1"]
    for p in report.files:
        assert openpyxl.load_workbook(p).sheetnames[0] == "Summary"
    assert report.summary == f"2 packs written to {folder}"


def test_build_packs_problems(recalculated, tmp_path):
    book = OpenpyxlBook.open(recalculated)
    book.fullname = ""                                            # never saved
    assert macros.build_packs(book).problems == (
        "the workbook has not been saved to a folder yet: save it first, so the packs can be "
        "written beside it",)
    report = macros.build_packs(OpenpyxlBook.open(recalculated), tmp_path, codes=["NOPE"])
    assert "no organisation with code 'NOPE'" in report.problems[0]


# --- what-if --------------------------------------------------------------------------------

def _whatif_book(recalculated, tmp_path, code):
    book = OpenpyxlBook.open(copy_of(recalculated, tmp_path))
    book_adapter.sheet(book, whatif.WHAT_IF_SHEET).range(whatif.CODE_CELL).value = code
    return book


def _rows(book):
    grid = book_adapter.sheet_values(book, whatif.WHAT_IF_SHEET)
    return {r[0]: r for r in grid[6:] if r and r[0]}, grid


def test_what_if_without_a_code_asks_for_one(recalculated, tmp_path):
    book = OpenpyxlBook.open(copy_of(recalculated, tmp_path))
    report = whatif.what_if(book)
    assert report.problems == ("'What-if'!B3: type the code of the organisation to try changes "
                               "on (e.g. RX1), then run the what-if set-up again",)
    assert whatif.WHAT_IF_SHEET in book.wb.sheetnames


def test_what_if_setup_copies_the_inputs_and_current_results(recalculated, tmp_path):
    book = _whatif_book(recalculated, tmp_path, "za1")
    report = whatif.what_if(book)          # a new code: sets up first
    assert report.ok and report.summary.startswith("What-if set up for ZA1")
    rows, grid = _rows(book)
    demo = national_demo_dataset()
    assert grid[3][:4] == ["Inputs below for", "ZA1",
                           demo.organisations.set_index("code").at["ZA1", "name"], "acute"]
    assert rows["OF0013"][2] == rows["OF0013"][3] == pytest.approx(demo.values.at["ZA1",
                                                                                  "OF0013"])
    assert rows["OF1106"][1].startswith("score 1-4")                # supplied score
    assert "OF0106" not in rows and "OF0017" not in rows           # not scored / not acute
    league = report.results.league.loc["ZA1"]
    result = {r[5]: r[6] for r in grid[6:] if len(r) > 6 and r[5]}
    assert result["Average metric score"] == league["average_score"]
    assert result["Position"] == league["position"]


def test_what_if_recalculates_everyone_with_the_changed_inputs(recalculated, tmp_path):
    demo = national_demo_dataset()
    base = compute_league_tables(demo.organisations, demo.values)
    league = base.league
    # an acute trust in deficit whose average alone would put it in segment 1 or 2
    code = league[(league["type"] == "acute") & league["override_applied"]].index[0]
    book = _whatif_book(recalculated, tmp_path, code)
    assert whatif.what_if_setup(book).ok
    rows, grid = _rows(book)
    r = next(i for i, row in enumerate(grid, start=1) if row and row[0] == "In deficit")
    sheet = book.sheets[whatif.WHAT_IF_SHEET]
    sheet.range(f"D{r}").value = "No"
    r13 = next(i for i, row in enumerate(grid, start=1) if row and row[0] == "OF0013")
    sheet.range(f"D{r13}").value = 99.0
    inputs_before = {n: sheet_grid(book.wb, n) for n in INPUT_SHEETS.values()}
    report = whatif.what_if(book)
    assert report.ok, report.problems
    orgs = demo.organisations.set_index("code")
    orgs.loc[code, "in_deficit"] = "No"
    values = demo.values.copy()
    values.loc[code, "OF0013"] = 99.0
    expected = compute_league_tables(orgs, values).league.loc[code]
    block = sheet.range("F6:I19").value
    result = {row[0]: row[1:] for row in block[1:]}
    assert result["Segment"][:2] == [3, expected["segment"]]
    assert result["Average metric score"][1] == expected["average_score"]
    assert result["Position"][:2] == [league.at[code, "position"], expected["position"]]
    assert result["In deficit"][:3] == ["Yes", "No", "changed"]
    assert report.summary == (f"What-if for {code}: average {expected['average_score']}, "
                              f"segment {expected['segment']}, position {expected['position']} "
                              f"of 134")
    for name, grid_before in inputs_before.items():
        assert sheet_grid(book.wb, name) == grid_before, name


def test_what_if_blank_means_no_value_and_bad_values_name_the_cell(recalculated, tmp_path):
    book = _whatif_book(recalculated, tmp_path, "ZA1")
    whatif.what_if_setup(book)
    _, grid = _rows(book)
    at = {row[0]: i for i, row in enumerate(grid, start=1) if row and row[0]}
    sheet = book.sheets[whatif.WHAT_IF_SHEET]
    sheet.range(f"D{at['OF0013']}").value = None
    assert whatif.what_if(book).ok
    result = {row[0]: row[1:] for row in sheet.range("F7:I19").value}
    assert result["Metrics scored"][1] == result["Metrics scored"][0] - 1
    sheet.range(f"D{at['OF0013']}").value = "lots"
    sheet.range(f"D{at['OF1106']}").value = 7.0
    sheet.range(f"D{at['In RSP']}").value = "maybe"
    report = whatif.what_if(book)
    assert not report.ok
    by_cell = {p.split(":")[0]: p for p in report.problems}
    assert list(by_cell) == sorted(by_cell, key=lambda ref: int(ref[11:]))   # top to bottom
    assert "'maybe' is not Yes or No for In RSP" in by_cell[f"'What-if'!D{at['In RSP']}"]
    assert "'lots' is not a number for OF0013" in by_cell[f"'What-if'!D{at['OF0013']}"]
    assert "score 7 for OF1106 is outside 1 to 4" in by_cell[f"'What-if'!D{at['OF1106']}"]
    assert len(report.problems) == 3


def test_what_if_unknown_code(recalculated, tmp_path):
    book = _whatif_book(recalculated, tmp_path, "XX9")
    assert whatif.what_if(book).problems == (
        "'What-if'!B3: XX9 is not in the input sheets: type the code of an organisation "
        "listed there",)


# --- the stand-in behaves like xlwings where the macros depend on it ------------------------

def test_openpyxl_book_reads_like_xlwings(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws["B3"], ws["C3"], ws["B4"], ws["C4"] = 1, "x", "#N/A", True
    ws["B5"] = 0.5
    ws["B5"].number_format = "0%"
    path = tmp_path / "b.xlsx"
    wb.save(path)
    sheet = OpenpyxlBook.open(path).sheets["data"]          # sheet names ignore case
    used = sheet.used_range
    assert (used.row, used.column, used.address) == (3, 2, "$B$3:$C$5")
    assert used.value == [[1.0, "x"], [None, True], [0.5, None]]   # numbers are floats
    assert used.options(err_to_str=True).value[1][0] == "#N/A"
    assert sheet.range("B3").value == 1.0 and sheet.range("B3:C3").value == [1.0, "x"]
    assert sheet.range("B3").options(ndim=2).value == [[1.0]]
    assert sheet.range("B3:B5").number_format is None and sheet.range("B5").number_format == "0%"
    assert book_adapter.sheet_values(sheet.book, "Data")[2] == [None, 1, "x"]


def test_number_formats_are_read_in_few_calls(tmp_path, monkeypatch):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "In"
    ws.append(["Code", "OF0023", "OF0013"])
    for i in range(300):
        ws.append([f"R{i}", 0.5, 70.0])
    ws["B200"].number_format = "0.0%"
    ws["C9"].number_format = "0.00"
    path = tmp_path / "f.xlsx"
    wb.save(path)
    calls = []
    plain = OpenpyxlRange.number_format

    def counted(rng):
        calls.append(rng.address)
        return plain.fget(rng)

    monkeypatch.setattr(OpenpyxlRange, "number_format", property(counted, plain.fset))
    book = OpenpyxlBook.open(path)
    formats = book_adapter.number_formats(book, "In", book_adapter.sheet_values(book, "In"))
    assert formats == {(200, 2): "0.0%", (9, 3): "0.00"}
    assert len(calls) <= 40                       # not one per cell of 600
    memory = book_adapter.to_openpyxl(book, ["In"], with_formats=["In"])
    assert memory["In"]["B200"].number_format == "0.0%"
    assert memory["In"]["B201"].number_format == "General"


def test_openpyxl_book_formulas_read_their_cached_value(tmp_path):
    path = REPO / "workbook" / "league_tables.xlsm"
    book = OpenpyxlBook.open(path)
    assert book.wb.vba_archive is not None                  # .xlsm opened with its VBA
    sheet = book.sheets["About"]
    sheet.range("Z1").value = "=1+1"                         # no Excel: never calculated
    assert sheet.range("Z1").value is None


# --- workbook/league_tables.py: the thin xlwings layer --------------------------------------

@pytest.fixture(scope="module")
def league_tables():
    spec = importlib.util.spec_from_file_location("league_tables",
                                                  REPO / "workbook" / "league_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_module_registers_every_documented_formula_and_macro(league_tables):
    funcs = sorted(n for n in dir(league_tables) if n.startswith("NOF_"))
    assert funcs == sorted(f.name for f in FORMULAS)
    for name in [m.name for m in MACROS if m.name != "SampleCall"] + ["main"]:
        assert callable(getattr(league_tables, name)), name
    for name in funcs:  # Excel's Function Wizard shows at most 255 characters
        assert 0 < len(getattr(league_tables, name).__doc__) <= 255, name


def test_the_formulas_delegate_to_the_udfs(league_tables):
    avgs = [[1.0], [2.0], [3.0], [4.0], [None]]
    assert league_tables.NOF_SEGMENTS(avgs) == [[1], [2], [3], [4]]   # trailing blank: trimmed
    assert league_tables.NOF_SEGMENTS([[1.0], [None], [2.0], [3.0], [4.0]]) == \
        [[1], [None], [2], [3], [4]]                                     # a blank in the middle
    assert league_tables.NOF_CUT_POINTS(avgs) == [[1.75, 2.5, 3.25]]
    assert league_tables.NOF_METRIC_SCORES([[2.0], [1.0]], "higher") == [[1.0], [4.0]]
    assert league_tables.NOF_AVERAGE([[1.0, 2.0]]) == [[1.5, 2]]
    assert league_tables.NOF_ADJUSTED_SEGMENT([[1.0]], "Yes") == [[3]]
    assert league_tables.NOF_POSITIONS([["acute"]], [[3.0]], [[2.5]]) == [[1]]
    table = league_tables.NOF_LEAGUE_TABLE([["Code", "Type", "OF0013"], ["A", "acute", 1.0],
                                            ["B", "acute", 2.0], ["C", "acute", 3.0],
                                            ["D", "acute", 4.0]], None, 0)
    assert [r[2] for r in table[1:]] == ["D", "C", "B", "A"]


def test_main_recalculates_the_calling_workbook(league_tables, demo_book, tmp_path,
                                                monkeypatch):
    book = OpenpyxlBook.open(copy_of(demo_book, tmp_path))
    monkeypatch.setattr(league_tables.xw.Book, "caller", staticmethod(lambda: book))
    league_tables.main()
    # the status bar says what runs, and is handed back to Excel (False) afterwards
    assert [v for k, v in book.app.history if k == "status_bar"] == \
        ["xl-league: recalculate…", False]
    assert sheet_grid(book.wb, "Acute league table")["B2"] == \
        compute_league_tables(national_demo_dataset().organisations,
                              national_demo_dataset().values).table("acute").index[0]
    league_tables.WhatIfSetUp()
    assert book.app.status_bar is False
    assert "'What-if'!B3: type the code" in str(book.sheets["Problems"].range("A3").value)


def test_text_that_excel_would_read_as_a_formula_is_quote_prefixed():
    from xl_league.excel.book_adapter import _as_text
    assert _as_text('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert _as_text("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0"
    assert _as_text("@SUM(1)") == "'@SUM(1)"
    assert _as_text("-2.5") == "-2.5" and _as_text(-2.5) == -2.5
    assert _as_text("Northfield NHS Trust") == "Northfield NHS Trust"
