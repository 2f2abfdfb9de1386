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
knows (``ThisWorkbook``, ``Sheet1``, ``Sheet2``). Added: an **Instructions** sheet (first,
active) and an active **xlwings.conf** sheet — the quickstart's settings (keys in A, values
in B) with ``UDF Modules = league_tables``. The file is saved with fixed timestamps, so the
same code gives the same bytes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import WorkbookError
from ..workbook_io.template import build_template, template_bytes
from ..workbook_io.files import write_bytes_atomic
from .reference import FORMULAS, MACROS, SETUP_STEPS

__all__ = ["QUICKSTART", "WORKBOOK_NAME", "UDF_MODULE", "CONF_SHEET", "INSTRUCTIONS_SHEET",
           "quickstart_path", "conf_rows", "build_workbook", "workbook_bytes", "build", "main"]

QUICKSTART = "quickstart_standalone.xlsm"
WORKBOOK_NAME = "league_tables.xlsm"
UDF_MODULE = "league_tables"           # the module named after the workbook (xlwings rule)
CONF_SHEET = "xlwings.conf"            # active (the quickstart ships "_xlwings.conf")
INSTRUCTIONS_SHEET = "Instructions"
_QUICKSTART_CONF = "_xlwings.conf"
_SETTINGS = {"UDF Modules": UDF_MODULE}


def quickstart_path() -> Path:
    """The standalone quickstart workbook inside the installed xlwings package."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise WorkbookError("xlwings is not installed: pip install xlwings")
    path = Path(list(spec.submodule_search_locations)[0]) / QUICKSTART
    if not path.is_file():
        raise WorkbookError(f"{path} is missing: this xlwings version does not ship {QUICKSTART}")
    return path


def conf_rows(quickstart: Workbook) -> list[tuple[str, Any]]:
    """The quickstart's xlwings settings (up to its first blank row), ours applied."""
    ws = quickstart[_QUICKSTART_CONF]
    rows: list[tuple[str, Any]] = []
    for key, value in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        if key is None or str(key).strip() == "":
            break
        rows.append((str(key), value))
    keys = [k for k, _ in rows]
    rows = [(k, _SETTINGS.get(k, v)) for k, v in rows]
    rows += [(k, v) for k, v in _SETTINGS.items() if k not in keys]
    return rows


def _conf_sheet(ws: Worksheet, rows: list[tuple[str, Any]]) -> None:
    for r, (key, value) in enumerate(rows, start=1):
        ws.cell(r, 1, key)
        ws.cell(r, 2, value)
    note = len(rows) + 2  # after a blank row: xlwings reads A1 down to the first blank
    ws.cell(note, 1, "xlwings reads the settings above (keys in A, values in B, from A1 down to "
                     "the first blank row). UDF Modules names league_tables.py, the module "
                     "beside this workbook.").font = Font(italic=True)
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
            cell.alignment = wrap
        if len(row) == 1:
            ws.cell(r, 1).font = bold
    for cell in ws[1]:
        cell.font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["C"].width = 60


def build_workbook() -> Workbook:
    """The macro workbook in memory: template sheets + Instructions + xlwings.conf + VBA."""
    quickstart = openpyxl.load_workbook(quickstart_path(), keep_vba=True)
    wb = build_template()
    wb.vba_archive = quickstart.vba_archive          # xl/vbaProject.bin, kept as is
    wb.code_name = quickstart.code_name              # ThisWorkbook
    code_names = [ws.sheet_properties.codeName for ws in quickstart.worksheets]
    instructions = wb.create_sheet(INSTRUCTIONS_SHEET, 0)
    _instructions_sheet(instructions)
    conf = wb.create_sheet(CONF_SHEET)
    _conf_sheet(conf, conf_rows(quickstart))
    for ws, code_name in zip((instructions, conf), code_names):
        ws.sheet_properties.codeName = code_name      # Sheet1, Sheet2
    wb.active = 0
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws is instructions
    return wb


def workbook_bytes() -> bytes:
    """The .xlsm file's bytes (fixed timestamps: the same bytes every build)."""
    return template_bytes(build_workbook())


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
