"""Formulas keep their cached values through a save: recalc twice, other readers see values.

openpyxl writes formulas without the values Excel cached; xl-league gives them back in the
sheets it reads (Settings, Metrics, input sheets). Workbooks with cached values are made by
patching the XML of an openpyxl-written file, as Excel would have saved it, and (when
LibreOffice is installed) by LibreOffice itself.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import pytest
from openpyxl import load_workbook

from libreoffice_helpers import soffice_or_skip
from workbook_helpers import edit_part, filled_workbook, sheet_part
from xl_league.errors import WorkbookError
from xl_league.libreoffice import convert
from xl_league.workbook_io import cached_values as cv
from xl_league.workbook_io import read_inputs, recalc_workbook, save_atomic
from xl_league.workbook_io import recalc as recalc_module
from xl_league.workbook_io.package import PackageUnsupported
from xl_league.workbook_io.cached_values import (SHEETS_READ, CachedValue, read_cached_values,
                                                 restore_cached_values, sheet_parts)

A = "Acute inputs"
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

# (sheet, cell) → (formula, cached <v> text, cached type); a None text: never calculated.
FORMULAS: dict[tuple[str, str], tuple[str, str | None, str]] = {
    (A, "L3"): ("'Source data'!B4*100", "74", "n"),            # RA2's A&E 4-hour %
    (A, "S4"): ("'Source data'!B5/10", "5.0000000000000009", "n"),  # RA3's sickness %
    (A, "B2"): ('"Northshire "&"Hospitals 1"', "Northshire Hospitals 1 & <Co>", "str"),
    (A, "E3"): ("TRUE()", "1", "b"),                           # RA2 in deficit
    (A, "F2"): ('""', "", "str"),                              # RA1's In RSP: empty text
    (A, "Z1"): ('"No"&"tes"', "Notes", "str"),                 # an ignored column's heading
    (A, "Z2"): ("NA()", "#N/A", "e"),                          # an error, in that column
    (A, "Z3"): ("1+1", None, "n"),                             # never calculated
    ("Settings", "D2"): ("1/0", "#DIV/0!", "e"),
    ("My dashboard", "A1"): ("'Acute league table'!C2", "RA4", "str"),  # a user's own sheet
}


def give_values(path: Path, cells: dict[tuple[str, str], tuple[str | None, str]]) -> None:
    """Cache values into formula cells of an openpyxl-written file, as Excel saves them."""
    for sheet in {s for s, _ in cells}:
        def edit(data: bytes, sheet=sheet) -> bytes:
            text = data.decode()
            for (s, ref), (value, kind) in cells.items():
                if s != sheet or value is None:
                    continue
                pattern = re.compile(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v ?/>')
                match = pattern.search(text)
                assert match, f"no formula cell {ref}"
                attrs = match.group(1) + ("" if kind == "n" else f' t="{kind}"')
                value_xml = value.replace("&", "&amp;").replace("<", "&lt;")
                text = text.replace(match.group(0), f'<c r="{ref}"{attrs}><f>{match.group(2)}'
                                                    f'</f><v>{value_xml}</v>')
            return text.encode()

        edit_part(path, sheet_part(path, sheet), edit)


def type_formulas(path: Path) -> Path:
    """The sample workbook with a source sheet, a dashboard and FORMULAS typed in."""
    wb = load_workbook(path)
    source = wb.create_sheet("Source data")
    source["B4"], source["B5"] = 0.74, 50.0
    wb.create_sheet("My dashboard")
    for (sheet, ref), (formula, _value, _kind) in FORMULAS.items():
        wb[sheet][ref] = "=" + formula
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def base_book(tmp_path_factory) -> Path:
    path = filled_workbook(tmp_path_factory.mktemp("base"),
                           settings={"bootstrap_replicates": 0})
    type_formulas(path)
    give_values(path, {key: (value, kind) for key, (_f, value, kind) in FORMULAS.items()})
    return path


@pytest.fixture
def book(base_book: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(base_book, tmp_path / "book.xlsx"))


def expected(sheets=SHEETS_READ) -> dict[str, dict[str, CachedValue]]:
    out: dict[str, dict[str, CachedValue]] = {}
    for (sheet, ref), (formula, value, kind) in FORMULAS.items():
        if sheet in sheets and value is not None:
            out.setdefault(sheet, {})[ref] = CachedValue(value, kind, formula)
    return out


def cells_xml(path: Path, sheet: str) -> dict[str, ElementTree.Element]:
    with zipfile.ZipFile(path) as zf:
        root = ElementTree.fromstring(zf.read(sheet_parts(zf)[sheet]))
    return {c.get("r"): c for c in root.iter(f"{NS}c")}


def formulas_of(path: Path) -> dict[tuple[str, str], object]:
    wb = load_workbook(path)
    return {(s, r): wb[s][r].value for s, r in FORMULAS}


# --------------------------------------------------------------------------- reading

def test_cached_values_are_read_as_the_file_holds_them(book):
    assert read_cached_values(book, SHEETS_READ) == expected()
    everything = read_cached_values(book)
    assert everything == {**expected(), "My dashboard": {
        "A1": CachedValue("RA4", "str", "'Acute league table'!C2")}}
    assert read_cached_values(book, ["Metrics", "No such sheet"]) == {}


# --------------------------------------------------------------------------- recalc

def test_recalc_in_place_twice_reads_the_same_values(book):
    formulas = formulas_of(book)
    first = recalc_workbook(book)
    assert not any("formula" in w for w in first.warnings)
    assert read_cached_values(book, SHEETS_READ) == expected()
    second = recalc_workbook(book)  # no "never been calculated" problem
    assert not any("formula" in w for w in second.warnings)
    pd.testing.assert_frame_equal(second.inputs.values, first.inputs.values)
    pd.testing.assert_frame_equal(second.inputs.organisations, first.inputs.organisations)
    assert second.inputs.values.loc["RA2", "OF0013"] == 74.0
    assert second.inputs.values.loc["RA3", "OF0082"] == 5.0000000000000009
    orgs = second.inputs.organisations
    assert orgs.loc["RA1", "name"] == "Northshire Hospitals 1 & <Co>"
    assert bool(orgs.loc["RA2", "in_deficit"]) is True
    assert pd.isna(orgs.loc["RA1", "in_rsp"])
    pd.testing.assert_frame_equal(second.results.league, first.results.league)
    assert formulas_of(book) == formulas


def test_the_saved_xml_carries_each_value_beside_its_unchanged_formula(book):
    before = {ref: c for ref, c in cells_xml(book, A).items()}
    recalc_workbook(book)
    after = cells_xml(book, A)
    for (sheet, ref), (formula, value, kind) in FORMULAS.items():
        if sheet != A:
            continue
        cell = after[ref]
        assert cell.find(f"{NS}f").text == before[ref].find(f"{NS}f").text
        assert cell.get("s") == before[ref].get("s")
        if value is None:
            assert cell.get("t") is None and not cell.find(f"{NS}v").text
        else:
            assert cell.get("t", "n") == kind
            assert (cell.find(f"{NS}v").text or "") == value
    settings = cells_xml(book, "Settings")["D2"]
    assert (settings.get("t"), settings.find(f"{NS}v").text) == ("e", "#DIV/0!")


def test_pandas_and_openpyxl_read_the_values(book):
    recalc_workbook(book)
    frame = pd.read_excel(book, sheet_name=A).set_index("Code")
    assert frame.loc["RA2", "OF0013"] == 74
    assert frame.loc["RA1", "Name"] == "Northshire Hospitals 1 & <Co>"
    assert frame.loc["RA2", "In deficit"] == True  # noqa: E712 (a numpy bool)
    # (pandas reads an error value as NaN whatever the file holds; openpyxl shows it)
    values = load_workbook(book, data_only=True)
    assert [values[A][ref].value for ref in ("L3", "S4", "B2", "E3", "F2", "Z2", "Z3")] == [
        74, 5.0000000000000009, "Northshire Hospitals 1 & <Co>", True, None, "#N/A", None]
    assert values["Settings"]["D2"].value == "#DIV/0!"


def test_a_formula_in_another_sheet_is_left_for_excel_to_calculate(book):
    """Its old value may depend on the league tables just rewritten: it would be stale."""
    recalc_workbook(book)
    assert load_workbook(book)["My dashboard"]["A1"].value == "='Acute league table'!C2"
    assert load_workbook(book, data_only=True)["My dashboard"]["A1"].value is None


def test_recalc_to_another_file_keeps_the_values_and_the_source(book, tmp_path):
    before = book.read_bytes()
    out = tmp_path / "out.xlsx"
    recalc_workbook(book, out)
    assert book.read_bytes() == before
    assert read_cached_values(out, SHEETS_READ) == expected()
    assert read_inputs(out).problems == ()


def test_a_failure_while_restoring_values_leaves_the_workbook_byte_identical(
        book, monkeypatch):
    before = book.read_bytes()
    listing = sorted(p.name for p in book.parent.iterdir())
    written = []
    real_feed = cv._CellRewriter.feed

    def failing_feed(self, chunk):
        real_feed(self, chunk)
        written.append(len(chunk))
        raise RuntimeError("the disk failed half-way")

    monkeypatch.setattr(cv._CellRewriter, "feed", failing_feed)

    def unsupported(*args, **kwargs):  # values are restored on the openpyxl path only
        raise PackageUnsupported("forced")

    monkeypatch.setattr(recalc_module, "write_outputs_to_package", unsupported)
    with pytest.raises(RuntimeError, match="half-way"):
        recalc_workbook(book)
    assert written, "the rewrite was reached"
    assert book.read_bytes() == before
    assert sorted(p.name for p in book.parent.iterdir()) == listing


# --------------------------------------------------------------------------- restoring

def test_small_chunks_give_the_same_bytes(book, monkeypatch):
    package = io.BytesIO()
    load_workbook(book).save(package)  # (openpyxl's second save of a book differs a little)
    values = read_cached_values(book)

    def restored(chunk: int) -> dict[str, bytes]:
        monkeypatch.setattr(cv, "CHUNK_SIZE", chunk)
        out = io.BytesIO()
        assert restore_cached_values(package, out, values) == {A: 7, "Settings": 1,
                                                               "My dashboard": 1}
        with zipfile.ZipFile(out) as zf:
            return {n: zf.read(n) for n in zf.namelist() if "worksheets/" in n}

    whole = restored(1 << 20)
    for chunk in (1, 2, 7, 64):
        assert restored(chunk) == whole


def test_only_formula_cells_without_a_value_are_filled(book, tmp_path):
    wb = load_workbook(book)
    wb[A]["L3"] = 80.0                 # the user typed a value over the formula
    wb[A]["S4"] = "=2*3"               # ... or another formula, whose value is not known
    package = io.BytesIO()
    wb.save(package)
    out = tmp_path / "out.xlsx"
    kept = restore_cached_values(package, out, read_cached_values(book, [A]))
    assert kept == {A: 5}
    cells = cells_xml(out, A)
    assert (cells["L3"].find(f"{NS}f"), cells["L3"].find(f"{NS}v").text) == (None, "80")
    with zipfile.ZipFile(package) as zin, zipfile.ZipFile(out) as zout:
        assert zin.namelist() == zout.namelist()
        untouched = [n for n in zin.namelist() if n != sheet_parts(zin)[A]]
        assert all(zin.read(n) == zout.read(n) for n in untouched)


def test_save_atomic_keeps_given_values_and_is_plain_without(book, tmp_path):
    wb = load_workbook(book)
    plain = save_atomic(wb, tmp_path / "plain.xlsx")
    assert read_cached_values(plain) == {}
    kept = save_atomic(wb, tmp_path / "kept.xlsx", cached_values=read_cached_values(book))
    assert read_cached_values(kept) == read_cached_values(book)


def _package(sheet_xml: str, shared: str | None = None) -> io.BytesIO:
    """A minimal package: one sheet 'Data' at an absolute relationship target."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as zf:
        zf.writestr("xl/workbook.xml",
                    '<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                    'main" xmlns:rel="http://schemas.openxmlformats.org/officeDocument/2006/'
                    'relationships"><x:sheets><x:sheet name="Data" sheetId="1" rel:id="rId7"/>'
                    '</x:sheets></x:workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels",
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                    'relationships"><Relationship Id="rId7" Type="worksheet" '
                    'Target="/xl/worksheets/data.xml"/></Relationships>')
        zf.writestr("xl/worksheets/data.xml", sheet_xml)
        if shared is not None:
            zf.writestr("xl/sharedStrings.xml", shared)
    data.seek(0)
    return data


