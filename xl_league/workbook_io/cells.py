"""Reading raw cells and turning one cell into a number, a flag or a text — or a problem.

Pure functions over a small :class:`RawCell` record, so every rule about what a user may type
(missing markers, Excel error values, numbers stored as text, percentages) lives in one place
and is tested without a workbook. :func:`sheet_cells` gets the non-empty cells of a worksheet,
read-only or not, without creating cells in it.
"""

from __future__ import annotations

import datetime as _dt
import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText
from openpyxl.workbook import Workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from ..errors import WorkbookError
from ..vocabulary import is_missing_text, text_number, yes_no
from .layout import EXCEL_ERRORS

__all__ = ["RawCell", "sheet_cells", "formula_text", "parse_number", "parse_flag_cell",
           "parse_text", "show", "load", "Parsed"]


@dataclass
class RawCell:
    """What the file holds in one cell. ``formula`` is set for formula cells; then ``value`` is
    the cached result (``uncalculated`` when the file holds none)."""

    value: object
    data_type: str = "n"
    number_format: str = "General"
    formula: str | None = None
    uncalculated: bool = False


@dataclass(frozen=True)
class Parsed:
    """A parsed cell: ``value`` (None = blank) or a ``problem`` (the message after ``!A1: ``)."""

    value: object = None
    problem: str | None = None
    #: how text was read as a number (the vocabulary's one rule), for the reader to report
    read_as_text: bool = False


def formula_text(value: object) -> str | None:
    """``=A1*2`` for a formula cell value (plain, array or data-table formula), else None."""
    if isinstance(value, ArrayFormula):
        return value.text
    if isinstance(value, DataTableFormula):
        return "=TABLE()"
    if isinstance(value, str) and value.startswith("="):
        return value
    return None


def sheet_cells(ws) -> dict[tuple[int, int], RawCell]:
    """Non-empty cells of ``ws`` by (row, column), without creating any cell in the sheet.

    Works for read-only and normal worksheets. A normal worksheet's public ``iter_rows``
    creates every cell of the rectangle it walks, which would add empty cells to a user's
    input sheet, so its cell store is read directly.
    """
    out: dict[tuple[int, int], RawCell] = {}
    if hasattr(ws, "_cells"):
        source = ws._cells.values()
    else:
        source = (c for row in ws.iter_rows() for c in row)
    with _quiet_reading():
        for cell in source:
            value = cell.value
            if value is None:
                continue
            if isinstance(value, CellRichText):
                value = str(value)
            formula = formula_text(value) if cell.data_type == "f" else None
            out[(cell.row, cell.column)] = RawCell(value, cell.data_type,
                                                   cell.number_format or "General", formula)
    return out


@contextmanager
def _quiet_reading():
    """openpyxl's warnings while it parses cells (a read-only sheet parses as it is iterated):
    a number in a date-formatted cell that is no date is warned about and read as an error
    value, which the reader reports with the cell's address; the warning itself would only
    print a Python warning line (or, with warnings as errors, a traceback)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def cached_values(ws, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[object, str]]:
    """(value, data_type) of the ``wanted`` cells of a worksheet loaded with ``data_only``."""
    out: dict[tuple[int, int], tuple[object, str]] = {}
    rows = {r for r, _ in wanted}
    with _quiet_reading():
        for row in ws.iter_rows(min_row=min(rows), max_row=max(rows)):
            for cell in row:
                key = (getattr(cell, "row", None), getattr(cell, "column", None))
                if key in wanted:
                    value = cell.value
                    out[key] = (str(value) if isinstance(value, CellRichText) else value,
                                cell.data_type)
    return out


@contextmanager
def load(path: Path, *, source: object = None, **options) -> Workbook:
    """``openpyxl.load_workbook`` with any failure as a :class:`WorkbookError`; closes it.

    ``source``: what to read instead of ``path`` (an in-memory copy of it); messages still
    name ``path``."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about parts it drops; safety.unsupported_parts reports those.
            warnings.simplefilter("ignore", UserWarning)
            wb = load_workbook(path if source is None else source, **options)
    except WorkbookError:
        raise
    except Exception as exc:  # any parser failure is a damaged or hostile file
        raise WorkbookError(_load_failure(path, exc)) from None
    try:
        yield wb
    finally:
        if options.get("read_only"):
            wb.close()


