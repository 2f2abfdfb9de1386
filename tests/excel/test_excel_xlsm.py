"""workbook/league_tables.xlsm: a macro-enabled workbook carrying xlwings' VBA and our sheets,
built by code (python -m xl_league.excel.build), and committed as the builder makes it today."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from libreoffice_helpers import soffice_or_skip
from xl_league.demo import national_demo_dataset
from xl_league.excel import build
from xl_league.excel.reference import FORMULAS, MACROS
from xl_league.libreoffice import convert
from xl_league.run import RunSettings
from xl_league.workbook_io import build_template, fill_inputs, read_inputs, recalc_workbook
from openpyxl.utils import get_column_letter

from xl_league.excel.cells import EXCEL_ERRORS
from xl_league.workbook_io.layout import TEMPLATE_SHEETS

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "workbook" / "league_tables.xlsm"
MACRO_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaProject"


@pytest.fixture(scope="module")
def built() -> bytes:
    return build.workbook_bytes()


def part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name)


def test_the_committed_workbook_is_what_the_builder_makes_today(built):
    assert COMMITTED.read_bytes() == built, (
        "workbook/league_tables.xlsm is stale: rebuild it with python -m xl_league.excel.build")
    assert build.workbook_bytes() == built                 # the same bytes every build


def test_the_vba_project_is_the_wheels_byte_for_byte(built):
    with zipfile.ZipFile(build.quickstart_path()) as wheel:
        assert part(built, "xl/vbaProject.bin") == wheel.read("xl/vbaProject.bin")


def test_the_package_is_macro_enabled(built):
    types = part(built, "[Content_Types].xml").decode()
    assert re.search(r'PartName="/xl/workbook.xml" ContentType="'
                     + re.escape(MACRO_CONTENT_TYPE) + '"', types)
    assert (f'Extension="bin" ContentType="{VBA_CONTENT_TYPE}"' in types
            or f'PartName="/xl/vbaProject.bin" ContentType="{VBA_CONTENT_TYPE}"' in types)
    rels = part(built, "xl/_rels/workbook.xml.rels").decode()
    assert re.search(r'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"'
                     r' Target="vbaProject.bin"', rels)
    # the code names the VBA project's document modules are bound to
    assert 'codeName="ThisWorkbook"' in part(built, "xl/workbook.xml").decode()
    wb = openpyxl.load_workbook(COMMITTED, keep_vba=True)
    assert [(ws.title, ws.sheet_properties.codeName) for ws in wb
            if ws.sheet_properties.codeName] == [("Instructions", "Sheet1"),
                                                 ("xlwings.conf", "Sheet2")]


def conf_of(wb) -> dict:
    conf = {}
    for key, value in wb["xlwings.conf"].iter_rows(min_col=1, max_col=2, values_only=True):
        if key is None:
            break                       # xlwings reads A1 down to the first blank row
        conf[key] = value
    return conf


def test_the_xlwings_conf_sheet_sets_only_what_the_workbook_needs():
    """A key on the sheet overrides the user's ~/.xlwings/xlwings.conf and the ribbon even
    when blank: no interpreter, PYTHONPATH or conda keys; UDF Modules keeps the functions
    loading when the workbook is saved under another name."""
    wb = openpyxl.load_workbook(COMMITTED, keep_vba=True)
    assert "xlwings.conf" in wb.sheetnames and "_xlwings.conf" not in wb.sheetnames
    conf = conf_of(wb)
    assert conf == {"UDF Modules": "league_tables"} and COMMITTED.stem == "league_tables"
    for key in ("Interpreter_Win", "Interpreter_Mac", "PYTHONPATH", "Conda Path", "Conda Env"):
        assert key not in conf
    assert (REPO / "workbook" / "league_tables.py").is_file()   # the module beside the book


def installed_xlwings() -> str:
    from importlib.metadata import version
    return version("xlwings")


def test_xlwings_is_pinned_to_the_version_whose_vba_the_workbook_embeds(built):
    """The VBA names its xlwings version (xlwings64-X.Y.Z.dll): pyproject pins exactly the
    installed version, whose wheel's quickstart VBA is byte for byte the workbook's."""
    pyproject = (REPO / "pyproject.toml").read_text()
    pins = re.findall(r'"xlwings([^"]*)"', pyproject)
    assert pins and set(pins) == {f"=={installed_xlwings()}"}, pins  # desktop and test extras
    with zipfile.ZipFile(build.quickstart_path()) as wheel:
        assert part(COMMITTED.read_bytes(), "xl/vbaProject.bin") == \
            wheel.read("xl/vbaProject.bin")
    assert (build.quickstart_path().parent / f"xlwings-{installed_xlwings()}.applescript").is_file()


def test_every_formula_has_a_cached_value_and_examples_are_text():
    wb = openpyxl.load_workbook(COMMITTED, keep_vba=True)
    cached = openpyxl.load_workbook(COMMITTED, data_only=True)
    formulas = []
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append((ws.title, cell.coordinate))
                    value = cached[ws.title][cell.coordinate].value
                    assert value is not None, (ws.title, cell.coordinate)
                    assert str(value) not in EXCEL_ERRORS, (ws.title, cell.coordinate)
    assert formulas == [("Live", f"{get_column_letter(c)}3")
                        for c in build.LIVE_BLOCK_COLUMNS.values()]
    examples = [c for row in wb["Instructions"].iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert len(examples) == len(FORMULAS) and all(c.data_type == "s" for c in examples)
    assert 'fullCalcOnLoad="0"' in part(COMMITTED.read_bytes(), "xl/workbook.xml").decode()


def test_our_sheets_are_there_as_the_template_builds_them():
    wb = openpyxl.load_workbook(COMMITTED, keep_vba=True)
    assert wb.sheetnames == ["Instructions", "Live", *TEMPLATE_SHEETS, "Live cache", "What-if",
                             "NHSE data", "xlwings.conf"]
    assert wb["Live cache"].sheet_state == "hidden"
    assert wb.active.title == "Instructions"
    template = build_template()
    for name in TEMPLATE_SHEETS:
        want = {c.coordinate: c.value for row in template[name].iter_rows() for c in row
                if c.value is not None}
        got = {c.coordinate: c.value for row in wb[name].iter_rows() for c in row
               if c.value is not None}
        assert got == want, name
        assert [t for t in wb[name].tables] == [t for t in template[name].tables], name
        assert len(wb[name].data_validations.dataValidation) == \
            len(template[name].data_validations.dataValidation), name


def test_the_instructions_list_every_formula_and_macro():
    wb = openpyxl.load_workbook(COMMITTED, keep_vba=True)
    text = "\n".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row
                     if c.value is not None)
    for f in FORMULAS:
        assert f"{f.name}({f.arguments})" in text and f.example in text
    for m in MACROS:
        assert m.name in text
    assert "ImportPythonUDFs" in text and "Trust access to the VBA project object model" in text


def test_the_workbook_reads_and_recalculates_with_its_vba_kept(tmp_path):
    """The .xlsm is an ordinary xl-league workbook: fill it, recalc it, the VBA survives."""
    assert [str(p) for p in read_inputs(COMMITTED).problems] == [
        "the input sheets have no organisations: type (or paste) one row per organisation "
        "into its type's input sheet, code first"]
    demo = national_demo_dataset()
    wb = openpyxl.load_workbook(COMMITTED, keep_vba=True)
    fill_inputs(wb, demo.organisations, demo.values, demo.quarter)
    path = tmp_path / "league_tables.xlsm"
    wb.save(path)
    out = tmp_path / "out.xlsm"
    recalc_workbook(path, out, RunSettings(replicates=0))
    data = out.read_bytes()
    assert part(data, "xl/vbaProject.bin") == part(COMMITTED.read_bytes(), "xl/vbaProject.bin")
    assert MACRO_CONTENT_TYPE in part(data, "[Content_Types].xml").decode()
    assert openpyxl.load_workbook(out)["Acute league table"]["A2"].value == 1


def test_build_refuses_a_name_that_is_not_xlsm(tmp_path):
    with pytest.raises(Exception, match="must be saved as .xlsm"):
        build.build(tmp_path / "league_tables.xlsx")
    assert build.main([str(tmp_path / "x.xlsm")]) == 0
    assert (tmp_path / "x.xlsm").read_bytes() == COMMITTED.read_bytes()


# --- a real spreadsheet application reads the VBA project -----------------------------------

@pytest.mark.libreoffice
def test_libreoffice_opens_it_and_finds_the_xlwings_vba(tmp_path):
    soffice = soffice_or_skip("reading the workbook's VBA in a real spreadsheet application")
    (ods,) = convert([COMMITTED], "ods", tmp_path, profile=tmp_path / "profile",
                     soffice=soffice, timeout=120)
    with zipfile.ZipFile(ods) as z:
        names = z.namelist()
        module1 = z.read("Basic/VBAProject/Module1.xml").decode()
        xlwings_module = z.read("Basic/VBAProject/xlwings.xml").decode()
        content = z.read("content.xml").decode()
    # SampleCall imports the module named after the workbook and runs main()
    assert "Sub SampleCall()" in module1 and "main()" in module1
    assert "Sub ImportPythonUDFs()" in xlwings_module and "Function RunPython" in xlwings_module
    # the VBA names the xlwings version it needs: the one pyproject.toml pins
    assert f"xlwings64-{installed_xlwings()}.dll" in xlwings_module
    assert {"Basic/VBAProject/ThisWorkbook.xml", "Basic/VBAProject/Sheet1.xml",
            "Basic/VBAProject/Sheet2.xml"} <= set(names)
    for name in ["Instructions", "Live", *TEMPLATE_SHEETS, "What-if", "NHSE data",
                 "xlwings.conf"]:
        assert f'table:name="{name}"' in content, name
