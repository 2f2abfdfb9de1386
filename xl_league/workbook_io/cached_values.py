"""Keep formulas' cached values when openpyxl saves a workbook.

Excel stores a formula cell as its formula *and* the value it last calculated
(``<c r="G5" t="str"><f>A1&amp;B1</f><v>text</v></c>``). openpyxl reads either one or the
other and writes formulas with an empty ``<v/>``, so after a save every other reader (pandas,
Power BI, LibreOffice without recalculation, openpyxl ``data_only=True`` and xl-league itself)
sees blanks until the file is opened and saved in Excel again.

This module closes that gap without loading whole sheets:

* :func:`read_cached_values` streams the chosen worksheets of the file *as it was read* and
  returns each formula cell's cached value exactly as the file holds it (a ``<v>`` text and a
  type: number, ``str`` text, ``b`` boolean, ``e`` error; a cached shared string becomes text);
* :func:`restore_cached_values` copies an openpyxl-written package into a new zip, streaming
  the affected worksheet parts and giving each formula cell its cached value back: the cell's
  start tag gets the value's type, its empty ``<v/>`` the value. Every other byte is copied.
* :func:`save_with_cached_values` does both halves of a save: ``wb.save`` into memory, then
  the restored package into the (temporary) file. ``files.save_atomic`` calls it, so a
  failure half-way leaves the original file untouched.

Which sheets: xl-league keeps the cached values of the sheets it reads (:data:`SHEETS_READ`:
Settings, Metrics, the input sheets). Those values are exactly what the calculation used, so
they stay true after it. A formula in another sheet may depend on the output sheets the
calculation has just rewritten, and its old value would be stale: such a cell is left for
Excel to calculate (openpyxl marks the workbook for a full calculation on opening).

XML is parsed with expat, refusing any DOCTYPE (hence entity declarations and external
entities, the attacks ``defusedxml`` guards against); the small workbook.xml and .rels parts
are read with ``defusedxml``. Memory is bounded by one chunk plus the current cell.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from defusedxml.ElementTree import fromstring
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter
from openpyxl.utils.exceptions import CellCoordinatesException
from openpyxl.workbook import Workbook

from ..errors import WorkbookError
from ..xml_text import escape
from .layout import INPUT_SHEETS, METRICS_SHEET, SETTINGS_SHEET

__all__ = ["CachedValue", "CachedValues", "SHEETS_READ", "read_cached_values",
           "restore_cached_values", "save_with_cached_values", "sheet_parts"]

#: The sheets xl-league reads inputs from: their formulas' cached values are kept on saving.
SHEETS_READ: tuple[str, ...] = (SETTINGS_SHEET, METRICS_SHEET, *INPUT_SHEETS.values())

#: Bytes read from a zip part at a time.
CHUNK_SIZE = 1 << 16

_FORMULA_TAG = re.compile(rb"<(?:[\w.-]+:)?f[\s/>]")
_TAG = re.compile(rb"""<(?:[^>"']|"[^"]*"|'[^']*')*>""")
_ATTR_ESCAPES = {'"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}


@dataclass(frozen=True)
class CachedValue:
    """A formula's cached value as the file holds it: the ``<v>`` text and its type.

    ``type`` is the cell's ``t`` attribute: ``"n"`` number (the default), ``"str"`` text,
    ``"b"`` boolean (``"1"``/``"0"``), ``"e"`` an error such as ``#N/A``, ``"d"`` an ISO date.
    ``formula`` is the text of the cell's ``<f>`` (None for a cell sharing another's formula):
    the value is given back only to a cell still holding that formula.
    """

    text: str
    type: str = "n"
    formula: str | None = None


#: Sheet title → {cell reference ("G5") → its formula's cached value}.
CachedValues = Mapping[str, Mapping[str, CachedValue]]


class _Refused(Exception):
    """A part declares a DOCTYPE (entities, external references): never parsed further."""


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parser() -> expat.XMLParserType:
    """An expat parser that refuses DOCTYPEs, so entity expansion and external entities
    (what defusedxml guards against) can never happen."""
    parser = expat.ParserCreate()
    parser.ordered_attributes = True
    parser.buffer_text = True

    def refuse(*_args) -> None:
        raise _Refused

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _attrs(pairs: list[str]) -> dict[str, str]:
    return {_local(pairs[i]): pairs[i + 1] for i in range(0, len(pairs), 2)}


# --------------------------------------------------------------------------- package layout

def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet title → zip part name, from xl/workbook.xml and its relationships."""
    names = set(zf.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    try:
        rels = fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        workbook = fromstring(zf.read("xl/workbook.xml"))
    except Exception as exc:  # defusedxml refusals and parse errors alike
        raise WorkbookError(f"the workbook's list of sheets could not be read ({exc}): open "
                            "it in Excel and save it as .xlsx") from None
    targets: dict[str, str] = {}
    for rel in rels:
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[rel.get("Id", "")] = posixpath.normpath(path)
    parts: dict[str, str] = {}
    for element in workbook.iter():
        if _local(element.tag.rpartition("}")[2]) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if k.rpartition("}")[2] == "id"), "")
        part = targets.get(rid)
        if part in names and element.get("name"):
            parts[element.get("name")] = part
    return parts


def _chunks(stream: BinaryIO) -> Iterable[bytes]:
    while chunk := stream.read(CHUNK_SIZE):
        yield chunk


def _has_formula(zf: zipfile.ZipFile, part: str) -> bool:
    """Whether the part holds any ``<f>`` element (a quick scan before parsing it)."""
    tail = b""
    with zf.open(part) as stream:
        for chunk in _chunks(stream):
            if _FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-32:]
    return False


class _Position:
    """The reference of each ``<c>``: its ``r`` attribute, or counted from the previous cell
    and row (``r`` is optional in the file format)."""

    def __init__(self) -> None:
        self.row = 0
        self.column = 0

    def start_row(self, attrs: dict[str, str]) -> None:
        self.row = int(attrs["r"]) if attrs.get("r", "").isdigit() else self.row + 1
        self.column = 0

    def cell(self, attrs: dict[str, str]) -> str:
        try:
            letters, row = coordinate_from_string(attrs.get("r", "").upper())
            self.row, self.column = row, column_index_from_string(letters)
        except (CellCoordinatesException, ValueError):  # no reference, or a damaged one
            self.column += 1
        return f"{get_column_letter(self.column)}{self.row}"


# --------------------------------------------------------------------------- reading

class _CachedValueScanner:
    """Collects the formula cells of one worksheet part that carry a cached value."""

    def __init__(self) -> None:
        self.where = _Position()
        self.found: dict[str, CachedValue] = {}
        self.shared: dict[str, tuple[int, str | None]] = {}  # t="s": (index, formula)
        self.ref: str | None = None
        self.type = "n"
        self.formula: list[str] | None = None
        self.shares = False
        self.value: list[str] | None = None
        self.in_value = False
        self.in_formula = False

    def start(self, name: str, pairs: list[str]) -> None:
        tag = _local(name)
        if tag == "row":
            self.where.start_row(_attrs(pairs))
        elif tag == "c":
            attrs = _attrs(pairs)
            self.ref = self.where.cell(attrs)
            self.type = attrs.get("t", "n") or "n"
            self.formula, self.value = None, None
        elif self.ref is not None and tag == "f":
            self.formula, self.in_formula = [], True
            self.shares = _attrs(pairs).get("t") == "shared"
        elif self.ref is not None and tag == "v":
            self.value, self.in_value = [], True

    def text(self, data: str) -> None:
        if self.in_value and self.value is not None:
            self.value.append(data)
        elif self.in_formula and self.formula is not None:
            self.formula.append(data)

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag == "v":
            self.in_value = False
        elif tag == "f":
            self.in_formula = False
        elif tag == "c" and self.ref is not None:
            if self.formula is not None and self.value is not None:
                formula = "".join(self.formula)
                # a cell sharing another's formula has none of its own; openpyxl writes it
                # translated, so it cannot be compared
                self._keep(self.ref, "".join(self.value),
                           None if self.shares and not formula else formula)
            self.ref = None

    def _keep(self, ref: str, text: str, formula: str | None) -> None:
        if self.type == "s":
            if text.strip().isdigit():
                self.shared[ref] = (int(text), formula)
        elif self.type == "str" or (text != "" and self.type in ("n", "b", "e", "d")):
            self.found[ref] = CachedValue(text, self.type, formula)
        # an empty <v/> of a number, or an inline string, is no cached value


def _parse(zf: zipfile.ZipFile, part: str, handler, *, end=None, text=None) -> None:
    parser = _parser()
    parser.StartElementHandler = handler
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        with zf.open(part) as stream:
            for chunk in _chunks(stream):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Refused:
        raise WorkbookError(f"{part} declares a DOCTYPE (entities or external references), "
                            "as attacks do: refusing to read it; open the workbook in Excel "
                            "and save it as .xlsx") from None
    except expat.ExpatError as exc:
        raise WorkbookError(f"{part} is not well-formed XML ({exc}): open the workbook in "
                            "Excel and save it as .xlsx") from None


def shared_strings(zf: zipfile.ZipFile) -> list[str]:
    """Every entry of the shared-strings part, as written: the text of its ``<t>`` and its
    runs' ``<t>``, phonetic runs (``<rPh>``) left out. The one reader of that part."""
    part = next((n for n in zf.namelist() if n.lower() == "xl/sharedstrings.xml"), None)
    if part is None:
        return []
    out: list[str] = []
    state = {"phonetic": 0, "in_text": False}
    parts: list[str] = []

    def start(name: str, _pairs: list[str]) -> None:
        tag = _local(name)
        if tag == "si":
            parts.clear()
        elif tag == "rPh":
            state["phonetic"] += 1
        elif tag == "t" and not state["phonetic"]:
            state["in_text"] = True

    def end(name: str) -> None:
        tag = _local(name)
        if tag == "si":
            out.append("".join(parts))
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "t":
            state["in_text"] = False

    def text(data: str) -> None:
        if state["in_text"]:
            parts.append(data)

    _parse(zf, part, start, end=end, text=text)
    return out


def read_cached_values(path: str | Path, sheets: Iterable[str] | None = None) -> CachedValues:
    """The cached values of the formula cells in ``sheets`` (all sheets when None).

    Returns ``{sheet title: {"G5": CachedValue}}`` for sheets holding at least one formula
    with a cached value; a formula never calculated (an empty ``<v/>``) is not listed. A
    sheet without any formula costs one quick scan of its compressed part.
    """
    wanted = None if sheets is None else set(sheets)
    out: dict[str, dict[str, CachedValue]] = {}
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError(f"{path} could not be read as a workbook ({exc})") from None
    strings: list[str] | None = None   # read once, when a formula's value is a shared string
    with zf:
        for title, part in sheet_parts(zf).items():
            if (wanted is not None and title not in wanted) or not _has_formula(zf, part):
                continue
            scan = _CachedValueScanner()
            _parse(zf, part, scan.start, end=scan.end, text=scan.text)
            found = dict(scan.found)
            if scan.shared:
                strings = shared_strings(zf) if strings is None else strings
                for ref, (index, formula) in scan.shared.items():
                    if 0 <= index < len(strings):
                        found[ref] = CachedValue(strings[index], "str", formula)
            if found:
                out[title] = found
    return out


# --------------------------------------------------------------------------- restoring

class _CellRewriter:
    """Streams one worksheet part written by openpyxl, giving formula cells their values.

    Bytes are held from the start of the cell being parsed; everything before it is final
    and is written out (with the edits of finished cells) after each chunk.
    """

    def __init__(self, values: Mapping[str, CachedValue], out: BinaryIO):
        self.values = values
        self.out = out
        self.parser = _parser()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.text
        self.where = _Position()
        self.buffer = bytearray()
        self.base = 0      # file offset of buffer[0]
        self.safe = 0      # no edit will start before this offset
        self.edits: list[tuple[int, int, bytes]] = []
        self.kept = 0
        self.cell: dict | None = None  # the candidate cell being parsed

    def _tag_end(self, offset: int) -> int:
        match = _TAG.match(self.buffer, offset - self.base)
        if match is None:  # expat reported a tag it has read, so this cannot happen
            raise WorkbookError(f"cannot find the tag at offset {offset} of a worksheet part")
        return self.base + match.end()

    def start(self, name: str, pairs: list[str]) -> None:
        tag = _local(name)
        at = self.parser.CurrentByteIndex
        if tag == "row":
            self.where.start_row(_attrs(pairs))
        elif tag == "c":
            ref = self.where.cell(_attrs(pairs))
            self.safe = at
            self.cell = None
            if ref in self.values:
                self.cell = {"ref": ref, "name": name, "pairs": pairs, "start": at,
                             "tag_end": self._tag_end(at), "formula": None, "in_f": False,
                             "v": None, "v_name": None, "v_text": False, "v_open": None}
        elif self.cell is not None and tag == "f":
            self.cell["formula"], self.cell["in_f"] = [], True
        elif self.cell is not None and tag == "v":
            end = self._tag_end(at)
            self.cell["v_name"] = name
            if self.buffer[end - self.base - 2:end - self.base] == b"/>":
                self.cell["v"] = (at, end)
            else:
                self.cell["v_open"] = at

    def text(self, data: str) -> None:
        if self.cell is None:
            return
        if self.cell["in_f"]:
            self.cell["formula"].append(data)
        elif self.cell["v_open"] is not None and data.strip():
            self.cell["v_text"] = True

    def end(self, name: str) -> None:
        tag = _local(name)
        if self.cell is None:
            if tag == "c":
                self.safe = self.parser.CurrentByteIndex
            return
        at = self.parser.CurrentByteIndex
        if tag == "f":
            self.cell["in_f"] = False
        elif tag == "v" and self.cell["v_open"] is not None:
            self.cell["v"] = (self.cell["v_open"], self._tag_end(at))
            self.cell["v_open"] = None
        elif tag == "c":  # ``at``: where ``</c>`` starts (after ``/>`` for an empty cell)
            self._finish(self.cell, at)
            self.cell = None
            self.safe = at

    def _finish(self, cell: dict, close_at: int) -> None:
        value = self.values[cell["ref"]]
        if cell["formula"] is None or cell["v_text"]:
            return  # not a formula here (a value was written over it), or it has a value
        if value.formula is not None and "".join(cell["formula"]) != value.formula:
            return  # another formula now: its value is not known
        pairs = cell["pairs"]
        attrs = [(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)
                 if _local(pairs[i]) != "t"]
        if value.type != "n":
            attrs.append(("t", value.type))
        start_tag = "<" + cell["name"] + "".join(
            f' {k}="{escape(v, _ATTR_ESCAPES)}"' for k, v in attrs) + ">"
        prefix = cell["name"][:-1]  # "c" or "x:c"
        v_name = cell["v_name"] or f"{prefix}v"
        v_element = f"<{v_name}>{escape(value.text, {chr(13): '&#13;'})}</{v_name}>".encode()
        self.edits.append((cell["start"], cell["tag_end"], start_tag.encode()))
        if cell["v"] is not None:
            self.edits.append((*cell["v"], v_element))
        else:
            self.edits.append((close_at, close_at, v_element))
        self.kept += 1

    def feed(self, chunk: bytes) -> None:
        self.buffer += chunk
        self.parser.Parse(chunk, False)
        self._flush(self.safe)

    def close(self) -> int:
        self.parser.Parse(b"", True)
        self._flush(self.base + len(self.buffer))
        return self.kept

    def _flush(self, upto: int) -> None:
        if upto <= self.base:
            return
        position = self.base
        for start, stop, replacement in self.edits:
            self.out.write(self.buffer[position - self.base:start - self.base])
            self.out.write(replacement)
            position = stop
        self.out.write(self.buffer[position - self.base:upto - self.base])
        del self.buffer[:upto - self.base]
        self.base = upto
        self.edits.clear()


def _rewrite_part(source: BinaryIO, out: BinaryIO, values: Mapping[str, CachedValue],
                  part: str) -> int:
    rewriter = _CellRewriter(values, out)
    try:
        for chunk in _chunks(source):
            rewriter.feed(chunk)
        return rewriter.close()
    except _Refused:
        raise WorkbookError(f"{part} declares a DOCTYPE: refusing to rewrite it") from None
    except expat.ExpatError as exc:
        raise WorkbookError(f"{part} as written is not well-formed XML ({exc})") from None


def _entry(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh zip entry with the name, date, compression and attributes of ``info``."""
    new = zipfile.ZipInfo(info.filename, info.date_time)
    new.compress_type = info.compress_type
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    return new


def restore_cached_values(package: str | Path | BinaryIO, out: str | Path | BinaryIO,
                          values: CachedValues) -> dict[str, int]:
    """Copy the zip ``package`` to ``out``, giving formula cells their cached ``values``.

    Only cells that still hold the same formula in ``package``, with no value of their own,
    are filled (a cell overwritten with a value or another formula is left alone). Returns
    the number of cells filled per sheet title.
    """
    kept: dict[str, int] = {}
    with zipfile.ZipFile(package) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zout:
        parts = {part: title for title, part in sheet_parts(zin).items() if values.get(title)}
        for info in zin.infolist():
            title = parts.get(info.filename)
            if title is None:
                zout.writestr(_entry(info), zin.read(info))
                continue
            with zin.open(info) as source, zout.open(_entry(info), "w") as target:
                kept[title] = _rewrite_part(source, target, values[title], info.filename)
    return kept


def save_with_cached_values(wb: Workbook, out: str | Path | BinaryIO,
                            values: CachedValues) -> dict[str, int]:
    """``wb.save`` (into memory), then :func:`restore_cached_values` into ``out``."""
    written = io.BytesIO()
    wb.save(written)
    written.seek(0)
    return restore_cached_values(written, out, values)