SHEET = ('<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         '<x:sheetData>{rows}</x:sheetData></x:worksheet>')


def test_prefixes_cells_without_references_and_shared_strings(tmp_path):
    rows = ('<x:row r="3"><x:c><x:f>1+1</x:f><x:v>2</x:v></x:c>'
            '<x:c t="s"><x:f>B9</x:f><x:v>1</x:v></x:c></x:row>'
            '<x:row><x:c r="D4" t="str"><x:f>"a"</x:f><x:v>a</x:v></x:c>'
            '<x:c><x:f>E1</x:f><x:v/></x:c>'
            '<x:c t="b"><x:f t="shared" si="0"/><x:v>0</x:v></x:c></x:row>')
    shared = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<si><t>zero</t></si><si><r><t>on</t></r><r><t>e</t></r>'
              '<rPh><t>ワン</t></rPh></si></sst>')
    path = tmp_path / "hand.xlsx"
    path.write_bytes(_package(SHEET.format(rows=rows), shared).getvalue())
    assert read_cached_values(path) == {"Data": {
        "A3": CachedValue("2", "n", "1+1"), "B3": CachedValue("one", "str", "B9"),
        "D4": CachedValue("a", "str", '"a"'), "F4": CachedValue("0", "b", None)}}

    empty = SHEET.format(rows='<x:row r="2"><x:c r="A2" s="1"><x:f>1+1</x:f><x:v/></x:c>'
                              '<x:c r="B2" t="n"><x:v>5</x:v></x:c>'
                              '<x:c r="C2"><x:f>A2</x:f></x:c>'
                              '<x:c r="D2"><x:f>A2*2</x:f><x:v/></x:c></x:row>')
    out = io.BytesIO()
    kept = restore_cached_values(_package(empty), out, {"Data": {
        "A2": CachedValue("2", "n", "1+1"), "B2": CachedValue("9"),
        "C2": CachedValue("x\r\n", "str"), "D2": CachedValue("4", "n", "A2*3")}})
    assert kept == {"Data": 2}
    with zipfile.ZipFile(out) as zf:
        assert zf.read("xl/worksheets/data.xml").decode() == SHEET.format(
            rows='<x:row r="2"><x:c r="A2" s="1"><x:f>1+1</x:f><x:v>2</x:v></x:c>'
                 '<x:c r="B2" t="n"><x:v>5</x:v></x:c>'
                 '<x:c r="C2" t="str"><x:f>A2</x:f><x:v>x&#13;\n</x:v></x:c>'
                 '<x:c r="D2"><x:f>A2*2</x:f><x:v/></x:c></x:row>')


