"""Rows of the output sheets written straight as sheet XML, for the package writer.

openpyxl spends ~10 µs making each cell and as much again saving it; an output table has a
cell per organisation and column (13,000 in the national demo, 130,000 at ten times). The
package writer (:mod:`.package`) therefore keeps the tables' rows out of openpyxl:

* :class:`XmlRows` is the writer's :class:`~.table_rows.TableRows` sink: it keeps each table's
  values with the style array of each column (registered in the scratch workbook as openpyxl
  registers a cell's style), never making a cell;
* :func:`detach_plain_cells` takes the other plain cells (headings, notes, the dashboard's
  data) out of the scratch workbook before it is saved;
* :meth:`SheetRows.xml` writes both as ``<row>`` elements with the style ids of the merged
  ``styles.xml``, so nothing has to be renumbered afterwards.

Cells are written as openpyxl's worksheet writer writes them: inline strings (no shared
strings to merge), dates as serial numbers, styled blanks kept, text never a formula.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, field

from openpyxl.cell import Cell, MergedCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.compat.strings import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..xml_text import escape
from .formatting import WRAPPED_TEXT
from .table_rows import put_value

__all__ = ["SheetRows", "XmlRows", "detach_plain_cells"]

_QUOTE = {'"': "&quot;"}
_DATES = (_dt.datetime, _dt.date, _dt.time, _dt.timedelta)
#: A style id of the scratch workbook → the id of the same style in the merged workbook.
StyleMap = Callable[[int], int]


def _kind_and_value(ws: Worksheet, value: object) -> tuple[str, object]:
    """openpyxl's data type of ``value`` in a cell (text stays text, never a formula)."""
    if value is None:
        return "n", None
    if isinstance(value, str):
        if ILLEGAL_CHARACTERS_RE.search(value):
            raise IllegalCharacterError(f"{value!r} cannot be used in worksheets.")
        return "s", value
    if isinstance(value, bool):
        return "b", value
    if isinstance(value, (int, float)):
        return "n", value
    cell = Cell(ws, value=value)  # anything rarer: exactly as openpyxl binds it
    return ("s" if cell.data_type == "f" else cell.data_type), cell._value


def _text_xml(text: str) -> str:
    """``text`` escaped for an XML element (most names need nothing done)."""
    return escape(text) if ("&" in text or "<" in text or ">" in text) else text


def _cell_xml(ref: str, style: int, kind: str, value: object, epoch: _dt.datetime) -> str:
    attrs = f' r="{ref}"' + (f' s="{style}"' if style else "")
    if kind == "d":
        kind, value = "n", to_excel(value, epoch)
    if value is None or value == "":
        return f'<c{attrs} t="{"inlineStr" if kind == "s" else kind}"/>'
    if kind == "s":
        text = str(value)
        stripped = text.strip()
        space = ' xml:space="preserve"' if stripped and stripped != text else ""
        return f'<c{attrs} t="inlineStr"><is><t{space}>{_text_xml(text)}</t></is></c>'
    if kind == "n" and type(value) is float and math.isfinite(value):
        return f'<c{attrs} t="n"><v>{value:.16g}</v></c>'
    return f'<c{attrs} t="{kind}"><v>{escape(safe_string(value))}</v></c>'


def _plain_text(value: str) -> bool:
    """Text written as it is: not empty, no space to preserve at either end, nothing a
    worksheet cannot hold."""
    return bool(value) and not value[0].isspace() and not value[-1].isspace() \
        and not ILLEGAL_CHARACTERS_RE.search(value)


def _table_cell_xml(ws: Worksheet, ref: str, style: int, value: object) -> str:
    """:func:`_cell_xml` of a table's value, the common kinds without detours."""
    kind = type(value)
    if kind is float and math.isfinite(value):
        return (f'<c r="{ref}" s="{style}" t="n"><v>{value:.16g}</v></c>' if style else
                f'<c r="{ref}" t="n"><v>{value:.16g}</v></c>')
    if kind is str and _plain_text(value):
        return (f'<c r="{ref}" s="{style}" t="inlineStr"><is><t>{_text_xml(value)}</t></is></c>'
                if style else f'<c r="{ref}" t="inlineStr"><is><t>{_text_xml(value)}</t></is></c>')
    data_type, value = _kind_and_value(ws, value)
    return _cell_xml(ref, style, data_type, value, ws.parent.epoch)


@dataclass
class _Table:
    """One call's rows: values from ``first_row``, a scratch style id per column, and the
    style ids of the cells that wrap."""

    first_row: int
    first_column: int
    rows: list[list[object]]
    styles: list[int]
    wrapped: dict[tuple[int, int], int]
    #: rows written as openpyxl cells after all (:func:`_cells_back`)
    skipped: set[int] = field(default_factory=set)


