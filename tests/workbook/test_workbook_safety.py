"""What openpyxl would drop on save is detected; a recalc keeps it where it writes at the
package level, and otherwise refuses in place and warns with -o."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from workbook_helpers import edit_part, input_fingerprint, sheet_part
from xl_league.errors import WorkbookError
from xl_league.workbook_io import recalc_workbook, unsupported_parts

SPARKLINES = (b'<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" '
              b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
              b'<x14:sparklineGroups xmlns:xm="http://schemas.microsoft.com/office/excel/2006/'
              b'main"><x14:sparklineGroup><x14:colorSeries rgb="FF376092"/><x14:sparklines>'
              b'<x14:sparkline><xm:f>Sheet1!A1:A5</xm:f><xm:sqref>B1</xm:sqref></x14:sparkline>'
              b'</x14:sparklines></x14:sparklineGroup></x14:sparklineGroups></ext></extLst>')
SHAPE_DRAWING = (b'<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
                 b'spreadsheetDrawing"><xdr:twoCellAnchor><xdr:sp macro=""><xdr:nvSpPr/>'
                 b'</xdr:sp></xdr:twoCellAnchor></xdr:wsDr>')




def add_part(path: Path, name: str, data: bytes) -> Path:
    edit_part(path, name, lambda _old: data)
    return path


def add_sparklines(path: Path, sheet: str = "About") -> str:
    part = sheet_part(path, sheet)
    edit_part(path, part, lambda xml: xml.replace(b"</worksheet>", SPARKLINES + b"</worksheet>"))
    return part


def test_a_workbook_written_by_xl_league_has_nothing_to_lose(book):
    assert unsupported_parts(book) == []


@pytest.mark.parametrize("part, data, line", [
    ("xl/slicers/slicer1.xml", b"<slicers/>", "slicers (xl/slicers/slicer1.xml)"),
    ("xl/timelines/timeline1.xml", b"<timelines/>", "timelines (xl/timelines/timeline1.xml)"),
    ("xl/metadata.xml", b"<metadata/>", "dynamic-array formula metadata (xl/metadata.xml)"),
    ("xl/webextensions/webextension1.xml", b"<we/>",
     "Office add-ins (web extensions) (xl/webextensions/webextension1.xml)"),
    ("xl/threadedComments/threadedComment1.xml", b"<tc/>",
     "threaded comments (xl/threadedComments/threadedComment1.xml)"),
    ("xl/model/item.data", b"\0", "a data model (Power Pivot) (xl/model/item.data)"),
    ("xl/activeX/activeX1.xml", b"<ax/>", "ActiveX controls (xl/activeX/activeX1.xml)"),
    ("xl/ctrlProps/ctrlProp1.xml", b"<formControlPr/>",
     "form controls (buttons, check boxes, lists) (xl/ctrlProps/ctrlProp1.xml)"),
    ("xl/embeddings/oleObject1.bin", b"\0", "embedded objects (xl/embeddings/oleObject1.bin)"),
    ("xl/vbaProject.bin", b"\0", "VBA macros in a .xlsx (save it as .xlsm) (xl/vbaProject.bin)"),
    ("customXml/item1.xml", b"<DataMashup>AAA</DataMashup>",
     "Power Query queries (customXml/item1.xml)"),
    ("xl/drawings/drawing9.xml", SHAPE_DRAWING,
     "shapes, text boxes or buttons (xl/drawings/drawing9.xml)"),
    ("xl/drawings/vmlDrawing9.vml", b'<xml><v:shape><x:ClientData ObjectType="Button"/>'
                                    b"</v:shape></xml>",
     "form controls or buttons (xl/drawings/vmlDrawing9.vml)"),
])
def test_each_kind_of_part_openpyxl_drops_is_named(book, part, data, line):
    add_part(book, part, data)
    assert unsupported_parts(book) == [line]


def test_comment_drawings_and_plain_custom_xml_are_fine(book):
    add_part(book, "xl/drawings/vmlDrawing9.vml", b'<xml><x:ClientData ObjectType="Note"/></xml>')
    add_part(book, "customXml/item1.xml", b"<properties/>")
    assert unsupported_parts(book) == []


def test_sparklines_in_a_sheet_are_named(book):
    part = add_sparklines(book)
    assert unsupported_parts(book) == [f"sparklines ({part})"]


def test_several_kinds_are_listed_one_line_each(book):
    add_part(book, "xl/slicers/slicer1.xml", b"<slicers/>")
    add_part(book, "xl/slicerCaches/slicerCache1.xml", b"<slicerCacheDefinition/>")
    add_part(book, "xl/metadata.xml", b"<metadata/>")
    assert unsupported_parts(book) == [
        "slicers (xl/slicerCaches/slicerCache1.xml, xl/slicers/slicer1.xml)",
        "dynamic-array formula metadata (xl/metadata.xml)"]


def test_vba_in_a_macro_workbook_is_kept_so_not_listed(book, tmp_path):
    xlsm = Path(shutil.copy(book, tmp_path / "book.xlsm"))
    add_part(xlsm, "xl/vbaProject.bin", b"\0")
    assert unsupported_parts(xlsm) == []


def test_openpyxl_really_drops_what_is_listed(book, tmp_path):
    """The detection matches reality: a load-and-save loses the parts listed."""
    add_part(book, "xl/slicers/slicer1.xml", b"<slicers/>")
    part = add_sparklines(book)
    resaved = tmp_path / "resaved.xlsx"
    with pytest.warns(UserWarning):
        wb = load_workbook(book)
    wb.save(resaved)
    with zipfile.ZipFile(resaved) as zf:
        assert "xl/slicers/slicer1.xml" not in zf.namelist()
        assert b"sparklineGroups" not in zf.read(part)
    assert unsupported_parts(resaved) == []


# --------------------------------------------------------------------------- recalc

def test_parts_outside_the_output_sheets_survive_a_recalc_in_place(book):
    """The package writer copies every part it does not own byte for byte: what openpyxl
    would drop (slicers, metadata, sparklines in a user's sheet) is kept, in place too."""
    extra = {"xl/slicers/slicer1.xml": b"<slicers/>", "xl/metadata.xml": b"<metadata/>",
             "xl/threadedComments/threadedComment1.xml": b"<tc/>",
             "customXml/item1.xml": b"<DataMashup>AAA</DataMashup>"}
    fingerprint = input_fingerprint(book)
    for name, data in extra.items():
        add_part(book, name, data)
    part = add_sparklines(book, "About")
    result = recalc_workbook(book)
    assert not [w for w in result.warnings if "does not keep" in w]
    with zipfile.ZipFile(book) as zf:
        assert {name: zf.read(name) for name in extra} == extra
        assert SPARKLINES in zf.read(part)
    with pytest.warns(UserWarning, match="Sparkline"):   # openpyxl sees it, and cannot keep it
        assert input_fingerprint(book) == fingerprint
        wb = load_workbook(book)
    assert wb["Acute league table"]["B2"].value in {"RA1", "RA4", "RA7"}


def refused_in_place(book: Path, lost: str) -> None:
    """A recalc in place is refused, naming ``lost``, and the file stays byte-identical."""
    before = book.read_bytes()
    with pytest.raises(WorkbookError) as err:
        recalc_workbook(book)
    assert str(err.value) == (
        f"{book} holds parts that openpyxl would drop on saving: {lost}. Nothing was written: "
        "write the results to another file instead (xl-league recalc book.xlsx -o OTHER.xlsx)")
    assert book.read_bytes() == before


def test_a_sparkline_on_an_output_sheet_is_refused_in_place(book):
    """An output sheet is written anew: what sits in its own XML would be lost."""
    part = add_sparklines(book, "Acute league table")
    refused_in_place(book, f"sparklines ({part})")


def unsupported_package(monkeypatch):
    """Make the package writer give up, as it does for a package it cannot edit safely."""
    from xl_league.workbook_io import package, recalc

    def give_up(*args, **kwargs):
        raise package.PackageUnsupported("forced by the test")

    monkeypatch.setattr(recalc, "write_outputs_to_package", give_up)


def test_recalc_in_place_refuses_and_leaves_the_file_byte_identical(book, monkeypatch):
    """When the file must be written with openpyxl, losing parts in place is refused."""
    unsupported_package(monkeypatch)
    add_part(book, "xl/slicers/slicer1.xml", b"<slicers/>")
    part = add_sparklines(book)
    refused_in_place(book, f"sparklines ({part}); slicers (xl/slicers/slicer1.xml)")


def test_recalc_to_another_file_warns_and_keeps_the_original(book, tmp_path, monkeypatch):
    unsupported_package(monkeypatch)
    add_part(book, "xl/metadata.xml", b"<metadata/>")
    before = book.read_bytes()
    fingerprint = input_fingerprint(book)
    out = tmp_path / "out.xlsx"
    result = recalc_workbook(book, out)
    assert result.written_to == out
    assert result.warnings[0] == (f"{out} does not keep these parts of book.xlsx: "
                                  "dynamic-array formula metadata (xl/metadata.xml)")
    assert book.read_bytes() == before
    assert input_fingerprint(out) == fingerprint
    assert load_workbook(out)["Acute league table"]["B2"].value in {"RA1", "RA4", "RA7"}


def test_a_sparkline_on_an_output_sheet_is_named_when_writing_elsewhere(book, tmp_path):
    part = add_sparklines(book, "Acute league table")
    result = recalc_workbook(book, tmp_path / "out.xlsx")
    assert result.warnings[0] == (f"{tmp_path / 'out.xlsx'} does not keep these parts of "
                                  f"book.xlsx: sparklines ({part})")
