"""A workbook file behind the small part of the xlwings ``Book`` API the macros use.

:class:`OpenpyxlBook` lets the macros of :mod:`xl_league.excel.macros` run without Excel — on
Linux, in tests, from a script — against a real ``.xlsx``/``.xlsm`` through openpyxl. It
behaves like xlwings where the macros depend on it:

* ``range.value`` of one cell is a scalar, of one row or column a list, else rows; with
  ``.options(ndim=2)`` always rows. Numbers read as ``float`` (Excel has no integers), blank
  cells as ``None``, error cells as ``None`` unless ``err_to_str=True``; a formula reads as
  its last calculated value (the one Excel cached in the file), as in Excel.
* ``range.value = rows`` writes a 2-D list from that cell; ``None`` clears a cell; text that
  starts with ``=`` is a formula.
* ``sheet.clear_contents()`` clears values and formulas, keeps formatting.
* ``range.number_format`` is the cells' format, or ``None`` when they differ.
* ``book.app.screen_updating`` / ``.calculation`` / ``.status_bar`` are plain attributes; every change is kept
  in ``book.app.history``, every ``range.value = ...`` call in ``book.writes``, and every
  call that would cross from Python into Excel in ``book.calls``, so a caller can check what
  was written, in how many calls, and that settings were restored.
* ``sheet.range("F2:F9,H2:H9")`` (several areas, as Excel's ``Range``) takes a number format.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import openpyxl
from openpyxl.cell.cell import ERROR_CODES, MergedCell
from openpyxl.utils import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["OpenpyxlBook", "OpenpyxlSheet", "OpenpyxlRange", "OpenpyxlAreas", "OpenpyxlApp"]

_ONE_CELL = re.compile(r"^\$?[A-Za-z]{1,3}\$?\d+$")


class OpenpyxlApp:
    """``book.app``: screen updating and calculation mode, with a history of changes."""

    def __init__(self) -> None:
        self._screen_updating = True
        self._calculation = "automatic"
        self._status_bar: str | bool = False
        self.history: list[tuple[str, Any]] = []

    @property
    def screen_updating(self) -> bool:
        return self._screen_updating

    @screen_updating.setter
    def screen_updating(self, value: bool) -> None:
        self._screen_updating = bool(value)
        self.history.append(("screen_updating", bool(value)))

    @property
    def status_bar(self) -> str | bool:
        """The status bar text; ``False`` when Excel shows its own (cleared)."""
        return self._status_bar

    @status_bar.setter
    def status_bar(self, value: str | bool) -> None:
        self._status_bar = value
        self.history.append(("status_bar", value))

    @property
    def calculation(self) -> str:
        return self._calculation

    @calculation.setter
    def calculation(self, value: str) -> None:
        if value not in ("automatic", "manual", "semiautomatic"):
            raise ValueError(f"calculation {value!r} is not automatic, manual or semiautomatic")
        self._calculation = value
        self.history.append(("calculation", value))


class OpenpyxlRange:
    """A rectangle of cells of one sheet (1-based, inclusive)."""

    def __init__(self, sheet: "OpenpyxlSheet", top: int, left: int, bottom: int, right: int,
                 options: dict[str, Any] | None = None) -> None:
        self.sheet = sheet
        self.row, self.column = top, left
        self._bottom, self._right = bottom, right
        self._options = dict(options or {})

    @property
    def shape(self) -> tuple[int, int]:
        return (self._bottom - self.row + 1, self._right - self.column + 1)

    @property
    def address(self) -> str:
        from openpyxl.utils import get_column_letter as col
        first = f"${col(self.column)}${self.row}"
        if self.shape == (1, 1):
            return first
        return f"{first}:${col(self._right)}${self._bottom}"

    def options(self, convert: Any = None, **options: Any) -> "OpenpyxlRange":
        """``ndim=2``, ``err_to_str=True`` and ``expand="table"`` are understood."""
        rng = self
        if options.get("expand") == "table":
            rng = self._expand_table()
        merged = {**self._options, **options}
        return OpenpyxlRange(self.sheet, rng.row, rng.column, rng._bottom, rng._right, merged)

    def _expand_table(self) -> "OpenpyxlRange":
        ws = self.sheet.ws
        bottom, right = self.row, self.column
        def filled(r: int, c: int) -> bool:
            return getattr(self.sheet.peek(r, c), "value", None) is not None

        while bottom < ws.max_row and filled(bottom + 1, self.column):
            bottom += 1
        while right < ws.max_column and filled(self.row, right + 1):
            right += 1
        return OpenpyxlRange(self.sheet, self.row, self.column, bottom, right, self._options)

    def _read(self, r: int, c: int) -> Any:
        cell = self.sheet.peek(r, c)
        if cell is None:
            return None
        value = cell.value
        if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
            value = self.sheet.cached(r, c)
        if isinstance(value, str) and value in ERROR_CODES:
            return value if self._options.get("err_to_str") else None
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return float(value)
        if value == "":
            return None
        return value

    def _call(self, what: str) -> None:
        self.sheet.book.calls.append((self.sheet.name, what, self.address))

    @property
    def value(self) -> Any:
        self._call("read values")
        rows = [[self._read(r, c) for c in range(self.column, self._right + 1)]
                for r in range(self.row, self._bottom + 1)]
        if self._options.get("ndim") == 2:
            return rows
        if self.shape == (1, 1):
            return rows[0][0]
        if self.shape[0] == 1:
            return rows[0]
        if self.shape[1] == 1:
            return [r[0] for r in rows]
        return rows

    @value.setter
    def value(self, data: Any) -> None:
        if not isinstance(data, (list, tuple)):
            rows: list = [[data]]
        elif data and all(isinstance(r, (list, tuple)) for r in data):
            rows = [list(r) for r in data]
        else:
            rows = [list(data)]  # a flat list is written as one row, as xlwings does
        self.sheet.book.writes.append((self.sheet.name, self.address))
        self._call("write values")
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                self.sheet.set_cell(self.row + i, self.column + j, v)

    @property
    def number_format(self) -> str | None:
        """The cells' number format; ``None`` when they differ (as Excel answers)."""
        self._call("read number format")
        formats = {getattr(self.sheet.peek(r, c), "number_format", "General")
                   for r in range(self.row, self._bottom + 1)
                   for c in range(self.column, self._right + 1)}
        return formats.pop() if len(formats) == 1 else None

    @number_format.setter
    def number_format(self, fmt: str) -> None:
        self._call("write number format")
        for r in range(self.row, self._bottom + 1):
            for c in range(self.column, self._right + 1):
                self.sheet.ws.cell(r, c).number_format = fmt

    def clear_contents(self) -> None:
        self._call("clear contents")
        for r in range(self.row, self._bottom + 1):
            for c in range(self.column, self._right + 1):
                self.sheet.set_cell(r, c, None)