@dataclass
class SheetRows:
    """The rows kept out of openpyxl for one sheet: tables and detached plain cells."""

    ws: Worksheet
    tables: list[_Table] = field(default_factory=list)
    #: row → [(column, scratch style id, data type, value)]
    cells: dict[int, list[tuple[int, int, str, object]]] = field(default_factory=dict)

    def xml(self, style_of: StyleMap) -> dict[int, bytes]:
        """Each row as a ``<row>`` element, styles numbered by ``style_of``."""
        ws, epoch = self.ws, self.ws.parent.epoch
        letters: dict[int, str] = {}

        def letter(col: int) -> str:
            found = letters.get(col)
            if found is None:
                found = letters[col] = get_column_letter(col)
            return found

        by_row: dict[int, list[tuple[int, str]]] = {}
        for r, cells in self.cells.items():
            by_row[r] = [(c, _cell_xml(f"{letter(c)}{r}", style_of(s) if s else 0, kind, value,
                                       epoch)) for c, s, kind, value in cells]
        for table in self.tables:
            self._table_xml(table, style_of, letter, by_row)
        rows: dict[int, bytes] = {}
        for r, cells in by_row.items():
            if any(a[0] > b[0] for a, b in zip(cells, cells[1:])):   # a table beside cells
                cells.sort(key=lambda item: item[0])
            attrs = {"r": str(r), **dict(ws.row_dimensions.get(r, {}))}
            head = "".join(f' {k}="{escape(str(v), _QUOTE)}"' for k, v in attrs.items())
            rows[r] = (f"<row{head}>" + "".join(xml for _, xml in cells)
                       + "</row>").encode("utf-8")
        return rows

    def _table_xml(self, table: _Table, style_of: StyleMap, letter: Callable[[int], str],
                   by_row: dict[int, list[tuple[int, str]]]) -> None:
        """The cells of ``table`` into ``by_row``: a number or plain text written in one step
        (what :func:`_table_cell_xml` would write), anything else through it."""
        ws, isfinite, text_xml = self.ws, math.isfinite, _text_xml
        columns = [(c, letter(c), f' s="{style_of(s)}"' if s else "", style_of(s) if s else 0)
                   for c, s in enumerate(table.styles, start=table.first_column)]
        for r, row in enumerate(table.rows, start=table.first_row):
            if r in table.skipped:
                continue
            out = by_row.setdefault(r, [])
            for (c, col, st, style), value in zip(columns, row):
                if table.wrapped and (r, c) in table.wrapped:
                    out.append((c, _table_cell_xml(ws, f"{col}{r}", style_of(
                        table.wrapped[(r, c)]), value)))
                elif type(value) is float and isfinite(value):
                    out.append((c, f'<c r="{col}{r}"{st} t="n"><v>{value:.16g}</v></c>'))
                elif type(value) is str and _plain_text(value):
                    out.append((c, f'<c r="{col}{r}"{st} t="inlineStr"><is><t>{text_xml(value)}'
                                   '</t></is></c>'))
                else:
                    out.append((c, _table_cell_xml(ws, f"{col}{r}", style, value)))


class _Styles:
    """Style arrays registered in the scratch workbook as openpyxl registers a cell's."""

    def __init__(self, wb: Workbook):
        self.wb = wb
        self.ids: dict[bytes, int] = {}

    def id_of(self, style) -> int:
        if style is None or not any(style):
            return 0
        key = style.tobytes()
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = self.wb._cell_styles.add(style)
        return found


class XmlRows:
    """The package writer's :class:`~.table_rows.TableRows`: rows kept as values, never
    cells."""

    def __init__(self, wb: Workbook):
        self.wb = wb
        self.styles = _Styles(wb)
        self.sheets: dict[str, SheetRows] = {}

    def sheet(self, ws: Worksheet) -> SheetRows:
        found = self.sheets.get(ws.title)
        if found is None:
            found = self.sheets[ws.title] = SheetRows(ws)
        return found

    def put(self, ws: Worksheet, first_row: int, rows: list[list[object]],
            styles: list[str], wrapped: list[tuple[int, int]], first_column: int = 1) -> None:
        arrays = {}
        for name in dict.fromkeys(styles):
            cell = Cell(ws)   # never added to the sheet: only its style is wanted
            cell.style = name
            arrays[name] = cell._style
        ids = [self.styles.id_of(arrays[name]) for name in styles]
        wraps = {}
        for r, c in wrapped:
            cell = Cell(ws, style_array=copy(arrays[styles[c - first_column]]))
            cell.alignment = WRAPPED_TEXT
            wraps[(r, c)] = self.styles.id_of(cell._style)
        self.sheet(ws).tables.append(_Table(first_row, first_column, rows, ids, wraps))


def detach_plain_cells(wb: Workbook, rows: XmlRows) -> dict[str, SheetRows]:
    """Take the plain cells of each sheet of ``wb`` out of it into ``rows``; every sheet's
    rows kept out of openpyxl, by sheet name.

    Rows holding a formula, a comment, a hyperlink or a merged cell stay with openpyxl (and a
    table's row that falls on one is put back as cells).
    """
    for ws in wb.worksheets:
        cells_at = ws._cells
        special = {r for (r, _c), cell in cells_at.items()
                   if type(cell) is MergedCell or cell.data_type == "f"
                   or cell._comment is not None or cell._hyperlink is not None}
        sheet = rows.sheets.get(ws.title)
        if sheet is not None and special:
            _cells_back(ws, sheet, special)
        plain = [key for key in cells_at if key[0] not in special]
        if not plain:
            continue
        sheet = rows.sheet(ws)
        for key in sorted(plain):
            cell = cells_at.pop(key)
            sheet.cells.setdefault(key[0], []).append(
                (key[1], rows.styles.id_of(cell._style), cell.data_type, cell._value))
    return rows.sheets


def _cells_back(ws: Worksheet, sheet: SheetRows, special: set[int]) -> None:
    """A table's rows that share a row with a formula, comment or merged cell, as cells."""
    arrays = ws.parent._cell_styles
    for table in sheet.tables:
        for r, row in enumerate(table.rows, start=table.first_row):
            if r not in special:
                continue
            table.skipped.add(r)
            for c, value in enumerate(row, start=table.first_column):
                cell = put_value(ws, r, c, value)
                style = table.wrapped.get((r, c), table.styles[c - table.first_column])
                if style:
                    cell._style = copy(arrays[style])
