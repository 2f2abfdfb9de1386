"""Reading the cells of chosen sheets straight from a workbook's XML, in one streaming pass.

:func:`read_sheet_grids` gives, per sheet read, the same ``{(row, column): RawCell}`` grid
that :func:`~.cells.sheet_cells` gives from an openpyxl load, without loading the workbook:

* values are converted as openpyxl converts them (numbers ``int`` or ``float``, shared and
  inline strings, booleans, error values as their text, numbers in a date-formatted cell as
  dates, and a date out of range as the error ``#VALUE!``);
* each cell's number format comes from ``styles.xml`` (read by openpyxl's own stylesheet
  class, so custom and built-in formats, and which formats are dates, are exactly openpyxl's),
  so a percentage-formatted 0.62 still reads as 62;
* a formula cell carries its formula text (array formulas, shared formulas translated to the
  cell, data tables as ``=TABLE()``) *and* its cached value from the same ``<c>`` element, so
  no second, values-only load is needed: ``uncalculated`` when the file holds no value.

Per sheet it also records the merged cell ranges and the hidden rows and columns
(:class:`SheetLayout`), which a reader may warn about.

XML is parsed with expat, refusing any DOCTYPE (see :mod:`.cached_values`); a part that
cannot be parsed is reported as a workbook that cannot be read.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml.ElementTree import fromstring
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601

from ..errors import WorkbookError
from .cached_values import _chunks, _local, _parser, _Refused, shared_strings, sheet_parts
from .cells import RawCell, _load_failure
from .safety import ENTITIES_REFUSED

__all__ = ["SheetGrids", "SheetLayout", "read_sheet_grids"]

Grid = dict[tuple[int, int], RawCell]


@dataclass(frozen=True)
class SheetLayout:
    """What of a sheet's layout a reader may warn about: merged ranges ("A2:B3"), hidden rows
    and hidden columns (1-based numbers)."""

    merged: tuple[str, ...] = ()
    hidden_rows: tuple[int, ...] = ()
    hidden_columns: tuple[int, ...] = ()


@dataclass
class SheetGrids:
    """The cells of the sheets read (by title), the titles not found, and their layouts."""

    cells: dict[str, Grid]
    missing: list[str]
    layouts: dict[str, SheetLayout] = field(default_factory=dict)


class _Styles:
    """Number format and date-ness of each cell style index, as openpyxl reads them."""

    def __init__(self, zf: zipfile.ZipFile):
        self.formats: list[str] = ["General"]
        self.dates: set[int] = set()
        self.timedeltas: set[int] = set()
        name = next((n for n in zf.namelist() if n.lower() == "xl/styles.xml"), None)
        if name is None:
            return
        sheet = Stylesheet.from_tree(fromstring(zf.read(name)))
        if not sheet.cell_styles:
            return
        custom = sheet.number_formats
        self.formats = [BUILTIN_FORMATS.get(xf.numFmtId, "General")
                        if xf.numFmtId < BUILTIN_FORMATS_MAX_SIZE
                        else custom[xf.numFmtId - BUILTIN_FORMATS_MAX_SIZE]
                        for xf in sheet.cell_styles]
        self.dates = set(sheet.date_formats)
        self.timedeltas = set(sheet.timedelta_formats)

    def number_format(self, style: int) -> str:
        return self.formats[style] if 0 <= style < len(self.formats) else "General"


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    """Every shared string as openpyxl reads it: ``x005F_`` escapes removed."""
    return [text.replace("x005F_", "") for text in shared_strings(zf)]


def _run(zf: zipfile.ZipFile, part: str, start, end, text) -> None:
    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    with zf.open(part) as stream:
        for chunk in _chunks(stream):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _cast_number(text: str) -> int | float:
    return float(text) if ("." in text or "E" in text or "e" in text) else int(text)


_COLUMNS: dict[str, int] = {}


def _position(ref: str) -> tuple[int, int]:
    """``"AB12"`` → (12, 28); raises ValueError for a damaged reference."""
    i = 0
    while i < len(ref) and ref[i].isalpha():
        i += 1
    letters, digits = ref[:i].upper(), ref[i:]
    column = _COLUMNS.get(letters)
    if column is None:
        column = _COLUMNS[letters] = column_index_from_string(letters)
    return int(digits), column


class _SheetScanner:
    """One worksheet part → its grid (openpyxl's conversions) and layout."""

    def __init__(self, strings: list[str], styles: _Styles, epoch):
        self.strings = strings
        self.styles = styles
        self.epoch = epoch
        self.grid: Grid = {}
        self.merged: list[str] = []
        self.hidden_rows: list[int] = []
        self.hidden_columns: list[int] = []
        self.shared_formulae: dict[str, Translator] = {}
        self.row = 0
        self.column = 0
        self.in_cell = False
        self.kind = "n"
        self.style = 0
        self.ref: str | None = None
        self.value: str | None = None
        self.formula: str | None = None
        self.formula_attrs: dict[str, str] | None = None
        self.inline: list[str] | None = None
        self.buffer: list[str] | None = None
        self.phonetic = 0
        self.tags: dict[str, str] = {}

    def _tag(self, name: str) -> str:
        tag = self.tags.get(name)
        if tag is None:
            tag = self.tags[name] = _local(name)
        return tag

    # expat handlers ------------------------------------------------------------------
    def start(self, name: str, pairs: list[str]) -> None:
        tag = self.tags.get(name) or self._tag(name)
        if tag == "c":
            ref, kind, style = None, "n", 0
            for i in range(0, len(pairs), 2):
                key = pairs[i]
                if key == "r":
                    ref = pairs[i + 1]
                elif key == "t":
                    kind = pairs[i + 1]
                elif key == "s":
                    style = int(pairs[i + 1] or 0)
            if ref:
                self.row, self.column = _position(ref)
            else:
                self.column += 1
            self.in_cell, self.kind, self.style, self.ref = True, kind, style, ref
            self.value = self.formula = self.formula_attrs = self.inline = None
        elif self.in_cell:
            if tag == "v":
                self.buffer = []
            elif tag == "f":
                self.formula_attrs = _attrs(pairs)
                self.buffer = []
            elif tag == "is":
                self.inline = []
            elif self.inline is not None and tag == "rPh":
                self.phonetic += 1
            elif self.inline is not None and tag == "t" and not self.phonetic:
                self.buffer = []
        elif tag == "row":
            attrs = _attrs(pairs)
            if "r" in attrs:
                self.row = int(float(attrs["r"]))
            else:
                self.row += 1
            self.column = 0
            if attrs.get("hidden") in ("1", "true"):
                self.hidden_rows.append(self.row)
        elif tag == "mergeCell":
            ref = _attrs(pairs).get("ref")
            if ref:
                self.merged.append(ref)
        elif tag == "col":
            attrs = _attrs(pairs)
            if attrs.get("hidden") in ("1", "true"):
                low, high = int(attrs.get("min", 0)), int(attrs.get("max", 0))
                self.hidden_columns.extend(range(low, high + 1))

    def text(self, data: str) -> None:
        if self.buffer is not None:
            self.buffer.append(data)

    def end(self, name: str) -> None:
        if not self.in_cell:
            return
        tag = self.tags.get(name) or self._tag(name)
        if tag == "c":
            self._finish()
            self.in_cell = False
        elif self.buffer is not None and tag in ("v", "f", "t"):
            text = "".join(self.buffer)
            self.buffer = None
            if tag == "v":
                self.value = text
            elif tag == "f":
                self.formula = text
            elif self.inline is not None:
                self.inline.append(text)
        elif tag == "rPh" and self.inline is not None:
            self.phonetic -= 1

    # conversions ---------------------------------------------------------------------
    def _converted(self) -> tuple[object, str]:
        """(value, data_type) as openpyxl's worksheet parser gives them (cached value)."""
        kind = self.kind
        if kind == "inlineStr":
            if self.inline is None:
                return None, kind
            return "".join(self.inline), "s"
        value = self.value or None
        if value is None:
            return None, kind
        if kind == "n":
            number = _cast_number(value)
            if self.style in self.styles.dates:
                try:
                    return from_excel(number, self.epoch,
                                      timedelta=self.style in self.styles.timedeltas), "d"
                except (OverflowError, ValueError):
                    return "#VALUE!", "e"
            return number, "n"
        if kind == "s":
            return self.strings[int(value)], "s"
        if kind == "b":
            return bool(int(value)), "b"
        if kind == "str":
            return value, "s"
        if kind == "d":
            return from_ISO8601(value), "d"
        return value, kind

    def _formula_text(self) -> str:
        attrs = self.formula_attrs or {}
        text = "=" + (self.formula or "")
        kind = attrs.get("t")
        if kind == "dataTable":
            return "=TABLE()"
        if kind == "shared":
            index = attrs.get("si")
            ref = self.ref or f"{get_column_letter(self.column)}{self.row}"
            if index in self.shared_formulae:
                return self.shared_formulae[index].translate_formula(ref)
            if text != "=":
                self.shared_formulae[index] = Translator(text, ref)
        return text

    def _finish(self) -> None:
        value, data_type = self._converted()
        key = (self.row, self.column)
        if self.formula_attrs is not None:
            self.grid[key] = RawCell(value, data_type, self.styles.number_format(self.style),
                                     self._formula_text(),
                                     value is None and data_type not in ("s", "str"))
        elif value is not None:
            self.grid[key] = RawCell(value, data_type, self.styles.number_format(self.style))
        else:
            self.grid.pop(key, None)


def _attrs(pairs: list[str]) -> dict[str, str]:
    return {_local(pairs[i]): pairs[i + 1] for i in range(0, len(pairs), 2)}


def _epoch(zf: zipfile.ZipFile):
    book = fromstring(zf.read("xl/workbook.xml"))
    for element in book.iter():
        if element.tag.rpartition("}")[2] == "workbookPr":
            if element.get("date1904") in ("1", "true"):
                return CALENDAR_MAC_1904
    return WINDOWS_EPOCH


def read_sheet_grids(path: str | Path, names: Iterable[str]) -> SheetGrids:
    """The grids of the sheets ``names`` of the workbook at ``path`` (checked beforehand with
    :func:`~.safety.check_file`). Raises :class:`WorkbookError` when the file cannot be read."""
    file = Path(path)
    names = list(names)
    try:
        with zipfile.ZipFile(file) as zf:
            epoch = _epoch(zf)
            parts = sheet_parts(zf)
            styles = _Styles(zf)
            wanted = [n for n in names if n in parts]
            strings = _shared_strings(zf) if wanted else []
            grids: dict[str, Grid] = {}
            layouts: dict[str, SheetLayout] = {}
            for name in wanted:
                scan = _SheetScanner(strings, styles, epoch)
                _run(zf, parts[name], scan.start, scan.end, scan.text)
                grids[name] = scan.grid
                layouts[name] = SheetLayout(tuple(scan.merged), tuple(scan.hidden_rows),
                                            tuple(sorted(set(scan.hidden_columns))))
    except WorkbookError:
        raise
    except _Refused:
        raise WorkbookError(ENTITIES_REFUSED.format(p=file)) from None
    except Exception as exc:  # any parser failure is a damaged or hostile file
        raise WorkbookError(_load_failure(file, exc)) from None
    return SheetGrids(grids, [n for n in names if n not in grids], layouts)
