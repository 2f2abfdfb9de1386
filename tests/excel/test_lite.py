"""workbook/lite/main.py driven through xlwings' own xlwings Lite machinery, in Python.

Functions: ``xlwings.server.custom_functions_meta`` registers them as the Lite add-in does and
``custom_functions_call`` calls them with arguments shaped as Office.js sends them (2-D
arrays, ``None`` for blank cells and omitted arguments). Scripts: ``custom_scripts_call`` runs
them on a book of xlwings' remote engine (``xlwings.pro._xlremote``) built from a workbook's
cell values as the Lite client sends them; what they write comes back as the book's queued
actions, which :func:`apply_actions` carries out on the source workbook as Excel would.

The remote engine refuses on-demand reads off Pyodide (number formats): here the test plays
the Office.js client and answers ``get_number_format`` from the source workbook.
That machinery is licence-gated: ``XLWINGS_LICENSE_KEY=noncommercial`` (PolyForm
Noncommercial, documented for testing); the shipped main.py needs no key.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import importlib.util
import inspect
import io
import itertools
import sys
import types
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from cli_helpers import run
from xl_league.demo import national_demo_dataset
from xl_league.excel.nhse_import import NHSE_SHEET
from xl_league.excel.macros import PROBLEMS_SHEET
from xl_league.excel.whatif import WHAT_IF_SHEET
from xl_league import compute_league_tables, load_methodology
from xl_league.jobs import import_nhse
from xl_league.nhse import TRUST_DATA_COLUMNS
from xl_league.workbook_io import build_template, fill_inputs, recalc_workbook, save_atomic
from xl_league.workbook_io.layout import (INPUT_SHEETS, LEAGUE_SHEETS, METRICS_SHEET,
                                          OUTPUT_SHEETS)

xw = pytest.importorskip("xlwings")

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "workbook" / "lite" / "main.py"
FUNCTIONS = ("NOF_METRIC_SCORES", "NOF_AVERAGE", "NOF_CUT_POINTS", "NOF_SEGMENTS",
             "NOF_ADJUSTED_SEGMENT", "NOF_POSITIONS", "NOF_LEAGUE_TABLE")
SCRIPTS = ("recalculate_league_tables", "what_if_set_up", "what_if", "import_nhse_data",
           "build_packs")


# --- xlwings Lite, played in Python ---------------------------------------------------------

@pytest.fixture
def lite(monkeypatch):
    """main.py as xlwings Lite loads it: ``from xlwings import func, script, arg`` are the
    Lite decorators (xlwings.server's), not the identity ones of xlwings on Linux."""
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    server = pytest.importorskip("xlwings.server")
    from xlwings.main import Engine, Engines
    from xlwings.pro import _xlofficejs, _xlremote

    engines = Engines()  # registered by `import xlwings` only when a key was set by then
    for engine in (_xlremote.engine, _xlofficejs.engine):
        engines.add(Engine(impl=engine))
    monkeypatch.setattr(xw, "engines", engines)
    # xlwings asks `from pyodide.ffi import JsNull` for every cell it reads: in Pyodide that
    # import is cached, off it each failed attempt searches sys.path (~1 ms a cell). A module
    # with Pyodide's JsNull type (which nothing here is an instance of) makes it as cheap.
    pyodide, ffi = types.ModuleType("pyodide"), types.ModuleType("pyodide.ffi")
    ffi.JsNull = type("JsNull", (), {})
    pyodide.ffi = ffi
    monkeypatch.setitem(sys.modules, "pyodide", pyodide)
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
    for name in ("func", "arg", "ret", "script"):
        monkeypatch.setattr(xw, name, getattr(server, name))
    spec = importlib.util.spec_from_file_location("xl_league_lite_main", MAIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return server, module


def _cell_json(value: Any) -> Any:
    """A cell value as the Lite client sends it: "" for blank, dates as ISO text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time()).isoformat(timespec="milliseconds") + "Z"
    return value


def book_json(wb: openpyxl.Workbook) -> dict:
    """The book as the xlwings Lite client sends it to a script: every sheet's values from A1
    to the end of its used range."""
    sheets = []
    for ws in wb.worksheets:
        rows = [[_cell_json(v) for v in row] for row in
                ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column,
                             values_only=True)]
        sheets.append({"name": ws.title, "values": rows or [[]], "pictures": [], "tables": []})
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": "league.xlsx", "active_sheet_index": 0, "selection": "A1"},
            "names": [], "sheets": sheets}


class OfficeJs:
    """The Office.js side: answers the on-demand number-format reads from the source workbook
    (a range's format, or None when its cells differ, as Excel does) and counts them."""

    def __init__(self, wb: openpyxl.Workbook):
        self.wb = wb
        self.reads: list[str] = []

    async def get_number_format(self, rng) -> str | None:
        ws = self.wb[rng.sheet.name]
        (top, left), (bottom, right) = rng.arg1, rng.arg2 or rng.arg1
        self.reads.append(f"'{ws.title}'!{rng.address}")
        formats = {ws.cell(r, c).number_format for r in range(top, bottom + 1)
                   for c in range(left, right + 1)}
        return formats.pop() if len(formats) == 1 else None


def run_script(lite, monkeypatch, wb: openpyxl.Workbook, name: str) -> tuple[list, OfficeJs]:
    """Run the script ``name`` of main.py on a Lite book of ``wb``; its actions, and the client."""
    from xlwings.pro import _xlremote

    server, module = lite
    client = OfficeJs(wb)

    async def get_number_format(impl):
        return await client.get_number_format(impl)

    monkeypatch.setattr(_xlremote.Range, "get_number_format", get_number_format)
    impl = _xlremote.App(_xlremote.Apps(), add_book=False).books.open(book_json(wb))
    book = xw.Book(impl=impl)
    returned = asyncio.run(server.custom_scripts_call(module, name,
                                                      typehint_to_value={xw.Book: book}))
    return returned.json()["actions"], client


def _written(value: Any) -> Any:
    """A value of a setValues action as the cell holds it afterwards."""
    if value == "":
        return None
    if isinstance(value, str) and value.startswith("'"):
        return value[1:]  # Excel's quote prefix: text, not shown
    return value


def apply_actions(wb: openpyxl.Workbook, actions: list[dict]) -> openpyxl.Workbook:
    """Carry out the script's actions on ``wb`` as Excel would (the ones these scripts use;
    any other fails the test)."""
    for action in actions:
        func = action["func"]
        if func == "addSheet":
            ix, name = action["args"]
            wb.create_sheet(name, ix)
            continue
        if func in ("setCalculation", "setScreenUpdating"):
            continue
        ws = wb.worksheets[action["sheet_position"]]
        if func == "sheetClearContents":
            for row in ws.iter_rows():
                for cell in row:
                    cell.value = None
        elif func == "setValues":
            for r, row in enumerate(action["values"], start=action["start_row"] + 1):
                for c, v in enumerate(row, start=action["start_column"] + 1):
                    ws.cell(r, c).value = _written(v)
        elif func == "setNumberFormat":
            for r in range(action["start_row"] + 1, action["start_row"] + action["row_count"] + 1):
                for c in range(action["start_column"] + 1,
                               action["start_column"] + action["column_count"] + 1):
                    ws.cell(r, c).number_format = action["args"][0]
        else:
            raise AssertionError(f"unexpected action {func}")
    return wb


def _number(v: Any) -> Any:
    """Numbers as floats to 12 significant digits (a value saved to a file and read back may
    differ from the one in memory in the 16th)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(f"{v:.12g}")
    return v


def values(ws) -> list[list[Any]]:
    """A sheet's values, trailing blank rows and columns trimmed, numbers as float."""
    rows = [[_number(v) for v in row] for row in ws.iter_rows(values_only=True)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((max((j + 1 for j, v in enumerate(r) if v is not None), default=0)
                 for r in rows), default=0)
    return [r[:width] for r in rows]


# --- the demo workbook, one metric percentage-formatted -------------------------------------

@pytest.fixture(scope="module")
def demo_book(tmp_path_factory) -> Path:
    """The demo dataset in a template (100 bootstrap replicates), with OF0023 of the acute
    trusts from row 70 on typed as fractions formatted 0.0% (58.9% is 58.9): the ranking is right
    only when the number formats are read."""
    demo = national_demo_dataset()
    wb = build_template()
    fill_inputs(wb, demo.organisations, demo.values, demo.quarter)
    ws = wb[INPUT_SHEETS["acute"]]
    col = next(c.column for c in ws[1] if c.value == "OF0023")
    for r in range(70, ws.max_row + 1):  # from row 70 on: a column of two formats
        if isinstance(ws.cell(r, col).value, float):
            ws.cell(r, col).value /= 100
            ws.cell(r, col).number_format = "0.0%"
    settings = wb["Settings"]
    row = next(r for r in range(1, settings.max_row + 1)
               if settings.cell(r, 1).value == "bootstrap_replicates")
    settings.cell(row, 2).value = 100  # likely ranges still written, in less time
    path = tmp_path_factory.mktemp("lite") / "book.xlsx"
    save_atomic(wb, path)
    return path


@pytest.fixture(scope="module")
def recalculated(demo_book, tmp_path_factory) -> openpyxl.Workbook:
    """``xl-league recalc`` of the demo book with a fixed time, to compare with."""
    out = tmp_path_factory.mktemp("cli") / "book.xlsx"
    recalc_workbook(demo_book, out)
    return openpyxl.load_workbook(out)


# --- functions ------------------------------------------------------------------------------

def test_the_seven_functions_register_with_the_desktop_names_and_arguments(lite):
    server, module = lite
    meta = server.custom_functions_meta(module)
    registered = {f["id"]: [p["name"] for p in f["parameters"]] for f in meta["functions"]}
    assert set(registered) == set(FUNCTIONS)
    spec = importlib.util.spec_from_file_location("league_tables_desktop",
                                                  REPO / "workbook" / "league_tables.py")
    desktop = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(desktop)
    def shown(func) -> list[inspect.Parameter]:
        """The arguments a user types: desktop's hidden ``caller`` (the calling range, which
        xlwings fills in) is not one of them."""
        return [p for p in inspect.signature(func).parameters.values() if p.name != "caller"]

    for name in FUNCTIONS:
        assert shown(getattr(module, name)) == shown(getattr(desktop, name)), name
        assert registered[name] == [p.name for p in shown(getattr(desktop, name))]
    table = next(f for f in meta["functions"] if f["id"] == "NOF_LEAGUE_TABLE")
    assert [p.get("optional", False) for p in table["parameters"]] == [False, True, True, True]
    assert set(server.custom_scripts_meta(module)[i]["function_name"]
               for i in range(len(SCRIPTS))) == set(SCRIPTS)


def call(lite, name: str, *args: Any) -> Any:
    """``=NAME(args)`` in a cell, as xlwings Lite calls it."""
    server, module = lite
    data = {"func_name": name, "args": list(args), "version": xw.__version__,
            "client": "Office.js", "runtime": "1.4", "culture_info_name": "en-GB",
            "date_format": None, "caller_address": "Sheet1!A1"}
    return asyncio.run(server.custom_functions_call(data, module))


def _all_organisations(path: Path) -> list[list[Any]]:
    """Every input sheet of the workbook in one range, a Type column added (Office.js sends
    blank cells as None)."""
    wb = openpyxl.load_workbook(path)
    grids = {t: values(wb[name]) for t, name in INPUT_SHEETS.items()}
    header = ["Code", "Name", "Type"]
    for grid in grids.values():
        header += [h for h in (grid[0] if grid else []) if h not in header]
    rows = [header]
    for org_type, grid in grids.items():
        for row in grid[1:]:
            cells = dict(zip(grid[0], row))
            rows.append([org_type if h == "Type" else cells.get(h) for h in header])
    return rows


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The dataset of ``xl-league demo`` in a template, and its results (no likely ranges)."""
    data = national_demo_dataset()
    wb = build_template()
    fill_inputs(wb, data.organisations, data.values, data.quarter)
    path = save_atomic(wb, tmp_path_factory.mktemp("demo") / "demo.xlsx")
    meth = load_methodology().with_settings(bootstrap_replicates=0)
    return path, compute_league_tables(data.organisations, data.values, meth)


def test_league_table_over_every_organisation_gives_the_acute_positions_of_xl_league_table(
        lite, demo):
    path, results = demo
    acute = results.league[results.league["type"] == "acute"]
    cuts = results.cuts_for(acute.index[0])
    out = call(lite, "NOF_LEAGUE_TABLE", _all_organisations(path), [list(cuts)], 0, None)
    header = out[0]
    got = {r[header.index("code")]: r[header.index("position")] for r in out[1:]
           if r[header.index("type")] == "acute"}
    table = run("table", path, "--type", "acute", "--format", "csv", "--replicates", "0")
    assert table.exit_code == 0, table.output
    expected = {r["code"]: float(r["position"]) for r in csv.DictReader(io.StringIO(table.output))}
    assert len(expected) == 134
    assert got == expected


def test_functions_give_messages_not_tracebacks_and_read_excel_errors(lite):
    scores = call(lite, "NOF_METRIC_SCORES", [[1.0], [2.0], [None], [4.0]], "higher", None)
    assert scores == [[4.0], [2.5], [""], [1.0]]
    bad = call(lite, "NOF_SEGMENTS", [[2.0], [{"type": "Error", "errorType": "NotAvailable",
                                               "basicValue": "#N/A"}]], [[2.1, 2.4, 2.7]])
    assert bad[0][0].startswith("#xl-league: ") and "#N/A" in bad[0][0]


# --- scripts --------------------------------------------------------------------------------

def test_recalculate_writes_the_league_tables_of_xl_league_recalc(lite, monkeypatch, demo_book,
                                                                  recalculated):
    wb = openpyxl.load_workbook(demo_book)
    actions, client = run_script(lite, monkeypatch, wb, "recalculate_league_tables")
    assert client.reads, "the percentage-formatted inputs need their number formats"
    assert len(client.reads) < 40  # a range per sheet, a few more per change of format
    assert all(name.split("'")[1] in INPUT_SHEETS.values() for name in client.reads)
    after = apply_actions(openpyxl.load_workbook(demo_book), actions)
    for name in OUTPUT_SHEETS:
        assert values(after[name]) == values(recalculated[name]), name
    league = after[LEAGUE_SHEETS["acute"]]
    col = next(c.column for c in league[1] if c.value == "Average metric score") \
        if any(c.value == "Average metric score" for c in league[1]) else None
    if col is not None:
        assert league.cell(2, col).number_format == recalculated[LEAGUE_SHEETS["acute"]].cell(
            2, col).number_format
    assert PROBLEMS_SHEET not in after.sheetnames  # no problem, so no Problems sheet
    for sheet in INPUT_SHEETS.values():  # the input sheets are never written
        assert not [a for a in actions if a.get("sheet_position") ==
                    wb.sheetnames.index(sheet) and a["func"] != "setCalculation"]


def test_recalculate_puts_problems_on_the_problems_sheet_and_the_console(lite, monkeypatch,
                                                                        demo_book, capsys):
    wb = openpyxl.load_workbook(demo_book)
    ws = wb[INPUT_SHEETS["acute"]]
    ws["H3"] = "lots"
    actions, _ = run_script(lite, monkeypatch, wb, "recalculate_league_tables")
    after = apply_actions(wb, actions)
    problems = values(after[PROBLEMS_SHEET])
    assert "1 problem stopped the recalculation" in problems[0][0]
    assert "'Acute inputs'!H3" in problems[2][0] and "lots" in problems[2][0]
    printed = capsys.readouterr().out
    assert "problem: 'Acute inputs'!H3" in printed
    assert not set(OUTPUT_SHEETS) & {wb.sheetnames[a["sheet_position"]] for a in actions
                                     if a["func"] == "setValues"}


def test_what_if_set_up_then_what_if(lite, monkeypatch, demo_book, recalculated):
    wb = openpyxl.load_workbook(demo_book)
    code = recalculated[LEAGUE_SHEETS["acute"]]["B2"].value  # the top acute trust
    wb.create_sheet(WHAT_IF_SHEET)[("B3")] = code
    actions, _ = run_script(lite, monkeypatch, wb, "what_if_set_up")
    wb = apply_actions(wb, actions)
    sheet = wb[WHAT_IF_SHEET]
    assert sheet["B4"].value == code and sheet["A6"].value == "Input"
    assert sheet["F6"].value == "Result" and sheet["G7"].value is not None
    # make it much worse: every score it has becomes 4
    changed = 0
    for r in range(7, sheet.max_row + 1):
        if str(sheet.cell(r, 2).value or "").startswith("score 1-4") and \
                sheet.cell(r, 4).value is not None:
            sheet.cell(r, 4).value = 4
            changed += 1
        elif isinstance(sheet.cell(r, 4).value, (int, float)):
            sheet.cell(r, 4).value = None  # no value: not scored
            changed += 1
    assert changed
    actions, _ = run_script(lite, monkeypatch, wb, "what_if")
    wb = apply_actions(wb, actions)
    block = {wb[WHAT_IF_SHEET].cell(r, 6).value: [wb[WHAT_IF_SHEET].cell(r, c).value
                                                  for c in (7, 8, 9)] for r in range(7, 20)}
    before, after, change = block["Position"]
    assert before == 1 and after > before and change == after - before
    assert PROBLEMS_SHEET not in wb.sheetnames  # no problem: none shown


# --- import_nhse_data -----------------------------------------------------------------------

def _nhse_rows(path: Path, per_type: int = 20) -> list[list[str]]:
    """The first ``per_type`` organisations of each type of a workbook as NHS England's
    long-format trust data (header first)."""
    wb = openpyxl.load_workbook(path)
    names = {"acute": "Acute trust", "non-acute": "Mental health and community trust",
             "ambulance": "Ambulance trust"}
    rows = [list(TRUST_DATA_COLUMNS)]
    for org_type, sheet in INPUT_SHEETS.items():
        grid = values(wb[sheet])
        for row in grid[1:per_type + 1]:
            cells = dict(zip(grid[0], row))
            base = {"Quarter": "Q2 2025/26", "Region": cells["Region"],
                    "Trust_type": names[org_type], "Trust_subtype": cells["Subtype"] or "",
                    "Trust_code": cells["Code"], "Trust_name": cells["Name"]}
            flags = {"OF5004": cells["In deficit"], "OF5007": cells["In RSP"]}
            metrics = [(m, v) for m, v in cells.items() if str(m).startswith("OF")]
            metrics += [(m, {"Yes": 1, "No": 0}[f]) for m, f in flags.items() if f]
            for metric, value in metrics:
                if value is None:
                    continue
                rows.append([{**base, "Metric_ID": metric, "Value": value, "Domain": "x"}
                             .get(c, "") for c in TRUST_DATA_COLUMNS])
    return rows


@pytest.fixture(scope="module")
def nhse_rows(demo) -> list[list[Any]]:
    return _nhse_rows(demo[0])


def test_import_nhse_data_fills_the_input_sheets_as_xl_league_import_nhse(
        lite, monkeypatch, nhse_rows, tmp_path):
    csv_path = tmp_path / "trust-data.csv"
    with csv_path.open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(nhse_rows)
    cli = import_nhse([csv_path], tmp_path / "cli.xlsx")
    assert cli.results is not None
    expected = openpyxl.load_workbook(cli.path)

    wb = build_template()
    pasted = wb.create_sheet(NHSE_SHEET)
    for row in nhse_rows:  # as Excel holds a pasted CSV: numbers as numbers
        pasted.append([float(v) if isinstance(v, (int, float)) else v for v in row])
    actions, _ = run_script(lite, monkeypatch, wb, "import_nhse_data")
    after = apply_actions(wb, actions)
    for name in (*INPUT_SHEETS.values(), METRICS_SHEET, *LEAGUE_SHEETS.values()):
        assert values(after[name]) == values(expected[name]), name
    assert PROBLEMS_SHEET not in after.sheetnames


def test_import_nhse_data_never_replaces_organisations_already_typed(lite, monkeypatch,
                                                                   demo_book, nhse_rows):
    wb = openpyxl.load_workbook(demo_book)
    pasted = wb.create_sheet(NHSE_SHEET)
    for row in nhse_rows[:50]:
        pasted.append(row)
    actions, _ = run_script(lite, monkeypatch, wb, "import_nhse_data")
    after = apply_actions(wb, actions)
    assert {after.sheetnames[a["sheet_position"]] for a in actions
            if a["func"] == "setValues"} == {PROBLEMS_SHEET}
    assert "'Acute inputs' already holds organisations" in values(after[PROBLEMS_SHEET])[2][0]


@pytest.mark.parametrize("change, expected", [
    (lambda rows: rows[:1] + [rows[1][:4] + [""] + rows[1][5:]] + rows[2:],
     "'NHSE data' row 2: Trust_code is blank"),
    (lambda rows: [[c for c in r[:-5]] for r in rows],
     "the 'NHSE data' sheet: not NHS England's trust data CSV — missing column(s) Value"),
])
def test_import_nhse_data_problems_name_the_sheet_row(lite, monkeypatch, nhse_rows, change,
                                                       expected, capsys):
    wb = build_template()
    pasted = wb.create_sheet(NHSE_SHEET)
    for row in change([list(r) for r in itertools.islice(nhse_rows, 40)]):
        pasted.append(row)
    actions, _ = run_script(lite, monkeypatch, wb, "import_nhse_data")
    after = apply_actions(wb, actions)
    assert expected in values(after[PROBLEMS_SHEET])[2][0]
    assert expected in capsys.readouterr().out
    assert all(not values(after[s])[1:] for s in INPUT_SHEETS.values())


def test_build_packs_says_where_packs_are_made_and_writes_nothing(lite, monkeypatch, demo_book,
                                                                 capsys):
    actions, _ = run_script(lite, monkeypatch, openpyxl.load_workbook(demo_book), "build_packs")
    assert actions == []
    assert "xl-league packs" in capsys.readouterr().out


def test_main_py_imports_nothing_that_needs_files_or_the_desktop():
    text = MAIN.read_text(encoding="utf-8")
    assert "from xlwings import arg, func, script" in text
    for desktop_only in ("Book.caller", "xw.sub", "macros.build_packs", "open(", "Path("):
        assert desktop_only not in text, desktop_only
    assert pd.Series(FUNCTIONS).map(lambda f: f"def {f}(" in text).all()
