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

__all__ = ["EXCEL_ERRORS", "Vector", "as_grid", "as_vector", "is_blank", "to_number",
           "to_flag", "to_text", "excel_value", "broadcast", "numbers"]

#: Cell error values Excel can pass (as text, with ``err_to_str=True``).
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!"})


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
            return [[""]]
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
    if is_blank(value):
        return None
    if isinstance(value, bool) or isinstance(value, np.bool_):
        raise InputError(f"{where}: {_show(value)} is not a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
    elif isinstance(value, str):
        text = value.replace("\u00a0", " ").strip()
        if text.upper() in EXCEL_ERRORS:
            raise InputError(f"{where}: the cell holds the Excel error {text.upper()}; fix the "
                             "formula or clear the cell")
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
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        raise InputError(f"{where}: the cell holds the Excel error {value.strip().upper()}")
    try:
        return parse_flag(None if is_blank(value) else value)
    except ValueError:
        raise InputError(f"{where}: {_show(value)} is not Yes or No (or blank)") from None


def to_text(value: Any, where: str) -> str:
    """Text ('' for blank). A whole number typed into a code cell reads back without '.0'."""
    if is_blank(value):
        return ""
    if isinstance(value, str):
        text = value.strip()
        if text.upper() in EXCEL_ERRORS:
            raise InputError(f"{where}: the cell holds the Excel error {text.upper()}")
        return text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def excel_value(value: Any) -> Any:
    """A result cell: blank for no value, whole floats as int, numpy scalars as Python ones."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "Yes" if bool(value) else "No"
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return "" if math.isnan(f) else f
    return value


def numbers(vector_cells: list[Any], where: Callable[[int], str]) -> np.ndarray:
    """Cells → float array (NaN for blanks); ``where(i)`` names cell ``i`` in messages."""
    out = np.full(len(vector_cells), np.nan)
    for i, cell in enumerate(vector_cells):
        n = to_number(cell, where(i))
        if n is not None:
            out[i] = n
    return out