class OpenpyxlAreas:
    """A range of several areas (``"F2:F9,H2:K9"``): one call sets their number format."""

    def __init__(self, sheet: "OpenpyxlSheet", areas: list[OpenpyxlRange], address: str) -> None:
        self.sheet, self.areas, self.address = sheet, areas, address

    @property
    def number_format(self) -> str | None:
        raise NotImplementedError("read the areas' formats one by one")

    @number_format.setter
    def number_format(self, fmt: str) -> None:
        self.sheet.book.calls.append((self.sheet.name, "write number format", self.address))
        for area in self.areas:
            for r in range(area.row, area._bottom + 1):
                for c in range(area.column, area._right + 1):
                    self.sheet.ws.cell(r, c).number_format = fmt


class OpenpyxlSheet:
    def __init__(self, book: "OpenpyxlBook", ws: Worksheet) -> None:
        self.book = book
        self.ws = ws

    @property
    def name(self) -> str:
        return self.ws.title

    def range(self, address: str) -> "OpenpyxlRange | OpenpyxlAreas":
        if "," in address:  # several areas, as Excel's Range("A1:A5,C1:C5")
            return OpenpyxlAreas(self, [self.range(a.strip()) for a in address.split(",")],
                                 address)
        left, top, right, bottom = range_boundaries(address.replace("$", ""))
        if _ONE_CELL.match(address):
            right, bottom = left, top
        return OpenpyxlRange(self, top, left, bottom, right)

    @property
    def used_range(self) -> OpenpyxlRange:
        self.book.calls.append((self.name, "used range", ""))
        ws = self.ws
        if ws.max_row == 1 and ws.max_column == 1 and self.peek(1, 1) is None:
            return OpenpyxlRange(self, 1, 1, 1, 1)
        return OpenpyxlRange(self, ws.min_row, ws.min_column, ws.max_row, ws.max_column)

    def clear_contents(self) -> None:
        self.book.calls.append((self.name, "clear contents", ""))
        for row in self.ws.iter_rows():
            for cell in row:
                if not isinstance(cell, MergedCell):
                    cell.value = None
        self.book.forget_cached(self.name)

    def peek(self, r: int, c: int) -> Any:
        """The openpyxl cell at (r, c), or None — without creating it (reading never grows
        the used range, as in Excel)."""
        return self.ws._cells.get((r, c))

    def cached(self, r: int, c: int) -> Any:
        return self.book.cached_value(self.name, r, c)

    def set_cell(self, r: int, c: int, value: Any) -> None:
        cell = self.ws.cell(r, c)
        if isinstance(cell, MergedCell):
            raise ValueError(f"'{self.name}'!{cell.coordinate} is inside a merged area")
        cell.value = value
        self.book.forget_cached(self.name, r, c)


