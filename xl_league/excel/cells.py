"""What Excel passes to a Python function, turned into plain Python values (and back).

xlwings hands a UDF a range as a 2-D list of rows (``ndim=2``), a flat list (``ndim=1``), or a
single value for a one-cell range. Blank cells arrive as ``None`` (or ``""`` when a formula
returns an empty string), numbers as ``float``, text as ``str``, ``TRUE``/``FALSE`` as ``bool``,
and Excel errors as their text (``"#N/A"``) when the argument is read with ``err_to_str=True``.
On Linux the xlwings converters do not run, so every function here accepts all those shapes.

Problems raise :class:`~xl_league.errors.InputError` with a short message that names the
argument, the row (counted from 1 at the top of the range) and the value.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..engine.inputs import parse_flag
from ..errors import InputError
from ..vocabulary import is_missing_text, text_number

__all__ = ["EXCEL_ERRORS", "EXCEL_ERROR_NUMBERS", "excel_error", "Vector", "as_grid", "as_vector",
           "is_blank", "to_number", "to_flag", "to_text", "excel_value", "broadcast", "numbers"]

#: Cell error values Excel can pass (as text, with ``err_to_str=True``).
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!"})

#: Excel's error numbers (XlCVError). Through COM an error cell arrives as the integer
#: 0x800A0000 + its number; xlwings' ``err_to_str`` names only the first seven, so the others
#: (#SPILL! = -2146826243, #CALC! = -2146826238, ...) reach Python as plain integers.
EXCEL_ERROR_NUMBERS: dict[int, str] = {
    2000: "#NULL!", 2007: "#DIV/0!", 2015: "#VALUE!", 2023: "#REF!", 2029: "#NAME?",
    2036: "#NUM!", 2042: "#N/A", 2043: "#GETTING_DATA", 2045: "#SPILL!", 2046: "#CONNECT!",
    2047: "#BLOCKED!", 2048: "#UNKNOWN!", 2049: "#FIELD!", 2050: "#CALC!", 2051: "#BUSY!",
    2222: "#PYTHON!",
}
_COM_ERROR_BASE = -2146828288        # 0x800A0000 as a signed 32-bit integer (an HRESULT)
#: Every error number Excel may add later falls in this band of HRESULTs too.
_COM_ERROR_BAND = range(_COM_ERROR_BASE + 2000, _COM_ERROR_BASE + 3000)


def excel_error(value: Any) -> str | None:
    """The Excel error a cell value stands for — its text (``"#N/A"``, from ``err_to_str``) or
    its COM integer (``-2146826238`` is ``#CALC!``) — or ``None`` for any other value.

    Numbers come from Excel as floats, so only a Python ``int`` is read as an error code. An
    error number Excel adds later (not in :data:`EXCEL_ERROR_NUMBERS`) is ``#UNKNOWN!``.
    """
    if isinstance(value, str):
        text = value.replace("\u00a0", " ").strip().upper()
        return text if text in EXCEL_ERRORS else None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        if int(value) in _COM_ERROR_BAND:
            return EXCEL_ERROR_NUMBERS.get(int(value) - _COM_ERROR_BASE, "#UNKNOWN!")
    return None


def is_blank(value: Any) -> bool:
    """An empty cell: ``None``, ``""`` (or spaces), NaN, or pandas' NA."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, float):
        return math.isnan(value)
    return False


def as_grid(value: Any, what: str) -> list[list[Any]]:
    """A range as a rectangular list of rows: a scalar is 1×1, a flat list is one column."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        if not value:
            return []
        if all(isinstance(r, (list, tuple)) for r in value):
            rows = [list(r) for r in value]
            width = max(len(r) for r in rows)
            if any(len(r) != width for r in rows):
                raise InputError(f"{what}: the rows have different lengths; select a "
                                 "rectangular range")
            return rows
        if any(isinstance(r, (list, tuple)) for r in value):
            raise InputError(f"{what}: mixes single cells and rows; select a rectangular range")
        return [[v] for v in value]
    return [[value]]


@dataclass(frozen=True)
class Vector:
    """One column or one row of cells, remembering which, so results come back the same way."""

    cells: list[Any]
    by_row: bool = False  # True: the range was one row (results are returned as one row)

    def __len__(self) -> int:
        return len(self.cells)

    def shape(self, results: list[Any]) -> list[list[Any]]:
        """Results (one per cell) as a 2-D list in the range's orientation."""
        values = [excel_value(r) for r in results]
        if not values:
            return [[None]]
        if self.by_row:
            return [values]
        return [[v] for v in values]


def as_vector(value: Any, what: str) -> Vector:
    """One column or one row of cells; anything wider and taller is a readable error."""
    grid = as_grid(value, what)
    if not grid:
        return Vector([])
    if len(grid[0]) == 1:
        return Vector([r[0] for r in grid])
    if len(grid) == 1:
        return Vector(list(grid[0]), by_row=True)
    raise InputError(f"{what}: expected one column (or one row), got {len(grid)} rows × "
                     f"{len(grid[0])} columns")


def broadcast(vector: Vector, n: int, what: str) -> list[Any]:
    """``vector``'s cells, repeating a single cell ``n`` times; other lengths are an error."""
    if len(vector) == n:
        return list(vector.cells)
    if len(vector) == 1:
        return list(vector.cells) * n
    raise InputError(f"{what} has {len(vector)} cells but the first range has {n}: select "
                     "ranges of the same size")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def to_number(value: Any, where: str) -> float | None:
    """A number (``None`` for a blank). Text is read as the workbook reader reads it: the
    missing markers (``-``, ``n/a``, ``..``) are blanks, ``"62.5%"`` is 62.5, ``"1,234"`` is
    1234. A cell *formatted* as a percentage passes its value (0.625 for 62.5 %): Excel does
    not tell a function how its arguments are formatted."""
    error = excel_error(value)
    if error:
        raise InputError(f"{where}: the cell holds the Excel error {error}; fix the formula or "
                         "clear the cell")
    if is_blank(value):
        return None
    if isinstance(value, bool) or isinstance(value, np.bool_):
        raise InputError(f"{where}: {_show(value)} is not a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
    elif isinstance(value, str):
        text = value.replace("\u00a0", " ").strip()
        if is_missing_text(text):
            return None
        parsed = text_number(text)
        if parsed is None:
            raise InputError(f"{where}: {_show(value)} is not a number")
        number = parsed
    elif isinstance(value, (dt.date, dt.datetime, dt.time)):
        raise InputError(f"{where}: {value} is a date, not a number")
    else:
        raise InputError(f"{where}: {_show(value)} is not a number")
    if not math.isfinite(number):
        raise InputError(f"{where}: {_show(value)} is not a finite number")
    return number


def to_flag(value: Any, where: str) -> bool | None:
    """Yes/No, TRUE/FALSE or 1/0 → bool; blank → ``None``."""
    error = excel_error(value)
    if error:
        raise InputError(f"{where}: the cell holds the Excel error {error}")
    try:
        return parse_flag(None if is_blank(value) else value)
    except ValueError:
        raise InputError(f"{where}: {_show(value)} is not Yes or No (or blank)") from None


def to_text(value: Any, where: str) -> str:
    """Text ('' for blank). A whole number typed into a code cell reads back without '.0'."""
    error = excel_error(value)
    if error:
        raise InputError(f"{where}: the cell holds the Excel error {error}")
    if is_blank(value):
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def excel_value(value: Any) -> Any:
    """A result cell: ``None`` (an empty cell, not ``""`` text, so ``=F2+1`` still works) for
    no value, numpy scalars as Python ones, flags as Yes/No."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "Yes" if bool(value) else "No"
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return None if math.isnan(f) else f
    return value


def numbers(vector_cells: list[Any], where: Callable[[int], str]) -> np.ndarray:
    """Cells → float array (NaN for blanks); ``where(i)`` names cell ``i`` in messages."""
    out = np.full(len(vector_cells), np.nan)
    for i, cell in enumerate(vector_cells):
        n = to_number(cell, where(i))
        if n is not None:
            out[i] = n
    return out


def _row_blank(row: Any) -> bool:
    """A row (list) or cell of blanks; ``None`` cells are counted at C speed."""
    if not isinstance(row, (list, tuple)):
        return is_blank(row)
    return row.count(None) == len(row) or all(is_blank(v) for v in row)


def _none_suffix(cells: Any) -> int:
    """Where the run of all-``None`` items (rows of Nones) at the end of ``cells`` starts,
    found by comparing slices (C speed), doubling the step then halving it."""
    if not isinstance(cells, list) or not cells:
        return len(cells)
    first = cells[0]
    blank = [None] * len(first) if isinstance(first, list) else None
    start, step = len(cells), 1
    while start > 0:                      # gallop back while whole slices are blank
        k = max(0, start - step)
        if cells[k:start] != [blank] * (start - k):
            break
        start, step = k, step * 2
    low = max(0, start - step)            # the boundary lies in [low, start]
    while low < start:
        mid = (low + start) // 2
        if cells[mid:start] == [blank] * (start - mid):
            start = mid
        else:
            low = mid + 1
    return start


def _last_filled(cells: Any) -> int:
    """1 + the index of the last non-blank item (0 when all are blank): a million blank rows
    of a whole-column reference cost a few slice comparisons, not a million Python steps."""
    for i in range(_none_suffix(cells) - 1, -1, -1):
        if not _row_blank(cells[i]):
            return i + 1
    return 0


def _grid_or_none(value: Any) -> list[list[Any]] | None:
    """The range as rows; None for a scalar, or for a ragged range (the function itself then
    names the argument in its message)."""
    if not isinstance(value, (list, tuple)):
        return None
    try:
        return as_grid(value, "argument")
    except InputError:
        return None


def trim_ranges(args: list[Any]) -> list[Any]:
    """The arguments with trailing blank rows (and columns) of their ranges dropped.

    A whole-column reference (``D:D``, a million rows) then costs what the cells in use cost
    and gives a result that long, not a million rows. Ranges of several rows are cut to the
    same length — the last row with a value in *any* of them — so ranges that go together
    (types, segments and averages) stay the same size; one-row ranges likewise by column; a
    range of several rows and columns also loses its blank columns on the right. Single
    cells and scalars are left alone.
    """
    raw = [a.tolist() if isinstance(a, np.ndarray) else a for a in args]
    tall = [a for a in raw if isinstance(a, (list, tuple)) and len(a) > 1]
    rows = max([max(1, _last_filled(a)) for a in tall], default=0)
    cut = [a[:rows] if isinstance(a, (list, tuple)) and len(a) > 1 else a for a in raw]
    grids = [_grid_or_none(a) for a in cut]
    wide = [g for g in grids if g and len(g) == 1 and len(g[0]) > 1]
    cols = max([max(1, _last_filled(g[0])) for g in wide], default=0)
    out = []
    for arg, g in zip(cut, grids):
        if not g or (len(g) == 1 and len(g[0]) == 1):
            out.append(arg)
        elif len(g) > 1:
            if len(g[0]) > 1:
                width = max(1, max(_last_filled(r) for r in g))
                g = [r[:width] for r in g]
            out.append(g)
        else:
            out.append([g[0][:cols]])
    return out
