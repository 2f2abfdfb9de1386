"""Writing a recalculation's results at the level of the zip package: only what xl-league owns.

:func:`write_outputs_to_package` never loads the user's workbook. It builds the output sheets
with the usual writer (:func:`~.writer.write_results`) in a small scratch workbook, saves it,
and transplants what it wrote into a copy of the original package. The tables' rows and the
other plain cells never become openpyxl cells: :mod:`.sheet_rows` writes their XML:

* each output sheet (league tables, Metric scores, Cut-points, and any sheet the writer adds,
  such as a dashboard) replaces the part of the sheet of that name, with the parts it refers
  to (comments, drawings, charts, images: renamed so they collide with nothing) and its
  print titles; a missing output sheet is added at the end;
* About gets its "last recalculated" cell and its "settings used" rows (from row
  :data:`~.layout.ABOUT_SETTINGS_ROW`), Settings only its ``last_recalculated`` value: every
  other cell of both is kept as it is in the file;
* the styles these cells use are added to the workbook's ``styles.xml`` (existing entries are
  reused, nothing is removed or renumbered), and their ``s="…"``/``dxfId`` references remapped;
* every other part — input sheets, Metrics, users' sheets, tables, charts, images, macros,
  names — is copied byte for byte, except that formulas in users' own sheets lose their cached
  values (they may depend on the tables just rewritten; Excel calculates them on opening, as
  ``fullCalcOnLoad`` asks) and the calculation chain is dropped (Excel rebuilds it).

A package this module cannot edit safely (a prefixed main namespace, a drawing a user put on
an output sheet, ...) raises :class:`PackageUnsupported` before anything is written; the
caller then writes with openpyxl instead. The write is atomic (:func:`~.files.atomic_write`).
"""

from __future__ import annotations

import datetime as _dt
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from defusedxml.ElementTree import fromstring
from openpyxl import Workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from ..xml_text import escape, unescape
from ..engine.pipeline import LeagueTables
from .cached_values import SHEETS_READ, sheet_parts
from .layout import (ABOUT_LAST_RECALCULATED, ABOUT_SETTINGS_ROW, ABOUT_SHEET,
                     DASHBOARD_SHEET, LAST_RECALCULATED_KEY, OUTPUT_SHEETS, SETTINGS_SHEET)
from .files import atomic_write
from .sheet_rows import SheetRows, XmlRows, detach_plain_cells
from .writer import write_results

__all__ = ["PackageUnsupported", "write_outputs_to_package"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_WORKSHEET_TYPE = _REL_NS + "/worksheet"
_WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CALC_CHAIN = "xl/calcChain.xml"
#: Relationships an output sheet may hold that belong to what xl-league writes there.
_OWNED_KINDS = {"comments", "vmlDrawing", "printerSettings"}


class PackageUnsupported(Exception):
    """The package has something this module cannot edit safely; nothing was written."""


# --------------------------------------------------------------------------- small helpers

def _part_of_rels(rels: str) -> str:
    """``xl/worksheets/_rels/sheet1.xml.rels`` → ``xl/worksheets/sheet1.xml``."""
    folder, name = posixpath.split(rels)
    return posixpath.join(posixpath.dirname(folder), name[:-len(".rels")])


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


@dataclass
class _Rel:
    id: str
    type: str
    target: str
    external: bool

    @property
    def kind(self) -> str:
        return self.type.rpartition("/")[2]


def _read_rels(files: Mapping[str, bytes], part: str) -> list[_Rel]:
    data = files.get(_rels_of(part))
    if data is None:
        return []
    out = []
    for rel in fromstring(data):
        external = rel.get("TargetMode") == "External"
        target = rel.get("Target", "")
        out.append(_Rel(rel.get("Id", ""), rel.get("Type", ""),
                        target if external else _resolve(part, target), external))
    return out


def _closure(files: Mapping[str, bytes], part: str) -> list[str]:
    """The internal parts reachable from ``part`` through relationships (``part`` excluded)."""
    seen: list[str] = []
    todo = [part]
    while todo:
        current = todo.pop()
        for rel in _read_rels(files, current):
            if not rel.external and rel.target not in seen and rel.target != part \
                    and rel.target in files:
                seen.append(rel.target)
                todo.append(rel.target)
    return seen


def _rels_xml(rels: Iterable[_Rel]) -> bytes:
    items = "".join(
        f'<Relationship Id="{escape(r.id, _QUOTE)}" Type="{escape(r.type, _QUOTE)}" '
        + (f'Target="{escape(r.target, _QUOTE)}" TargetMode="External"/>' if r.external
           else f'Target="/{escape(r.target, _QUOTE)}"/>') for r in rels)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PKG_RELS}">{items}</Relationships>').encode()


