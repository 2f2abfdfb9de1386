"""Build ``workbook/league_tables.xlsm``: the template's sheets carrying xlwings' VBA.

``python -m xl_league.excel.build [PATH]`` (re)writes the committed macro workbook.

openpyxl cannot write VBA, but it keeps a workbook's VBA project when the workbook is loaded
with ``keep_vba=True``. So the xlwings wheel's ``quickstart_standalone.xlsm`` (its VBA: the
standalone xlwings module with RunPython and ImportPythonUDFs, and ``SampleCall``, which runs
``main()`` of the Python module named after the workbook) is loaded that way, and its VBA
project — ``xl/vbaProject.bin``, byte for byte — is carried over to the template built by
:func:`~xl_league.workbook_io.template.build_template` (so every template sheet comes through
with its styles, validation, tables and conditional formatting, which copying cells between
workbooks would lose). The workbook and the two sheets take the code names the VBA project
knows (``ThisWorkbook``, ``Sheet1``, ``Sheet2``). Added:

* **Instructions** (first, active): set-up, macros, formulas — the example formulas are text
  (data type string), never formulas;
* **Live**: each type's league table as an ``=NOF_LIVE_TABLE(...)`` array formula over the
  input sheets, every cell holding the value the engine computes from the workbook's content
  now; a hidden **Live cache** sheet holds the same values, which the formula shows where the
  function is missing (``IFERROR``: before Import Functions, LibreOffice, Excel without
  Python), so the sheet shows numbers, never an error;
* **What-if** (the What-if macros' sheet, code cell B3) and **NHSE data** (paste NHS
  England's trust-data CSV there for ``ImportNhseData``);
* **xlwings.conf** (active): only ``UDF Modules = league_tables`` — so the functions still
  load when the workbook is saved under another name. No interpreter, PYTHONPATH or conda
  keys: xlwings takes a key on this sheet over the user's ``~/.xlwings/xlwings.conf`` and
  the ribbon even when it is blank, so the sheet sets only what this workbook needs.

The workbook is not marked for a full calculation on opening (openpyxl's default), so Excel
shows the cached values until an input changes. The file is saved with fixed timestamps, so
the same code gives the same bytes.

Upgrading xlwings is one rebuild: pin the new version in ``pyproject.toml``
(``xlwings==X.Y.Z``), install it, run ``python -m xl_league.excel.build`` and commit the
workbook; the tests check that its VBA is byte for byte the installed wheel's quickstart's.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import io

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.formula import ArrayFormula
from openpyxl.worksheet.worksheet import Worksheet

from ..engine.pipeline import LEAGUE_CSV_COLUMNS
from ..errors import WorkbookError
from ..workbook_io.cached_values import CachedValue, restore_cached_values
from ..workbook_io.layout import INPUT_SHEETS
from ..workbook_io.template import build_template, template_bytes
from ..workbook_io.files import write_bytes_atomic
from ..workbook_io.writer import fill_inputs
from .book_adapter import sheet_values
from .live import LIVE_INPUT_ROWS, LIVE_ROWS, LIVE_SHEET, live_table
from .nhse_import import NHSE_SHEET
from .openpyxl_book import OpenpyxlBook
from .reference import FORMULAS, MACROS, SETUP_STEPS
from .whatif import CODE_CELL, WHAT_IF_SHEET

__all__ = ["QUICKSTART", "WORKBOOK_NAME", "UDF_MODULE", "CONF_SHEET", "INSTRUCTIONS_SHEET",
           "quickstart_path", "conf_rows", "build_workbook", "workbook_bytes", "build", "main",
           "live_formula", "LIVE_BLOCK_COLUMNS", "LIVE_CACHE_SHEET", "CALC_ID"]

QUICKSTART = "quickstart_standalone.xlsm"
WORKBOOK_NAME = "league_tables.xlsm"
UDF_MODULE = "league_tables"           # the module named after the workbook (xlwings rule)
CONF_SHEET = "xlwings.conf"            # active (the quickstart ships "_xlwings.conf")
INSTRUCTIONS_SHEET = "Instructions"
_QUICKSTART_CONF = "_xlwings.conf"
_SETTINGS = {"UDF Modules": UDF_MODULE}
#: The last input column the Live formulas read (imports may add score columns).
_LIVE_LAST_COLUMN = "AH"
#: Where each type's block starts on the Live sheet (a spare column between blocks).
LIVE_BLOCK_COLUMNS = {t: 1 + i * (len(LEAGUE_CSV_COLUMNS) + 1)
                      for i, t in enumerate(INPUT_SHEETS)}
_LIVE_TOP = 3               # the header row of each block; the title is in row 1
#: Excel 365's calculation engine id: a file stamped with an older one is fully
#: recalculated on opening (openpyxl stamps 124519), which would turn the Live sheet's
#: cached values into #NAME? before Import Functions.
CALC_ID = 191029
#: A hidden sheet holding the Live sheet's values as last computed (its fallback).
LIVE_CACHE_SHEET = "Live cache"


def quickstart_path() -> Path:
    """The standalone quickstart workbook inside the installed xlwings package."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise WorkbookError("xlwings is not installed: pip install xlwings")
    path = Path(list(spec.submodule_search_locations)[0]) / QUICKSTART
    if not path.is_file():
        raise WorkbookError(f"{path} is missing: this xlwings version does not ship {QUICKSTART}")
    return path