def test_a_doctype_is_refused(tmp_path):
    hostile = ('<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
               + SHEET.format(rows='<x:row r="1"><x:c r="A1"><x:f>1</x:f><x:v>&b;</x:v>'
                                   '</x:c></x:row>'))
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(_package(hostile).getvalue())
    with pytest.raises(WorkbookError, match="DOCTYPE"):
        read_cached_values(path)
    with pytest.raises(WorkbookError, match="DOCTYPE"):
        restore_cached_values(_package(hostile), io.BytesIO(),
                              {"Data": {"A1": CachedValue("1")}})


# --------------------------------------------------------------------------- LibreOffice

@pytest.mark.libreoffice
def test_a_workbook_calculated_by_libreoffice_survives_two_recalcs(tmp_path):
    soffice = soffice_or_skip("a workbook calculated by LibreOffice")
    book = type_formulas(filled_workbook(tmp_path, settings={"bootstrap_replicates": 0}))
    (calculated,) = convert([book], "xlsx", tmp_path / "lo", profile=tmp_path / "profile",
                            soffice=soffice, timeout=180)
    values = read_cached_values(calculated, [A])[A]
    assert {ref: (values[ref].text, values[ref].type) for ref in ("L3", "E3", "B2", "Z2")} == {
        "L3": ("74", "n"), "E3": ("1", "b"), "B2": ("Northshire Hospitals 1", "str"),
        "Z2": ("#N/A", "e")}
    first = recalc_workbook(calculated)
    second = recalc_workbook(calculated)
    assert read_cached_values(calculated, [A])[A] == values
    assert second.inputs.values.loc["RA2", "OF0013"] == 74.0
    pd.testing.assert_frame_equal(second.inputs.values, first.inputs.values)
    assert pd.read_excel(calculated, sheet_name=A).set_index("Code").loc["RA2", "OF0013"] == 74
