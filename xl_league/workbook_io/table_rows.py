"""Where the writer puts the rows of its tables: :class:`TableRows`.

A table (a league table, Metric scores, the cut-points, a caterpillar's data) is a block of
values with a named style per column. :class:`CellRows` makes them openpyxl cells, for a
workbook openpyxl will save; the package writer's sink (:class:`~.sheet_rows.XmlRows`) keeps
them as values and writes their XML itself, ten times faster.
"""

from __future__ import annotations

from copy import copy
from typing import Protocol

from openpyxl.worksheet.worksheet import Worksheet

from .formatting import WRAPPED_TEXT

__all__ = ["TableRows", "CellRows", "put_value"]


def put_value(ws: Worksheet, row: int, column: int, value: object):
    """``value`` into a cell; text stays text (openpyxl alone makes any ``=…`` a formula, so an
    organisation named ``=HYPERLINK(…)`` would become a live formula in the workbook)."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


class TableRows(Protocol):
    """Takes the rows of one table of a sheet."""

    def put(self, ws: Worksheet, first_row: int, rows: list[list[object]],
            styles: list[str], wrapped: list[tuple[int, int]], first_column: int = 1) -> None:
        """``rows`` from cell (``first_row``, ``first_column``) on, a named style per column;
        the cells at ``wrapped`` (row, column) also wrap their text (:data:`WRAPPED_TEXT`).
        Text is always text (an organisation named ``=X`` is no formula)."""


class CellRows:
    """Rows written as openpyxl cells.

    ``cell.style = name`` searches the workbook's named styles for every cell; each name is
    looked up once here and its style array copied into the other cells of the column.
    """

    def put(self, ws: Worksheet, first_row: int, rows: list[list[object]],
            styles: list[str], wrapped: list[tuple[int, int]], first_column: int = 1) -> None:
        arrays: dict[str, object] = {}
        for r, row in enumerate(rows, start=first_row):
            for c, (value, style) in enumerate(zip(row, styles), start=first_column):
                cell = put_value(ws, r, c, value)
                if style in arrays:
                    cell._style = copy(arrays[style])
                else:
                    cell.style = style
                    arrays[style] = copy(cell._style)
        for r, c in wrapped:
            ws.cell(row=r, column=c).alignment = WRAPPED_TEXT