def conf_rows(quickstart: Workbook | None = None) -> list[tuple[str, Any]]:
    """The settings the xlwings.conf sheet holds: only what this workbook needs.

    Every key on the sheet wins over the user's and IT's own xlwings settings (even blank), so
    the quickstart's Interpreter_*, PYTHONPATH, Conda and UDF-server keys are left out. Only
    ``UDF Modules`` stays, so the functions load when the workbook is saved under another
    name (xlwings' default module is the workbook's own name)."""
    return list(_SETTINGS.items())


def _conf_sheet(ws: Worksheet, rows: list[tuple[str, Any]]) -> None:
    for r, (key, value) in enumerate(rows, start=1):
        ws.cell(r, 1, key)
        ws.cell(r, 2, value)
    note = len(rows) + 2  # after a blank row: xlwings reads A1 down to the first blank
    ws.cell(note, 1, "xlwings reads the settings above (keys in A, values in B, from A1 down to "
                     "the first blank row). UDF Modules names league_tables.py, the module "
                     "beside this workbook. Anything else (Interpreter_Win, Interpreter_Mac, "
                     "PYTHONPATH, Conda Path, Conda Env) belongs in your own "
                     "~/.xlwings/xlwings.conf or the xlwings ribbon: a key typed here overrides "
                     "those, even when its value is blank.").font = Font(italic=True)
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 40