_QUOTE = {'"': "&quot;"}


def _root_is_unprefixed(data: bytes, local: str) -> bool:
    return re.search(rb"<" + local.encode() + rb"[\s>/]", data[:4096]) is not None


# --------------------------------------------------------------------------- styles

def _key(el) -> tuple:
    """An element's content, order of children ignored (two equal fonts written differently)."""
    return (el.tag.rpartition("}")[2], tuple(sorted(el.attrib.items())), (el.text or "").strip(),
            tuple(sorted(_key(child) for child in el)))


def _serialise(el) -> str:
    tag = el.tag.rpartition("}")[2]
    attrs = "".join(f' {name.rpartition("}")[2]}="{escape(value, _QUOTE)}"'
                    for name, value in el.attrib.items())
    inner = escape(el.text or "") + "".join(_serialise(child) for child in el)
    return f"<{tag}{attrs}>{inner}</{tag}>" if inner else f"<{tag}{attrs}/>"


_STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs",
                "cellStyles", "dxfs", "tableStyles", "colors", "extLst")


class _StyleMerger:
    """Adds the scratch workbook's styles to the original ``styles.xml`` (append only)."""

    def __init__(self, original: bytes, scratch: bytes):
        if not _root_is_unprefixed(original, "styleSheet"):
            raise PackageUnsupported("styles.xml uses a namespace prefix")
        self.text = original.decode("utf-8")
        self.orig = fromstring(original)
        self.new = fromstring(scratch)
        self.added: dict[str, list[str]] = {}
        self.keys: dict[str, list[tuple]] = {}
        for name in _STYLE_ORDER:
            self.keys[name] = [_key(child) for child in self._children(self.orig, name)]
        self.numfmt = self._numfmt_map()
        self.font = self._map("fonts")
        self.fill = self._map("fills")
        self.border = self._map("borders")
        self.style_xf = self._named_style_map()
        self.cell_xf = self._map("cellXfs", self._xf)
        self.dxf = self._map("dxfs")

    @staticmethod
    def _children(root, name: str) -> list:
        node = next((c for c in root if c.tag.rpartition("}")[2] == name), None)
        return list(node) if node is not None else []

    def _add(self, name: str, el) -> int:
        key = _key(el)
        keys = self.keys[name]
        if key in keys:
            return keys.index(key)
        keys.append(key)
        self.added.setdefault(name, []).append(_serialise(el))
        return len(keys) - 1

    def _map(self, name: str, remap: Callable | None = None) -> dict[int, int]:
        out = {}
        for i, el in enumerate(self._children(self.new, name)):
            out[i] = self._add(name, remap(el) if remap else el)
        return out

    def _numfmt_map(self) -> dict[int, int]:
        existing = {el.get("formatCode"): int(el.get("numFmtId"))
                    for el in self._children(self.orig, "numFmts")}
        next_id = max([163, *existing.values()]) + 1
        out = {}
        for el in self._children(self.new, "numFmts"):
            code, old = el.get("formatCode"), int(el.get("numFmtId"))
            if code not in existing:
                existing[code] = next_id
                copy = fromstring(f'<numFmt numFmtId="{next_id}" '
                                  f'formatCode="{escape(code, _QUOTE)}"/>')
                self.keys["numFmts"].append(_key(copy))
                self.added.setdefault("numFmts", []).append(_serialise(copy))
                next_id += 1
            out[old] = existing[code]
        return out

    def _xf(self, el, named: bool = False):
        copy = fromstring(_serialise(el))
        for attr, mapping in (("numFmtId", self.numfmt), ("fontId", self.font),
                              ("fillId", self.fill), ("borderId", self.border)):
            value = copy.get(attr)
            if value is not None and value.isdigit():
                copy.set(attr, str(mapping.get(int(value), int(value))))
        if not named and copy.get("xfId", "").isdigit():
            copy.set("xfId", str(self.style_xf.get(int(copy.get("xfId")), 0)))
        return copy

    def _named_style_map(self) -> dict[int, int]:
        """Scratch named-style xf index → the original's xf of the style of that name."""
        orig_styles = {el.get("name"): int(el.get("xfId", 0))
                       for el in self._children(self.orig, "cellStyles")}
        new_xfs = self._children(self.new, "cellStyleXfs")
        out = {}
        for el in self._children(self.new, "cellStyles"):
            xf_id = int(el.get("xfId", 0))
            name = el.get("name")
            if name in orig_styles:
                out[xf_id] = orig_styles[name]
                continue
            index = len(self.keys["cellStyleXfs"])
            self.keys["cellStyleXfs"].append(("added", index))
            self.added.setdefault("cellStyleXfs", []).append(
                _serialise(self._xf(new_xfs[xf_id], named=True)))
            style = fromstring(_serialise(el))
            style.set("xfId", str(index))
            self.keys["cellStyles"].append(_key(style))
            self.added.setdefault("cellStyles", []).append(_serialise(style))
            orig_styles[name] = index
            out[xf_id] = index
        return out

    def merged(self) -> bytes:
        text = self.text
        for name in _STYLE_ORDER:
            items = self.added.get(name)
            if not items:
                continue
            count = len(self.keys[name])
            block = "".join(items)
            closing = re.search(rf"</{name}\s*>", text)
            empty = re.search(rf"<{name}\b[^>]*/>", text)
            if closing:
                text = text[:closing.start()] + block + text[closing.start():]
            elif empty:
                attrs = re.sub(r"/>$", ">", empty.group(0))
                text = text[:empty.start()] + attrs + block + f"</{name}>" + text[empty.end():]
            else:
                later = [m.start() for n in _STYLE_ORDER[_STYLE_ORDER.index(name) + 1:]
                         for m in [re.search(rf"<{n}[\s>/]", text)] if m]
                at = min(later) if later else text.rindex("</styleSheet")
                text = text[:at] + f"<{name}>{block}</{name}>" + text[at:]
            text = re.sub(rf'(<{name}\b[^>]*?\bcount=")\d+(")', rf"\g<1>{count}\2", text, count=1)
        return text.encode("utf-8")

    def cell_id(self, scratch_id: int) -> int:
        """The merged workbook's id of the scratch workbook's cell style ``scratch_id``."""
        return self.cell_xf.get(scratch_id, scratch_id)

    def remap_sheet(self, xml: bytes) -> bytes:
        def repl(m: re.Match) -> bytes:
            attr, value = m.group(1), int(m.group(2))
            table = self.dxf if attr == b"dxfId" else self.cell_xf
            return attr + b'="' + str(table.get(value, value)).encode() + b'"'
        return re.sub(rb'(?<=\s)(s|style|dxfId)="(\d+)"', repl, xml)


