"""The bridge between an xlwings-like ``book`` and the openpyxl-based workbook I/O.

The macros read and write a workbook only through the small part of the xlwings API that
desktop Excel, xlwings Lite and :class:`~xl_league.excel.openpyxl_book.OpenpyxlBook` (the
openpyxl stand-in used without Excel) share::

    book.sheets[name], book.sheets.add(name, after=...), sheet.name, book.fullname
    sheet.used_range  (.row, .column, .options(ndim=2, err_to_str=True).value, .number_format)
    sheet.range("A1").value = rows          (one call per block)
    sheet.range("F2:F135").number_format = "0.00"
    sheet.clear_contents()
    book.app.screen_updating, book.app.calculation   (optional: Lite has no app)

Reading goes through an in-memory openpyxl workbook (:func:`to_openpyxl`) so the workbook I/O
reader validates exactly as ``xl-league recalc`` does — number formats included, since a
value in a cell formatted as a percentage reads as the percentage shown. Results are written
by the workbook I/O writer into an in-memory workbook and copied sheet by sheet
(:func:`copy_sheet`), or cell runs that changed (:func:`copy_changes`).
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterable, Iterator

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .cells import excel_error

__all__ = ["sheet_names", "has_sheet", "sheet", "sheet_values", "number_formats",
           "to_openpyxl", "worksheet_rows", "write_rows", "copy_sheet", "copy_changes",
           "set_number_formats", "quiet_app"]

GENERAL = "General"


def sheet_names(book: Any) -> list[str]:
    """The names of the book's sheets, in order."""
    return [s.name for s in book.sheets]


def has_sheet(book: Any, name: str) -> bool:
    return name.lower() in (n.lower() for n in sheet_names(book))


def sheet(book: Any, name: str) -> Any:
    """The sheet ``name``, added after the last sheet when the book has none of that name."""
    if has_sheet(book, name):
        return book.sheets[name]
    return book.sheets.add(name, after=book.sheets[len(sheet_names(book)) - 1])


def _cell(value: Any) -> Any:
    """A value as openpyxl reads it from a saved file: whole numbers as int, and an Excel
    error — text or the integer COM code xlwings leaves newer errors as (#CALC!,
    #SPILL!, ...) — as its text, so the reader reports it by cell like any other error."""
    error = excel_error(value)
    if error:
        return error
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        return int(value)
    return value


def sheet_values(book: Any, name: str) -> list[list[Any]]:
    """The sheet's cells from A1 to the end of its used range (2-D, blanks as None).

    Excel errors come back as their text ("#N/A", "#CALC!"), so the reader can report them.
    """
    used = book.sheets[name].used_range
    rows = used.options(ndim=2, err_to_str=True).value or []
    top, left = int(used.row), int(used.column)
    width = max((len(r) for r in rows), default=0)
    out = [[None] * (left - 1 + width) for _ in range(top - 1)]
    out += [[None] * (left - 1) + [_cell(v) for v in r] for r in rows]
    return out


def _address(top: int, left: int, bottom: int, right: int) -> str:
    return f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}"


def number_formats(book: Any, name: str, values: list[list[Any]]) -> dict[tuple[int, int], str]:
    """Number formats other than General of the cells of ``values`` holding numbers (1-based
    (row, column) keys) — the only cells whose format the reader uses (62% is 62).

    One call when the numbers share a format (the usual case); else per column, halving a
    column's range until each part has one format: a few calls per change of format, never
    one per cell of a long column.
    """
    ws = book.sheets[name]
    numeric: dict[int, list[int]] = {}
    for r, row in enumerate(values, start=1):
        for c, v in enumerate(row, start=1):
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                numeric.setdefault(c, []).append(r)
    if not numeric:
        return {}
    out: dict[tuple[int, int], str] = {}

    def assign(c: int, rows: list[int], fmt: str) -> None:
        if fmt != GENERAL:
            out.update({(r, c): fmt for r in rows})

    def column(c: int, rows: list[int]) -> None:
        fmt = ws.range(_address(rows[0], c, rows[-1], c)).number_format
        if fmt is not None or len(rows) == 1:
            assign(c, rows, fmt or GENERAL)
            return
        half = len(rows) // 2
        column(c, rows[:half])
        column(c, rows[half:])

    top = min(rows[0] for rows in numeric.values())
    bottom = max(rows[-1] for rows in numeric.values())
    whole = ws.range(_address(top, min(numeric), bottom, max(numeric))).number_format
    for c, rows in numeric.items():
        if whole is not None:
            assign(c, rows, whole)
        else:
            column(c, rows)
    return out