def _instructions_sheet(ws: Worksheet) -> None:
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    rows: list[tuple[Any, ...]] = [
        ("NHS Oversight Framework league tables — the xlwings workbook",),
        ("Fill in the input sheets (or paste NHS England's data), then recalculate. "
         "league_tables.py, beside this file, holds the formulas and macros; the calculation "
         "is the xl-league engine, the same as the command line (xl-league recalc).",),
        (),
        ("Set up",),
        *((f"{i}.", text) for i, text in enumerate(SETUP_STEPS, start=1)),
        (),
        ("Macros",),
        *((m.name, m.does) for m in MACROS),
        (),
        ("Formulas (Windows; array formulas: Excel 365 spills them, older Excel: select the "
         "output range and press Ctrl+Shift+Enter)",),
        ("Formula", "What it returns", "Example"),
        *((f"{f.name}({f.arguments})", f.returns, f.example) for f in FORMULAS),
        (),
        ("A range the formula cannot use shows one short message, e.g. "
         "#xl-league: values row 5: 'abc' is not a number. Unexpected failures are logged to "
         "~/.xl-league/udf.log (or the file named by XL_LEAGUE_UDF_LOG).",),
    ]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(r, c, value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"        # an example to read, never a formula to calculate
            cell.alignment = wrap
        if len(row) == 1:
            ws.cell(r, 1).font = bold
    for cell in ws[1]:
        cell.font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["C"].width = 60


def _block_ref(left: int) -> str:
    width, height = len(LEAGUE_CSV_COLUMNS), LIVE_ROWS + 1
    return (f"${get_column_letter(left)}${_LIVE_TOP}:"
            f"${get_column_letter(left + width - 1)}${_LIVE_TOP + height - 1}")


def live_formula(org_type: str) -> str:
    """The Live sheet's formula for one type: the four input sheets from A1. Where the
    function is missing (before Import Functions, a spreadsheet without Python) it shows the
    hidden Live cache sheet's copy of the last values computed instead of an error."""
    ranges = ", ".join(f"'{name}'!$A$1:${_LIVE_LAST_COLUMN}${LIVE_INPUT_ROWS}"
                       for name in INPUT_SHEETS.values())
    cache = f"'{LIVE_CACHE_SHEET}'!{_block_ref(LIVE_BLOCK_COLUMNS[org_type])}"
    return (f'=IFERROR(NOF_LIVE_TABLE("{org_type}", {ranges}, 0), '
            f'IF({cache}="", "", {cache}))')


def _live_sheets(ws: Worksheet, cache: Worksheet, wb: Workbook) -> dict[str, CachedValue]:
    """Each type's block: a title, then the array formula over LIVE_ROWS + 1 rows, every cell
    holding the value the function gives for the workbook as built; the same values on the
    hidden Live cache sheet. Returns the anchors' cached values (openpyxl writes a formula
    cell's value empty)."""
    book = OpenpyxlBook(wb)
    width = len(LEAGUE_CSV_COLUMNS)
    height = LIVE_ROWS + 1
    ranges = [[(row + [None] * 34)[:34] for row in
               (sheet_values(book, name) + [[None]] * LIVE_INPUT_ROWS)[:LIVE_INPUT_ROWS]]
              for name in INPUT_SHEETS.values()]
    anchors: dict[str, CachedValue] = {}
    ws.cell(2, 1, "Each table is one formula over the four input sheets (NOF_LIVE_TABLE): "
                  "change an input and it recalculates, as the Recalculate macro would. Until "
                  "you Import Functions (Windows), it shows the values computed when the "
                  "workbook was built.").font = Font(italic=True)
    cache.cell(1, 1, "The Live sheet's last values, shown there where its function is not "
                     "available (written by python -m xl_league.excel.build).")
    cache.sheet_state = "hidden"
    for org_type, left in LIVE_BLOCK_COLUMNS.items():
        title = INPUT_SHEETS[org_type].replace(" inputs", "")
        ws.cell(1, left, f"{title} league table (live)").font = Font(bold=True)
        values = live_table(org_type, *ranges, 0, size=(height, width), book=book)
        if values[0][0] != LEAGUE_CSV_COLUMNS[0]:
            raise WorkbookError(f"the Live sheet's {org_type} table: {values[0][0]}")
        anchor = f"{get_column_letter(left)}{_LIVE_TOP}"
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                if value is not None:
                    cache.cell(_LIVE_TOP + i, left + j, value)
                    if (i, j) != (0, 0):
                        ws.cell(_LIVE_TOP + i, left + j, value)
        ws[anchor] = ArrayFormula(_block_ref(left).replace("$", ""), live_formula(org_type))
        anchors[anchor] = CachedValue(str(values[0][0]), "str")
        for j in range(width):
            ws.cell(_LIVE_TOP, left + j).font = Font(bold=True)
            ws.column_dimensions[get_column_letter(left + j)].width = 12
        ws.column_dimensions[get_column_letter(left + 3)].width = 36
    return anchors


def _what_if_sheet(ws: Worksheet) -> None:
    ws.cell(1, 1, "What-if: type an organisation's code in B3, run WhatIfSetUp (Alt+F8), "
                  "change the What-if column, then run WhatIf.").font = Font(bold=True)
    ws.cell(2, 1, "The input sheets are never changed.")
    ws.cell(3, 1, "Organisation code")
    ws[CODE_CELL].fill = PatternFill("solid", fgColor="FFF2CC")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 40


def _nhse_sheet(ws: Worksheet) -> None:
    ws.cell(1, 1, "Paste NHS England's trust-data CSV here, its header row (Quarter, Region, "
                  "Trust_type, ...) in A1 over this text, then run ImportNhseData (Alt+F8). "
                  "It fills the empty input sheets as xl-league import-nhse does, then "
                  "recalculates.")


def build_workbook(organisations: pd.DataFrame | None = None,
                   values: pd.DataFrame | None = None,
                   quarter: str | None = None) -> tuple[Workbook, dict[str, dict[str, CachedValue]]]:
    """The macro workbook in memory — template sheets (optionally filled with
    ``organisations`` and ``values``) + Instructions + Live + What-if + NHSE data +
    xlwings.conf + VBA — and the cached values of the Live sheet's formulas."""
    quickstart = openpyxl.load_workbook(quickstart_path(), keep_vba=True)
    wb = build_template()
    if organisations is not None:
        fill_inputs(wb, organisations, values if values is not None else pd.DataFrame(),
                    quarter)
    wb.vba_archive = quickstart.vba_archive          # xl/vbaProject.bin, kept as is
    wb.code_name = quickstart.code_name              # ThisWorkbook
    code_names = [ws.sheet_properties.codeName for ws in quickstart.worksheets]
    instructions = wb.create_sheet(INSTRUCTIONS_SHEET, 0)
    _instructions_sheet(instructions)
    live = wb.create_sheet(LIVE_SHEET, 1)
    anchors = _live_sheets(live, wb.create_sheet(LIVE_CACHE_SHEET), wb)
    _what_if_sheet(wb.create_sheet(WHAT_IF_SHEET))
    _nhse_sheet(wb.create_sheet(NHSE_SHEET))
    conf = wb.create_sheet(CONF_SHEET)
    _conf_sheet(conf, conf_rows(quickstart))
    for ws, code_name in zip((instructions, conf), code_names):
        ws.sheet_properties.codeName = code_name      # Sheet1, Sheet2
    wb.active = 0
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws is instructions
    wb.calculation.fullCalcOnLoad = False
    wb.calculation.calcId = CALC_ID
    return wb, {LIVE_SHEET: anchors}


def workbook_bytes(organisations: pd.DataFrame | None = None,
                   values: pd.DataFrame | None = None, quarter: str | None = None) -> bytes:
    """The .xlsm file's bytes (fixed timestamps: the same bytes every build), every formula
    holding its cached value."""
    wb, cached = build_workbook(organisations, values, quarter)
    out = io.BytesIO()
    restore_cached_values(io.BytesIO(template_bytes(wb)), out, cached)
    return out.getvalue()


def build(path: str | Path) -> Path:
    """Write the macro workbook to ``path`` (atomic replace)."""
    target = Path(path)
    if target.suffix.lower() != ".xlsm":
        raise WorkbookError(f"{target}: a macro workbook must be saved as .xlsm")
    write_bytes_atomic(workbook_bytes(), target)
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m xl_league.excel.build [PATH]`` — default ``workbook/league_tables.xlsm``."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else Path("workbook") / WORKBOOK_NAME
    print(build(path))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