# --------------------------------------------------------------------------- cells and rows

_ROW = re.compile(rb"<row\b[^>]*?(?:/>|>.*?</row>)", re.DOTALL)
_CELL = re.compile(rb"<c\b[^>]*?(?:/>|>.*?</c>)", re.DOTALL)
_R_ATTR = re.compile(rb'\sr="([A-Z]*)(\d+)"')
_SHEET_DATA = re.compile(rb"<sheetData\b[^>]*?(?:/>|>(.*?)</sheetData>)", re.DOTALL)


def _row_number(row: bytes) -> int:
    m = re.match(rb'<row\b[^>]*?\sr="(\d+)"', row)
    if m is None:
        raise PackageUnsupported("a row without a row number")
    return int(m.group(1))


def _rows(sheet: bytes) -> tuple[re.Match, list[bytes]]:
    m = _SHEET_DATA.search(sheet)
    if m is None:
        raise PackageUnsupported("a sheet without sheetData")
    return m, _ROW.findall(m.group(1) or b"")


def _column(cell: bytes) -> int:
    m = _R_ATTR.search(cell[:cell.index(b">")])
    if m is None:
        raise PackageUnsupported("a cell without a reference")
    letters = m.group(1).decode()
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _cells(row: bytes) -> list[bytes]:
    if row.endswith(b"/>") and b"<c" not in row:
        return []
    return _CELL.findall(row)


def _moved(xml: bytes, row: int) -> bytes:
    """A cell or row's references moved to ``row``."""
    return _R_ATTR.sub(lambda m: b' r="' + m.group(1) + str(row).encode() + b'"', xml)


def _with_cell(row: bytes, cell: bytes) -> bytes:
    """``row`` with ``cell`` put in (replacing the cell of its column)."""
    column = _column(cell)
    head = re.match(rb"<row\b[^>]*?(/?)>", row)
    cells = [c for c in _cells(row) if _column(c) != column]
    cells.append(cell)
    cells.sort(key=_column)
    start = head.group(0)[:-2] + b">" if head.group(1) else head.group(0)
    return start + b"".join(cells) + b"</row>"