def to_openpyxl(book: Any, names: Iterable[str], *,
                with_formats: Iterable[str] = (),
                read: dict[str, list[list[Any]]] | None = None) -> openpyxl.Workbook:
    """An in-memory openpyxl workbook holding the values of the named sheets (those present).

    ``with_formats``: sheets whose number formats are copied too (the input sheets).
    ``read``: sheets' values already read (:func:`sheet_values`), not read again.
    """
    formatted = set(with_formats)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in names:
        if not has_sheet(book, name):
            continue
        values = (read or {}).get(name)
        if values is None:
            values = sheet_values(book, name)
        ws = wb.create_sheet(book.sheets[name].name)
        for r, row in enumerate(values, start=1):
            for c, v in enumerate(row, start=1):
                if v is None:
                    continue
                cell = ws.cell(r, c, v)
                if isinstance(v, str) and v.startswith("="):
                    cell.data_type = "s"  # a value Excel shows, never a formula to evaluate
        if name in formatted:
            for (r, c), fmt in number_formats(book, name, values).items():
                ws.cell(r, c).number_format = fmt
    return wb


def worksheet_rows(ws: Worksheet) -> list[list[Any]]:
    """An openpyxl sheet's values (formulas as their text) from A1 to its last used cell."""
    rows = [list(r) for r in ws.iter_rows(min_row=1, min_col=1, max_row=ws.max_row,
                                          max_col=ws.max_column, values_only=True)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max((max((j + 1 for j, v in enumerate(r) if v is not None), default=0)
                 for r in rows), default=0)
    return [r[:width] for r in rows]


def write_rows(book: Any, name: str, rows: list[list[Any]]) -> None:
    """Clear the sheet's contents (formatting stays) and write ``rows`` from A1 in one call."""
    target = sheet(book, name)
    target.clear_contents()
    if rows and any(any(v is not None for v in r) for r in rows):
        width = max(len(r) for r in rows)
        target.range("A1").value = [[_as_text(v) for v in r] + [None] * (width - len(r))
                                    for r in rows]


def _as_text(value: Any) -> Any:
    """Excel parses a string given to ``Range.value`` as if typed: ``=HYPERLINK(...)`` in an
    organisation's name would become a live formula. A leading apostrophe (Excel's quote
    prefix, not shown in the cell) keeps such text as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


#: The longest address one ``Range(...)`` call takes (Excel refuses longer strings).
_MAX_ADDRESS = 255


def _format_areas(ws: Worksheet, cells: Iterable[tuple[int, int]]) -> dict[str, list[str]]:
    """number format → the areas (``"F2:H135"``) of ``cells`` (1-based (row, column)) that
    take it: vertical runs of a column, merged with the next columns where those have the
    same run. General is left out, and so are formats that change nothing shown: ``"0"`` over
    whole numbers, any number format over text. Blank cells join the run around them. So a
    sheet needs one number-format call per format, not one per column."""
    by_column: dict[int, list[int]] = {}
    for r, c in cells:
        by_column.setdefault(c, []).append(r)
    runs: dict[tuple[int, int, str], list[int]] = {}  # (top, bottom, format) → columns
    for c, rows in sorted(by_column.items()):
        start = end = fmt = None
        for r in range(min(rows), max(rows) + 2):
            cell = ws.cell(r, c) if r <= max(rows) else None
            if cell is not None and cell.value is None:
                continue                   # a blank cell may take the format around it
            f = cell.number_format if cell is not None else None
            if cell is not None and isinstance(cell.value, str) and f != "@":
                continue                   # text shows the same in any number format
            if f == "0" and cell is not None and isinstance(cell.value, (int, float)) and \
                    float(cell.value).is_integer():
                f = None                   # a whole number: General shows it the same
            f = None if f == GENERAL else f
            if cell is None or f != fmt:
                if fmt is not None:
                    runs.setdefault((start, end, fmt), []).append(c)
                start, fmt = r, f
            end = r
    areas: dict[str, list[str]] = {}
    for (top, bottom, fmt), columns in runs.items():
        first = last = columns[0]
        for c in columns[1:] + [None]:
            if c is not None and c == last + 1:
                last = c
                continue
            areas.setdefault(fmt, []).append(_address(top, first, bottom, last))
            if c is not None:
                first = last = c
    return areas


def set_number_formats(book: Any, name: str, areas: dict[str, list[str]]) -> None:
    """One call per number format (its areas joined, ``"F2:F9,H2:K9"``), split only where
    the address would pass Excel's 255 characters."""
    target = book.sheets[name]
    for fmt, addresses in areas.items():
        chunk: list[str] = []
        for address in addresses + [None]:
            if address is None or len(",".join(chunk + [address])) > _MAX_ADDRESS:
                if chunk:
                    _set_format(target, chunk, fmt)
                chunk = []
            if address is not None:
                chunk.append(address)


def _set_format(target: Any, areas: list[str], fmt: str) -> None:
    """One call for several areas; a host whose ranges take one area only (xlwings Lite's
    Office.js ``getRange``) gets one call per area instead."""
    if len(areas) == 1:
        target.range(areas[0]).number_format = fmt
        return
    try:
        target.range(",".join(areas)).number_format = fmt
    except Exception:  # noqa: BLE001 — the host refused a multi-area address
        for area in areas:
            target.range(area).number_format = fmt


def copy_sheet(source: openpyxl.Workbook, book: Any, name: str) -> None:
    """Write the in-memory sheet ``name`` into ``book`` in blocks: clear it, write every value
    in one call, then the number formats the writer gave (scores as 0.00, ...), one call
    per format — three calls for a league table."""
    ws = source[name]
    rows = worksheet_rows(ws)
    write_rows(book, name, rows)
    cells = [(r, c) for r, row in enumerate(rows, start=1) for c, v in enumerate(row, start=1)
             if v is not None]
    set_number_formats(book, name, _format_areas(ws, cells))


def copy_changes(source: openpyxl.Workbook, book: Any, name: str,
                 before: list[list[Any]]) -> int:
    """Write the cells of ``source[name]`` that differ from ``before`` (the book's values when
    read): one call for the block from the first to the last changed cell (its unchanged
    cells written with the values they hold), then their number formats (a date as a date),
    one call per format. Returns how many cells changed."""
    after = worksheet_rows(source[name])
    height = max(len(after), len(before))
    width = max([len(r) for r in after] + [len(r) for r in before] + [0])

    def at(rows: list[list[Any]], r: int, c: int) -> Any:
        return rows[r][c] if r < len(rows) and c < len(rows[r]) else None

    changed = [(r, c) for r in range(height) for c in range(width)
               if at(after, r, c) != _cell(at(before, r, c))]
    if not changed:
        return 0
    top, bottom = min(r for r, _ in changed), max(r for r, _ in changed)
    left, right = min(c for _, c in changed), max(c for _, c in changed)
    block = [[at(after, r, c) if at(after, r, c) != _cell(at(before, r, c))
              else _cell(at(before, r, c)) for c in range(left, right + 1)]
             for r in range(top, bottom + 1)]
    book.sheets[name].range(f"{get_column_letter(left + 1)}{top + 1}").value = block
    written = [(r + 1, c + 1) for r, c in changed if at(after, r, c) is not None]
    set_number_formats(book, name, _format_areas(source[name], written))
    return len(changed)


@contextlib.contextmanager
def quiet_app(book: Any) -> Iterator[None]:
    """Screen updating off and calculation manual while writing; restored afterwards.

    Where the host has no such settings (xlwings Lite), nothing is changed.
    """
    app = getattr(book, "app", None)
    saved: dict[str, Any] = {}
    for attr, value in (("screen_updating", False), ("calculation", "manual")):
        try:
            saved[attr] = getattr(app, attr)
            setattr(app, attr, value)
        except Exception:  # noqa: BLE001 — Lite / a host without the setting: leave it alone
            saved.pop(attr, None)
    try:
        yield
    finally:
        for attr, value in reversed(list(saved.items())):
            try:
                setattr(app, attr, value)
            except Exception:  # noqa: BLE001 — restoring must not hide the real error
                pass