def _load_failure(path: Path, exc: BaseException) -> str:
    chain: BaseException | None = exc
    while chain is not None:
        if type(chain).__module__.startswith("defusedxml"):
            return (f"{path} was refused: its XML declares entities or external references "
                    "(defusedxml refuses them, as they are used in attacks); open it in "
                    "Excel and save it as .xlsx")
        chain = chain.__cause__ or chain.__context__
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return (f"{path} could not be read as a workbook ({first}): open it in Excel and save it "
            "as .xlsx")


_LINE_BREAKS = str.maketrans({**{chr(i): f"\\x{i:02x}" for i in (*range(32), 127)},
                              "\r": "\\r", "\n": "\\n", "\t": "\\t"})
_SHOWN_TEXT = 100  # characters of a text shown in a message (a cell may hold 32,767)


def show(value: object) -> str:
    """A value as it appears in messages: text in quotes, numbers plain.

    Text is shown on one line (a line break typed with Alt+Enter shows as ``\\n``, so that
    ``check`` keeps one line per problem; other control characters, such as a terminal's
    escape codes, as ``\\x1b``) and cut after 100 characters.
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (int,)):
        return str(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return f"the date {value:%Y-%m-%d}"
    text = str(value).strip().translate(_LINE_BREAKS)
    if len(text) > _SHOWN_TEXT:
        text = text[:_SHOWN_TEXT - 1] + "…"
    return f"'{text}'"


def _error_value(value: object) -> str | None:
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return value.strip().upper()
    return None


def parse_number(cell: RawCell, what: str, *, percent_cells: bool = True) -> Parsed:
    """A metric cell → float (or None for blank / a missing marker), or a problem.

    ``"62.5"`` and ``"62.5%"`` read as 62.5; ``"1,234"`` as 1234. With ``percent_cells``, a
    number in a cell formatted as a percentage is what the cell shows: 0.62 shown as 62%
    reads as 62.
    """
    value = cell.value
    error = _error_value(value)
    if error:
        return Parsed(problem=f"{error} is an Excel error value, not a number for {what}: "
                              "correct the formula or the data it comes from, or leave the "
                              "cell blank")
    if isinstance(value, bool) or isinstance(value, (_dt.datetime, _dt.date, _dt.time,
                                                      _dt.timedelta)):
        return Parsed(problem=f"{show(value)} is not a number for {what}: format the cell as "
                              "a number and type the value, or leave it blank")
    if isinstance(value, (int, float)):
        number = float(value)
        if percent_cells and "%" in (cell.number_format or ""):
            number = round(number * 100, 10)
        if not math.isfinite(number):
            return Parsed(problem=f"{show(value)} is not a finite number for {what}: type "
                                  "a number or leave it blank")
        return Parsed(number)
    text = str(value).replace("\u00a0", " ").strip()
    if is_missing_text(text):
        return Parsed(None)
    number = text_number(text)
    if number is None:
        return Parsed(problem=f"{show(text)} is not a number for {what}: type a number or "
                              "leave it blank")
    return Parsed(number, read_as_text=True)


def parse_flag_cell(cell: RawCell, what: str) -> Parsed:
    """Yes/No/Y/N/True/False/1/0 (any case) → bool; blank → None; anything else a problem."""
    value = cell.value
    error = _error_value(value)
    if error:
        return Parsed(problem=f"{error} is an Excel error value, not Yes or No for {what}: "
                              "type Yes or No, or leave it blank")
    if isinstance(value, bool):
        return Parsed(value)
    if isinstance(value, (int, float)) and value in (0, 1):
        return Parsed(bool(value))
    try:
        return Parsed(yes_no(value))
    except ValueError:
        pass
    return Parsed(problem=f"{show(value)} is not Yes or No for {what}: type Yes or No, or "
                          "leave it blank")


def parse_text(cell: RawCell, what: str) -> Parsed:
    """A text cell (name, region, code): numbers without a needless ``.0``; errors a problem."""
    value = cell.value
    error = _error_value(value)
    if error:
        return Parsed(problem=f"{error} is an Excel error value, not a {what}: correct the "
                              f"formula or type the {what}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\u00a0", " ").strip()
    return Parsed(text or None)