def _dimension(sheet: bytes, rows: list[bytes]) -> bytes:
    """The ``<dimension>`` widened to the rows written (never narrowed)."""
    m = re.search(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"', sheet)
    if m is None or not rows:
        return sheet
    last_row = max(_row_number(r) for r in rows)
    last_col = max([_column(cells[-1]) for r in rows if (cells := _cells(r))] or [1])
    end_col = column_index_from_string((m.group(3) or m.group(1)).decode())
    end_row = int(m.group(4) or m.group(2))
    ref = (m.group(1) + m.group(2) + b":" + get_column_letter(max(end_col, last_col)).encode()
           + str(max(end_row, last_row)).encode())
    return sheet[:m.start()] + b'<dimension ref="' + ref + b'"' + sheet[m.end():]


def _splice(sheet: bytes, replace: Callable[[list[bytes]], list[bytes]]) -> bytes:
    if not _root_is_unprefixed(sheet, "worksheet"):
        raise PackageUnsupported("a sheet uses a namespace prefix")
    m, rows = _rows(sheet)
    new_rows = replace(rows)
    body = b"<sheetData>" + b"".join(new_rows) + b"</sheetData>"
    return _dimension(sheet[:m.start()] + body + sheet[m.end():], new_rows)


def _splice_about(sheet: bytes, scratch: bytes) -> bytes:
    """About: the "last recalculated" cell and every row from the settings rows down, from
    ``scratch``; every other cell as it was."""
    _m, new_rows = _rows(scratch)
    by_number = {_row_number(r): r for r in new_rows}
    last_ref = _R_ATTR.search(b' r="' + ABOUT_LAST_RECALCULATED.encode() + b'"')
    last_row = int(last_ref.group(2))
    last_col = sum((ord(ch) - 64) * 26 ** i
                   for i, ch in enumerate(reversed(last_ref.group(1).decode())))
    stamp = next((c for c in _cells(by_number.get(last_row, b"")) if _column(c) == last_col),
                 None)

    def replace(rows: list[bytes]) -> list[bytes]:
        kept = [r for r in rows if _row_number(r) < ABOUT_SETTINGS_ROW]
        if stamp is not None:
            at = next((i for i, r in enumerate(kept) if _row_number(r) >= last_row), len(kept))
            if at < len(kept) and _row_number(kept[at]) == last_row:
                kept[at] = _with_cell(kept[at], stamp)
            else:
                kept.insert(at, by_number[last_row])
        return kept + [r for n, r in sorted(by_number.items()) if n >= ABOUT_SETTINGS_ROW]

    return _splice(sheet, replace)


def _splice_settings(sheet: bytes, scratch: bytes, key_row: int | None) -> bytes:
    """Settings: only the ``last_recalculated`` value (its row appended when missing)."""
    _m, new_rows = _rows(scratch)
    key = f">{LAST_RECALCULATED_KEY}<".encode()
    written = next(r for r in new_rows if key in r)
    value = next(c for c in _cells(written) if _column(c) == 2)

    def replace(rows: list[bytes]) -> list[bytes]:
        if key_row is not None:
            out = list(rows)
            at = next((i for i, r in enumerate(out) if _row_number(r) >= key_row), len(out))
            if at < len(out) and _row_number(out[at]) == key_row:
                out[at] = _with_cell(out[at], _moved(value, key_row))
            else:
                out.insert(at, _moved(written, key_row))
            return out
        last = max([_row_number(r) for r in rows] or [0])
        return list(rows) + [_moved(written, last + 1)]

    return _splice(sheet, replace)


_FORMULA_CELL = re.compile(rb"<c\b([^>]*?)(?<!/)>((?:(?!</c>)(?!<c[\s/>]).)*?<f[\s/>]"
                           rb"(?:(?!</c>).)*?)</c>", re.DOTALL)
_VALUE = re.compile(rb"<v>[^<]*</v>|<v\s*/>")
_TYPE = re.compile(rb'\st="[^"]*"')


def _without_formula_values(sheet: bytes) -> bytes:
    """Formula cells' cached values dropped (Excel calculates them on opening)."""
    if b"<f" not in sheet:
        return sheet

    def repl(m: re.Match) -> bytes:
        return b"<c" + _TYPE.sub(b"", m.group(1)) + b">" + _VALUE.sub(b"", m.group(2)) + b"</c>"

    return _FORMULA_CELL.sub(repl, sheet)


# --------------------------------------------------------------------------- workbook.xml

_SHEET_TAG = re.compile(r"<sheet\b[^>]*?/?>")


def _attr(tag: str, name: str) -> str | None:
    m = re.search(rf'(?:\s|^)(?:\w+:)?{name}="([^"]*)"', tag)
    return unescape(m.group(1)) if m else None


class _Workbook:
    """Text edits of xl/workbook.xml and its relationships."""

    def __init__(self, xml: bytes, rels: bytes):
        if not _root_is_unprefixed(xml, "workbook"):
            raise PackageUnsupported("workbook.xml uses a namespace prefix")
        self.text = xml.decode("utf-8")
        self.rels = rels.decode("utf-8")
        sheets = re.search(r"<sheets\b[^>]*>(.*?)</sheets>", self.text, re.DOTALL)
        if sheets is None:
            raise PackageUnsupported("workbook.xml lists no sheets")
        self.names = [_attr(tag, "name") for tag in _SHEET_TAG.findall(sheets.group(1))]
        prefix = re.search(rf'xmlns:(\w+)="{re.escape(_REL_NS)}"', self.text)
        self.r = prefix.group(1) if prefix else None

    def add_sheet(self, name: str, target: str) -> None:
        ids = [int(i) for i in re.findall(r'\bsheetId="(\d+)"', self.text)]
        rel_ids = set(re.findall(r'\bId="([^"]+)"', self.rels))
        n = 1
        while f"rId{n}" in rel_ids:
            n += 1
        rid = f"rId{n}"
        r_attr = (f'{self.r}:id="{rid}"' if self.r
                  else f'xmlns:r="{_REL_NS}" r:id="{rid}"')
        tag = f'<sheet name="{escape(name, _QUOTE)}" sheetId="{max(ids or [0]) + 1}" {r_attr}/>'
        self.text = self.text.replace("</sheets>", tag + "</sheets>", 1)
        rel = (f'<Relationship Id="{rid}" Type="{_WORKSHEET_TYPE}" '
               f'Target="/{escape(target, _QUOTE)}"/>')
        self.rels = self.rels.replace("</Relationships>", rel + "</Relationships>", 1)
        self.names.append(name)

    def drop_relationship_to(self, part: str) -> None:
        def keep(m: re.Match) -> str:
            target = _attr(m.group(0), "Target") or ""
            return "" if _resolve("xl/workbook.xml", target) == part else m.group(0)
        self.rels = re.sub(r"<Relationship\b[^>]*?(?:/>|>.*?</Relationship>)", keep, self.rels,
                           flags=re.DOTALL)

    def set_local_names(self, sheet: str, names: list[tuple[str, str]]) -> None:
        """The sheet-level defined names ``names`` [(name, text)] replace those of the same
        names on ``sheet``; others are kept."""
        index = self.names.index(sheet)
        for name, value in names:
            element = (f'<definedName name="{escape(name, _QUOTE)}" localSheetId="{index}">'
                       f"{escape(value)}</definedName>")
            pattern = re.compile(r"<definedName\b[^>]*>.*?</definedName>", re.DOTALL)
            found = False

            def swap(m: re.Match) -> str:
                nonlocal found
                head = m.group(0)[:m.group(0).index(">")]
                if _attr(head, "name") == name and _attr(head, "localSheetId") == str(index):
                    if found:
                        return ""
                    found = True
                    return element
                return m.group(0)

            self.text = pattern.sub(swap, self.text)
            if found:
                continue
            if "</definedNames>" in self.text:
                self.text = self.text.replace("</definedNames>", element + "</definedNames>", 1)
            elif re.search(r"<definedNames\s*/>", self.text):
                self.text = re.sub(r"<definedNames\s*/>", f"<definedNames>{element}"
                                                          "</definedNames>", self.text, count=1)
            else:
                anchor = max(self.text.find(f"</{tag}>") + len(tag) + 3 if f"</{tag}>" in
                             self.text else -1
                             for tag in ("sheets", "functionGroups", "externalReferences"))
                self.text = (self.text[:anchor] + f"<definedNames>{element}</definedNames>"
                             + self.text[anchor:])

    def calculate_on_opening(self) -> None:
        m = re.search(r"<calcPr\b[^>]*?/?>", self.text)
        if m is not None:
            tag = re.sub(r'\sfullCalcOnLoad="[^"]*"', "", m.group(0))
            tag = re.sub(r"(\s*/?>)$", r' fullCalcOnLoad="1"\1', tag, count=1)
            self.text = self.text[:m.start()] + tag + self.text[m.end():]
            return
        anchor = None
        for tag in ("definedNames", "externalReferences", "functionGroups", "sheets"):
            end = re.search(rf"</{tag}>|<{tag}\s*/>", self.text)
            if end is not None:
                anchor = end.end()
                break
        self.text = self.text[:anchor] + '<calcPr fullCalcOnLoad="1"/>' + self.text[anchor:]


# --------------------------------------------------------------------------- the package

class _ContentTypes:
    def __init__(self, xml: bytes):
        self.text = xml.decode("utf-8")

    def overrides(self) -> dict[str, str]:
        return {(_attr(t, "PartName") or "").lstrip("/"): _attr(t, "ContentType") or ""
                for t in re.findall(r"<Override\b[^>]*>", self.text)}

    def defaults(self) -> dict[str, str]:
        return {(_attr(t, "Extension") or "").lower(): _attr(t, "ContentType") or ""
                for t in re.findall(r"<Default\b[^>]*>", self.text)}

    def add(self, part: str, content_type: str) -> None:
        self.text = self.text.replace(
            "</Types>", f'<Override PartName="/{escape(part, _QUOTE)}" '
                        f'ContentType="{escape(content_type, _QUOTE)}"/></Types>', 1)

    def add_default(self, extension: str, content_type: str) -> None:
        self.text = self.text.replace(
            "</Types>", f'<Default Extension="{escape(extension, _QUOTE)}" '
                        f'ContentType="{escape(content_type, _QUOTE)}"/></Types>', 1)

    def remove(self, part: str) -> None:
        def keep(m: re.Match) -> str:
            return "" if (_attr(m.group(0), "PartName") or "").lstrip("/") == part \
                else m.group(0)
        self.text = re.sub(r"<Override\b[^>]*?/>", keep, self.text)


def _fresh_name(part: str, taken: set[str]) -> str:
    folder, name = posixpath.split(part)
    m = re.match(r"(.*?)(\d*)(\.[^.]*)$", name)
    stem, ext = (m.group(1), m.group(3)) if m else (name, "")
    n = 1
    while True:
        candidate = posixpath.join(folder, f"{stem}{n}{ext}")
        if candidate not in taken:
            taken.add(candidate)
            return candidate
        n += 1


def _check_dashboard(zf: zipfile.ZipFile, sheets: list[str]) -> None:
    """The Dashboard is ours to replace only where xl-league wrote it (its marker name); a
    user's sheet of that name, or a workbook without one (it goes right after About), is left
    to the openpyxl writer, which refuses the first and places the second."""
    from .dashboard import MARKER_NAME

    if DASHBOARD_SHEET not in sheets:
        raise PackageUnsupported("no Dashboard yet")
    names = _local_names(zf.read("xl/workbook.xml"), sheets.index(DASHBOARD_SHEET))
    if MARKER_NAME not in {n for n, _ in names}:
        raise PackageUnsupported(f"'{DASHBOARD_SHEET}' is a sheet of the user's")


def _local_names(workbook_xml: bytes, index: int) -> list[tuple[str, str]]:
    root = fromstring(workbook_xml)
    out = []
    for el in root.iter(f"{{{_MAIN}}}definedName"):
        if el.get("localSheetId") == str(index):
            out.append((el.get("name"), el.text or ""))
    return out


def _scratch_workbook(sheets: list[str]) -> Workbook:
    """An empty workbook holding About and Settings (when the original has them) and the
    output sheets, in the template's order."""
    wb = Workbook()
    first = wb.active
    # the Dashboard is made fresh by its writer (an unmarked one would be a user's sheet)
    names = [n for n in (ABOUT_SHEET, SETTINGS_SHEET) if n in sheets] + \
        [n for n in OUTPUT_SHEETS if n != DASHBOARD_SHEET]
    first.title = names[0]
    for name in names[1:]:
        wb.create_sheet(name)
    return wb


def _settings_key_row(path: Path) -> int | None:
    """The row of Settings whose key (column A) is ``last_recalculated``, as the writer finds
    it; None when there is none."""
    from .sheet_xml import read_sheet_grids

    grid = read_sheet_grids(path, [SETTINGS_SHEET]).cells.get(SETTINGS_SHEET, {})
    rows = sorted(r for (r, c), cell in grid.items()
                  if c == 1 and str(cell.value or "").strip() == LAST_RECALCULATED_KEY)
    return rows[0] if rows else None


class _Composer:
    """The new package: the original's parts, with the output parts transplanted."""

    def __init__(self, original: zipfile.ZipFile, scratch: zipfile.ZipFile,
                 settings_key_row: int | None, rows: Mapping[str, SheetRows]):
        self.infos = original.infolist()
        self.files: dict[str, bytes] = {i.filename: original.read(i) for i in self.infos}
        self.new = {i.filename: scratch.read(i) for i in scratch.infolist()}
        self.order = [i.filename for i in self.infos]
        self.settings_key_row = settings_key_row
        self.rows = rows

    def compose(self) -> dict[str, bytes]:
        files, new = self.files, self.new
        parts = sheet_parts(_Zip(files))
        new_parts = sheet_parts(_Zip(new))
        book = _Workbook(files["xl/workbook.xml"], files["xl/_rels/workbook.xml.rels"])
        types = _ContentTypes(files["[Content_Types].xml"])
        new_types = _ContentTypes(new["[Content_Types].xml"])
        styles = _StyleMerger(files.get("xl/styles.xml") or b"", new["xl/styles.xml"])
        strings = self._scratch_strings()

        def scratch_sheet(name: str) -> bytes:
            """The scratch workbook's sheet with the merged styles' ids, rows put back."""
            xml = styles.remap_sheet(self._inline(new[new_parts[name]], strings))
            rows = self.rows.get(name)
            return _with_rows(xml, rows.xml(styles.cell_id)) if rows is not None else xml

        taken = set(files)
        candidates: set[str] = set()
        new_names = list(new_parts)
        for name in new_names:
            if name in (ABOUT_SHEET, SETTINGS_SHEET):
                continue
            source = new_parts[name]
            xml = scratch_sheet(name)
            if name in parts and name in OUTPUT_SHEETS:
                target = parts[name]
                old_rels = _read_rels(files, target)
                strange = {r.kind for r in old_rels if not r.external} - _OWNED_KINDS
                new_kinds = {r.kind for r in _read_rels(new, source)}
                if strange - new_kinds:
                    raise PackageUnsupported(f"'{name}' holds {', '.join(sorted(strange))}")
                candidates.update(_closure(files, target))
                files.pop(_rels_of(target), None)
            elif name not in OUTPUT_SHEETS and name in parts:
                raise PackageUnsupported(f"'{name}' is a sheet of the user's")
            else:
                target = _fresh_name("xl/worksheets/sheet.xml", taken)
                book.add_sheet(name, target)
                types.add(target, _WORKSHEET_CT)
            files[target] = xml
            self._transplant_related(source, target, taken, types, new_types, styles)
            book.set_local_names(name, _local_names(new["xl/workbook.xml"],
                                                    new_names.index(name)))
        if ABOUT_SHEET in parts and ABOUT_SHEET in new_parts:
            about = scratch_sheet(ABOUT_SHEET)
            files[parts[ABOUT_SHEET]] = _splice_about(files[parts[ABOUT_SHEET]], about)
        if SETTINGS_SHEET in parts and SETTINGS_SHEET in new_parts:
            settings = scratch_sheet(SETTINGS_SHEET)
            files[parts[SETTINGS_SHEET]] = _splice_settings(
                files[parts[SETTINGS_SHEET]], settings, self.settings_key_row)
        for name, part in parts.items():
            if name not in SHEETS_READ and name not in new_parts and part in files:
                files[part] = _without_formula_values(files[part])
        if ABOUT_SHEET in parts:
            files[parts[ABOUT_SHEET]] = _without_formula_values(files[parts[ABOUT_SHEET]])
        if _CALC_CHAIN in files:
            candidates.add(_CALC_CHAIN)
            book.drop_relationship_to(_CALC_CHAIN)
        book.calculate_on_opening()
        files["xl/workbook.xml"] = book.text.encode("utf-8")
        files["xl/_rels/workbook.xml.rels"] = book.rels.encode("utf-8")
        files["xl/styles.xml"] = styles.merged()
        while True:  # parts of the replaced sheets that nothing refers to any more
            referenced = {rel.target for rels in list(files) if rels.endswith(".rels")
                          and (_part_of_rels(rels) in ("", *files))
                          for rel in _read_rels(files, _part_of_rels(rels)) if not rel.external}
            unused = {p for p in candidates - referenced if p in files}
            if not unused:
                break
            for part in unused:
                files.pop(part)
                files.pop(_rels_of(part), None)
                types.remove(part)
        files["[Content_Types].xml"] = types.text.encode("utf-8")
        return files

    def _scratch_strings(self) -> list[bytes]:
        data = self.new.get("xl/sharedStrings.xml")
        if not data:
            return []
        return re.findall(rb"<si>(.*?)</si>", data, re.DOTALL)

    @staticmethod
    def _inline(sheet: bytes, strings: list[bytes]) -> bytes:
        if not strings:
            return sheet

        def repl(m: re.Match) -> bytes:
            attrs = m.group(1).replace(b' t="s"', b' t="inlineStr"')
            return b"<c" + attrs + b"><is>" + strings[int(m.group(2))] + b"</is></c>"

        return re.sub(rb'<c\b([^>]*\st="s"[^>]*)><v>(\d+)</v></c>', repl, sheet)

    def _transplant_related(self, source: str, target: str, taken: set[str],
                            types: _ContentTypes, new_types: _ContentTypes,
                            styles: _StyleMerger) -> None:
        """The parts the scratch sheet refers to, renamed, with their relationships."""
        new = self.new
        related = _closure(new, source)
        if any(r.kind in ("table", "pivotTable") for part in [source, *related]
               for r in _read_rels(new, part)):
            raise PackageUnsupported("tables need workbook-wide names and ids")
        renamed = {source: target}
        for part in related:
            renamed[part] = _fresh_name(part, taken)
        overrides = new_types.overrides()
        defaults = types.defaults()
        new_defaults = new_types.defaults()
        for part in [source, *related]:
            rels = _read_rels(new, part)
            if rels:
                moved = [_Rel(r.id, r.type, r.target if r.external else renamed[r.target],
                              r.external) for r in rels]
                self.files[_rels_of(renamed[part])] = _rels_xml(moved)
            if part == source:
                continue
            self.files[renamed[part]] = new[part]
            if part in overrides:
                types.add(renamed[part], overrides[part])
            else:
                extension = part.rpartition(".")[2].lower()
                if extension not in defaults and extension in new_defaults:
                    types.add_default(extension, new_defaults[extension])
                    defaults[extension] = new_defaults[extension]


def _with_rows(sheet: bytes, extra: Mapping[int, bytes]) -> bytes:
    """A sheet saved by openpyxl with the rows kept out of it (:mod:`.sheet_rows`)."""
    if not extra:
        return sheet

    def replace(rows: list[bytes]) -> list[bytes]:
        merged = dict(extra)
        for row in rows:
            n = _row_number(row)
            if n not in merged or _cells(row):
                merged[n] = row if n not in merged else _with_cells(row, _cells(merged[n]))
        return [merged[n] for n in sorted(merged)]

    return _splice(sheet, replace)


def _with_cells(row: bytes, cells: list[bytes]) -> bytes:
    for cell in cells:
        row = _with_cell(row, cell)
    return row


class _Zip:
    """The bits of :class:`zipfile.ZipFile` that :func:`sheet_parts` uses, over a dict."""

    def __init__(self, files: Mapping[str, bytes]):
        self.files = files

    def namelist(self) -> list[str]:
        return list(self.files)

    def read(self, name: str) -> bytes:
        return self.files[name]


def _write_zip(out: Path, files: Mapping[str, bytes], order: list[str],
               infos: Mapping[str, zipfile.ZipInfo]) -> None:
    names = [n for n in order if n in files] + [n for n in files if n not in set(order)]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for name in names:
            info = infos.get(name)
            entry = zipfile.ZipInfo(name, info.date_time if info else
                                    _dt.datetime.now().timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            if info is not None:
                entry.external_attr = info.external_attr
            zf.writestr(entry, files[name])


def write_outputs_to_package(src: str | Path, dest: str | Path, results: LeagueTables,
                             settings_rows: Mapping[str, object], *,
                             recalculated_at: _dt.datetime | None = None,
                             saving: Callable[[], None] | None = None) -> Path:
    """Write ``results`` into the output sheets of the workbook ``src``, saved to ``dest``.

    ``settings_rows`` is what About shows as the settings used. ``saving`` is called once the
    output sheets are built, before the file is written. Raises :class:`PackageUnsupported`
    (nothing written) for a package it cannot edit safely.
    """
    source, target = Path(src), Path(dest)
    with zipfile.ZipFile(source) as zf:
        parts = sheet_parts(zf)
        _check_dashboard(zf, list(parts))
    scratch = _scratch_workbook(list(parts))
    table_rows = XmlRows(scratch)
    write_results(scratch, results, settings_rows, recalculated_at=recalculated_at,
                  rows=table_rows)
    if saving is not None:
        saving()

    rows = detach_plain_cells(scratch, table_rows)

    def write(tmp: Path) -> None:
        scratch.save(tmp)
        built = io.BytesIO(tmp.read_bytes())
        key_row = _settings_key_row(source) if SETTINGS_SHEET in parts else None
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(built) as new:
            composer = _Composer(original, new, key_row, rows)
            files = composer.compose()
            infos = {i.filename: i for i in composer.infos}
        _write_zip(tmp, files, composer.order, infos)

    atomic_write(target, write)
    return target