class _Sheets:
    def __init__(self, book: "OpenpyxlBook") -> None:
        self._book = book

    def __iter__(self) -> Iterator[OpenpyxlSheet]:
        return (OpenpyxlSheet(self._book, ws) for ws in self._book.wb.worksheets)

    def __len__(self) -> int:
        return len(self._book.wb.worksheets)

    def __getitem__(self, key: str | int) -> OpenpyxlSheet:
        if isinstance(key, int):
            return OpenpyxlSheet(self._book, self._book.wb.worksheets[key])
        for ws in self._book.wb.worksheets:
            if ws.title.lower() == key.lower():  # Excel's sheet names ignore case
                return OpenpyxlSheet(self._book, ws)
        raise KeyError(key)

    def add(self, name: str | None = None, before: OpenpyxlSheet | None = None,
            after: OpenpyxlSheet | None = None) -> OpenpyxlSheet:
        wb = self._book.wb
        if name is not None and name.lower() in (ws.title.lower() for ws in wb.worksheets):
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        self._book.calls.append((name or "", "add sheet", ""))
        index = None
        if before is not None:
            index = wb.worksheets.index(before.ws)
        elif after is not None:
            index = wb.worksheets.index(after.ws) + 1
        ws = wb.create_sheet(name, index)
        wb.active = wb.worksheets.index(ws)
        return OpenpyxlSheet(self._book, ws)


class OpenpyxlBook:
    """An xlwings-like book over an openpyxl workbook (see the module docstring)."""

    def __init__(self, wb: openpyxl.Workbook, cached: openpyxl.Workbook | None = None,
                 path: str | Path | None = None) -> None:
        self.wb = wb
        self._cached = cached
        self._stale: set[tuple[str, int, int] | str] = set()
        self.fullname = str(path) if path else ""
        self.app = OpenpyxlApp()
        #: (sheet, address) of every ``range.value = ...`` call, in order.
        self.writes: list[tuple[str, str]] = []
        #: (sheet, what, address) of every call that would go from Python into Excel: reading
        #: or writing values or number formats, clearing, the used range, adding a sheet.
        self.calls: list[tuple[str, str, str]] = []

    @classmethod
    def open(cls, path: str | Path) -> "OpenpyxlBook":
        """Open a file; formulas read as the values Excel last calculated and cached."""
        keep_vba = str(path).lower().endswith(".xlsm")
        wb = openpyxl.load_workbook(path, keep_vba=keep_vba)
        cached = openpyxl.load_workbook(path, data_only=True)
        return cls(wb, cached, path)

    @property
    def name(self) -> str:
        return Path(self.fullname).name if self.fullname else "Book1"

    @property
    def sheets(self) -> _Sheets:
        return _Sheets(self)

    def cached_value(self, sheet: str, r: int, c: int) -> Any:
        if (self._cached is None or sheet in self._stale or (sheet, r, c) in self._stale
                or sheet not in self._cached.sheetnames):
            return None  # a formula written since opening: not calculated (no Excel here)
        return self._cached[sheet].cell(r, c).value

    def forget_cached(self, sheet: str, r: int | None = None, c: int | None = None) -> None:
        self._stale.add(sheet if r is None else (sheet, r, c))

    def save(self, path: str | Path | None = None) -> None:
        target = path or self.fullname
        if not target:
            raise ValueError("the book has no file name: give a path")
        self.wb.save(target)
