"""Is this file a workbook we can read, and what would openpyxl lose by saving it?

:func:`check_file` runs before any workbook is opened: it turns the usual wrong files (missing,
a text file renamed ``.xlsx``, a legacy ``.xls``, a password-protected workbook, ``.xlsb``,
``.ods``) and hostile zips (huge uncompressed size, too many parts, extreme compression ratio)
into one clear :class:`~xl_league.errors.WorkbookError`. It also refuses, before any XML is
parsed, a part that declares a DOCTYPE (entity bombs such as "billion laughs" need one; no
Excel workbook has one, and openpyxl never parses some parts, such as the theme, which it
would copy bomb and all), and input sheets bigger than xl-league reads: more than
:data:`MAX_ORGANISATION_ROWS` rows below the headings or :data:`MAX_INPUT_COLUMNS` columns,
by the sheet's ``<dimension>`` (the used range Excel records), so that a pasted 100,000-row
sheet is refused at once instead of loading for minutes.

:func:`unsupported_parts` lists what openpyxl would drop when it saves the workbook (slicers,
sparklines, shapes, form controls, ...). A recalculation refuses to overwrite such a workbook
and offers ``-o OTHER.xlsx`` instead. XML is parsed by openpyxl through ``defusedxml``, which
is a dependency of xl-league (entity-expansion attacks are refused).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Collection, Iterator
from pathlib import Path

from ..errors import WorkbookError

__all__ = ["check_file", "unsupported_parts", "MAX_UNCOMPRESSED_BYTES", "MAX_ENTRIES",
           "MAX_COMPRESSION_RATIO", "WORKBOOK_SUFFIXES", "MAX_ORGANISATION_ROWS",
           "MAX_INPUT_COLUMNS", "ENTITIES_REFUSED"]

MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: Rows below the headings of one input sheet: NHS England ranks about 210 trusts and 42 ICBs;
#: England has about 6,300 GP practices, so practice-level tables fit too.
MAX_ORGANISATION_ROWS = 20_000
#: Columns of one input sheet: 6 organisation columns and at most two per metric are needed.
MAX_INPUT_COLUMNS = 500
#: The message for XML that declares entities (``{p}`` is the workbook).
ENTITIES_REFUSED = ("{p} was refused: its XML declares entities or external references "
                    "(defusedxml refuses them, as they are used in attacks); open it in Excel "
                    "and save it as .xlsx")
MAX_ENTRIES = 10_000
#: Largest uncompressed/compressed ratio accepted for a part bigger than 1 MB.
MAX_COMPRESSION_RATIO = 200
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_ENCRYPTED = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))

# Parts openpyxl does not read (so it would not write them back), by name prefix.
_PART_PREFIXES: tuple[tuple[str, str], ...] = (
    ("xl/slicers/", "slicers"),
    ("xl/slicerCaches/", "slicers"),
    ("xl/timelines/", "timelines"),
    ("xl/timelineCaches/", "timelines"),
    ("xl/metadata.xml", "dynamic-array formula metadata"),
    ("xl/webextensions/", "Office add-ins (web extensions)"),
    ("xl/threadedComments/", "threaded comments"),
    ("xl/model/", "a data model (Power Pivot)"),
    ("xl/activeX/", "ActiveX controls"),
    ("xl/ctrlProps/", "form controls (buttons, check boxes, lists)"),
    ("xl/embeddings/", "embedded objects"),
    ("xl/connections.xml", "data connections"),
    ("xl/queryTables/", "query tables"),
    ("xl/richData/", "rich data types (linked data types, pictures in cells)"),
    ("xl/featurePropertyBag/", "cell check boxes"),
)
# Inside a worksheet's XML.
_SHEET_MARKERS: tuple[tuple[bytes, str], ...] = (
    (b"sparklineGroups", "sparklines"),
    (b"x14:conditionalFormattings", "newer conditional formatting (Excel 2010 extensions)"),
    (b"x14:dataValidations", "data validations that refer to other sheets"),
    (b"slicerList", "slicers"),
    (b"<controls", "form controls (buttons, check boxes, lists)"),
    (b"<oleObjects", "embedded objects"),
)
_SHAPE = re.compile(rb"<(?:\w+:)?(?:sp|grpSp|cxnSp|contentPart)[\s>/]")
_VML_OBJECT = re.compile(rb'ObjectType\s*=\s*"(\w+)"')


def _chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with path.open("rb") as fh:
        tail = b""
        while block := fh.read(size):
            yield tail + block
            tail = block[-64:]


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text[:200])


def check_file(path: str | Path) -> Path:
    """Raise :class:`WorkbookError` unless ``path`` is a readable .xlsx/.xlsm package."""
    p = Path(path)
    if not p.exists():
        raise WorkbookError(f"{p}: no such file")
    if p.is_dir():
        raise WorkbookError(f"{p} is a folder, not a workbook")
    with p.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(_OLE2):
        if any(any(mark in chunk for mark in _ENCRYPTED) for chunk in _chunks(p)):
            raise WorkbookError(
                f"{p} is password-protected (encrypted), so it cannot be read: in Excel, "
                "remove the password (File > Info > Protect Workbook > Encrypt with Password) "
                "and save it, or save an unprotected copy")
        raise WorkbookError(f"{p} is an old Excel 97-2003 workbook (.xls): open it in Excel "
                            "and save it as .xlsx (Excel Workbook)")
    if not head.startswith(_ZIP):
        what = "it looks like a text file (CSV?)" if head and _looks_like_text(head) else (
            "the file is empty" if not head else "it is not a zip package")
        raise WorkbookError(f"{p} is not an Excel workbook (.xlsx): {what}; "
                            "open it in Excel and save it as .xlsx")
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError(f"{p} is damaged or not an Excel workbook ({exc}): "
                            "open it in Excel and save it as .xlsx") from None
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            kind = "an Excel binary workbook (.xlsb)"
        elif "content.xml" in names and "mimetype" in names:
            kind = "an OpenDocument spreadsheet (.ods)"
        else:
            kind = "a zip file without an Excel workbook inside"
        raise WorkbookError(f"{p} is {kind}, not an .xlsx workbook: open it in Excel (or "
                            "LibreOffice) and save it as .xlsx")
    _check_bounds(p, infos)
    if p.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise WorkbookError(f"{p} holds an Excel workbook but its name does not end .xlsx or "
                            ".xlsm: rename it")
    try:
        with zipfile.ZipFile(p) as zf:
            _check_no_doctype(p, zf, infos)
            _check_input_sizes(p, zf)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise WorkbookError(f"{p} is damaged or not an Excel workbook ({exc}): "
                            "open it in Excel and save it as .xlsx") from None
    return p


def _check_bounds(p: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise WorkbookError(f"{p} has {len(infos)} parts, more than the {MAX_ENTRIES} a "
                            "workbook plausibly needs: refusing to open it")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookError(f"{p} would unpack to {total / 2**20:.0f} MB, more than the "
                            f"{MAX_UNCOMPRESSED_BYTES // 2**20} MB limit: refusing to open it")
    for info in infos:
        if info.file_size > 1 << 20 and info.file_size > MAX_COMPRESSION_RATIO * max(
                info.compress_size, 1):
            raise WorkbookError(f"{p}: part {info.filename} is compressed more than "
                                f"{MAX_COMPRESSION_RATIO} to 1, as a zip bomb is: refusing to "
                                "open it")


_XML_PART = re.compile(r"(?i)\.(xml|rels|vml)$")
_DOCTYPE = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))
_PROLOG_LIMIT = 1 << 20  # a real prolog is a line; defusedxml still guards what is parsed
_ROOT = re.compile(rb"<[A-Za-z_]|<\x00[A-Za-z_]\x00|\x00<\x00[A-Za-z_]")


def _check_no_doctype(p: Path, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a part whose prolog (before its root element) declares a DOCTYPE."""
    for info in infos:
        if not _XML_PART.search(info.filename):
            continue
        with zf.open(info) as fh:
            prolog = b""
            while len(prolog) < _PROLOG_LIMIT and (block := fh.read(1 << 16)):
                prolog += block
                root = _ROOT.search(prolog)
                if root is not None:
                    prolog = prolog[:root.start()]
                    break
        if any(mark in prolog for mark in _DOCTYPE):
            raise WorkbookError(ENTITIES_REFUSED.format(p=p))


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → zip part, from xl/workbook.xml and its relationships (empty if unreadable)."""
    from defusedxml.ElementTree import fromstring

    try:
        book = fromstring(zf.read("xl/workbook.xml"))
        rels = fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # noqa: BLE001 - unreadable: openpyxl will say what is wrong
        return {}
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        targets[rel.get("Id")] = (target.lstrip("/") if target.startswith("/")
                                  else f"xl/{target}")
    parts = {}
    for el in book.iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet":
            rid = next((v for k, v in el.attrib.items() if k.rsplit("}", 1)[-1] == "id"), None)
            if rid in targets and el.get("name"):
                parts[el.get("name")] = targets[rid]
    return parts


def _check_input_sizes(p: Path, zf: zipfile.ZipFile) -> None:
    """Refuse an input sheet whose used range is beyond what xl-league reads."""
    from openpyxl.utils.cell import range_boundaries

    from .layout import INPUT_SHEETS

    names = set(zf.namelist())
    for sheet, part in _sheet_parts(zf).items():
        if sheet not in INPUT_SHEETS.values() or part not in names:
            continue
        with zf.open(part) as fh:
            head = fh.read(1 << 14)
        m = _DIMENSION.search(head)
        if m is None:
            continue
        ref = m.group(1).decode()
        _, _, max_col, max_row = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
        if max_row - 1 > MAX_ORGANISATION_ROWS:
            raise WorkbookError(
                f"'{sheet}' uses {max_row - 1:,} rows below its headings (to row {max_row:,}), "
                f"more than the {MAX_ORGANISATION_ROWS:,} organisations xl-league reads from "
                "one input sheet: delete the rows that are not organisations (rows that look "
                "empty but were formatted count too: select them and delete the rows), or "
                "split the organisations between workbooks")
        if max_col > MAX_INPUT_COLUMNS:
            raise WorkbookError(
                f"'{sheet}' uses {max_col:,} columns, more than the {MAX_INPUT_COLUMNS} "
                "xl-league reads from one input sheet (6 organisation columns and one or two "
                "per metric are needed): delete the columns that are not inputs")


def unsupported_parts(path: str | Path, sheets: Collection[str] | None = None) -> list[str]:
    """What openpyxl would drop if it saved ``path``: one line per kind, naming the parts.

    Empty when a load-and-save keeps everything (charts, images, comments, tables, data
    validation, conditional formatting, defined names, pivot tables are kept; VBA is kept for
    ``.xlsm`` files, which are loaded with ``keep_vba=True``).

    With ``sheets`` (worksheet part names), only what the XML of those sheets holds: what is
    lost when just those sheets are written anew and every other part is copied unchanged.
    """
    p = check_file(path)
    if sheets is not None:
        return _in_sheets(p, sheets)
    found: dict[str, list[str]] = {}

    def add(kind: str, part: str) -> None:
        found.setdefault(kind, []).append(part)

    macro_book = p.suffix.lower() in (".xlsm", ".xltm")
    with zipfile.ZipFile(p) as zf:
        for info in zf.infolist():
            name = info.filename
            for prefix, kind in _PART_PREFIXES:
                if name.startswith(prefix):
                    add(kind, name)
            if name == "xl/vbaProject.bin" and not macro_book:
                add("VBA macros in a .xlsx (save it as .xlsm)", name)
            elif name.startswith("xl/persons/"):
                add("threaded comments", name)
            elif name.startswith("customXml/item") and b"DataMashup" in zf.read(name):
                add("Power Query queries", name)
            elif re.fullmatch(r"xl/drawings/drawing\d+\.xml", name):
                if _SHAPE.search(zf.read(name)):
                    add("shapes, text boxes or buttons", name)
            elif re.fullmatch(r"xl/drawings/\w+\.vml", name):
                kinds = set(_VML_OBJECT.findall(zf.read(name))) - {b"Note"}
                if kinds:
                    add("form controls or buttons", name)
            elif re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name):
                data = zf.read(name)
                for marker, kind in _SHEET_MARKERS:
                    if marker in data:
                        add(kind, name)
    return _lines(found)


def _lines(found: dict[str, list[str]]) -> list[str]:
    return [f"{kind} ({', '.join(sorted(set(parts)))})" for kind, parts in found.items()]


def _in_sheets(path: Path, sheets: Collection[str]) -> list[str]:
    """:func:`unsupported_parts` of the XML of the worksheet parts ``sheets`` alone."""
    found: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        for name in sheets:
            if name in names:
                data = zf.read(name)
                for marker, kind in _SHEET_MARKERS:
                    if marker in data:
                        found.setdefault(kind, []).append(name)
    return _lines(found)
