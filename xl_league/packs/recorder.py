"""Recording what the sheet writers would put in a pack, without an openpyxl workbook.

``sheets.py`` and ``whatif_formulas.py`` lay a pack out through a small part of openpyxl's
worksheet interface (``cell``, dimensions, conditional formatting, data validation, charts,
print setup, protection, defined names). :class:`BookRecorder` and :class:`SheetRecorder`
offer that same part and only remember what was set: every cell's value, data type, named style
and number format, and every other setting as plain data. ``clone.py`` compares two recordings
to find the cells (and the few other details) where one organisation's pack differs from its
type's template pack, and patches only those into the template's files.

A recording costs a fraction of building the openpyxl objects, and the writers stay the one
description of a pack: the openpyxl build and the recording run the same code.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict

__all__ = ["BookRecorder", "SheetRecorder", "RecordedCell", "Bag"]


class Bag:
    """Attributes set on a worksheet setting (``ws.page_setup.fitToWidth = 1``), remembered;
    reading an attribute never set gives a nested :class:`Bag` (``ws.oddHeader.left.text``)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        child = Bag()
        object.__setattr__(self, name, child)
        return child

    def data(self):
        return {k: (v.data() if isinstance(v, Bag) else _plain(v))
                for k, v in sorted(vars(self).items())}


def _plain(value):
    """A comparable stand-in for a setting's value (openpyxl objects by their attributes)."""
    if isinstance(value, RecordedCell):
        return ("cell", value.row, value.column)
    return value


class RecordedCell:
    __slots__ = ("row", "column", "value", "data_type", "style", "number_format")

    def __init__(self, row: int, column: int):
        self.row, self.column = row, column
        self.value = None
        self.data_type = "n"
        self.style: str | None = None
        self.number_format: str | None = None  # set explicitly on top of the named style

    def set(self, value) -> None:
        """The value and data type openpyxl would give the cell (``Cell.value = value``)."""
        self.value = value
        if isinstance(value, bool):
            self.data_type = "b"
        elif isinstance(value, (int, float)):
            self.data_type = "n"
        elif isinstance(value, str):
            self.data_type = "f" if value.startswith("=") and len(value) > 1 else "s"
        elif isinstance(value, (_dt.date, _dt.datetime, _dt.time)):
            self.data_type = "d"
        elif value is None:
            self.data_type = "n"
        else:
            raise TypeError(f"a pack cell cannot hold {type(value).__name__}")

    def key(self) -> tuple:
        return (self.value, self.data_type, self.style, self.number_format)

    def layout(self) -> tuple:
        """What must be the same for a cell to be patched in place (its style)."""
        return (self.style, self.number_format)


class _Formatting:
    def __init__(self):
        self.rules: list[tuple[str, object]] = []

    def add(self, ref: str, rule) -> None:
        self.rules.append((ref, rule))


class SheetRecorder:
    """Stands in for an openpyxl ``Worksheet`` while the writers lay a pack out."""

    PAPERSIZE_A4 = "9"

    def __init__(self, book: "BookRecorder", title: str):
        self.parent = book
        self.title = title
        self.cells: dict[tuple[int, int], RecordedCell] = {}
        self.column_dimensions: defaultdict[str, Bag] = defaultdict(Bag)
        self.row_dimensions: defaultdict[int, Bag] = defaultdict(Bag)
        self.conditional_formatting = _Formatting()
        self.data_validations: list[object] = []
        self.charts: list[tuple[object, str]] = []
        self.merged: list[str] = []
        self.settings = Bag()  # page setup, margins, header/footer, protection, views

    def cell(self, row: int, column: int, value=None) -> RecordedCell:
        cell = self.cells.get((row, column))
        if cell is None:
            cell = self.cells[(row, column)] = RecordedCell(row, column)
        if value is not None:
            cell.set(value)
        return cell

    def add_chart(self, chart, anchor: str) -> None:
        self.charts.append((chart, anchor))

    def add_data_validation(self, dv) -> None:
        self.data_validations.append(dv)

    def merge_cells(self, ref: str) -> None:
        self.merged.append(ref)

    def __getattr__(self, name: str):
        # page_setup, page_margins, oddHeader, sheet_view, protection, sheet_properties, ...
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.settings, name)

    def __setattr__(self, name: str, value) -> None:
        if name in ("parent", "title", "cells", "column_dimensions", "row_dimensions",
                    "conditional_formatting", "data_validations", "charts", "merged",
                    "settings"):
            object.__setattr__(self, name, value)
        else:  # freeze_panes, print_title_rows
            setattr(self.settings, name, value)


class BookRecorder:
    """Stands in for the openpyxl ``Workbook`` (defined names, named styles)."""

    def __init__(self):
        self.defined_names: dict[str, object] = {}
        self.sheets: list[SheetRecorder] = []

    def create_sheet(self, title: str) -> SheetRecorder:
        ws = SheetRecorder(self, title)
        self.sheets.append(ws)
        return ws

    def add_named_style(self, style) -> None:  # the styles are the template's
        pass
