"""The streaming reader gives exactly the cells an openpyxl load gives, on real workbooks.

Each workbook is read both ways: :func:`read_sheet_grids` (one pass over the sheets' XML) and
the openpyxl path (a read-only load, plus the values-only load for formulas' cached values,
as the reader did before), and every sheet read must hold equal :class:`RawCell` grids:
values, types, number formats, formulas and whether they were ever calculated.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula

from libreoffice_helpers import soffice_or_skip
from workbook_helpers import cache_formula_value, edit_part, sheet_part
from xl_league.demo import national_demo_dataset
from xl_league.libreoffice import convert
from xl_league.workbook_io import build_template, fill_inputs, read_inputs, save_atomic
from xl_league.workbook_io.cells import load
from xl_league.workbook_io.reader import SHEETS_READ, _grab, _read
from xl_league.workbook_io.sheet_xml import SheetLayout, read_sheet_grids

A = "Acute inputs"


def openpyxl_grids(path: Path, read_only: bool = True):
    with load(path, read_only=read_only, data_only=False) as wb:
        return _grab(wb, path)


def assert_same_grids(path: Path) -> None:
    streamed = read_sheet_grids(path, SHEETS_READ)
    for read_only in (True, False):
        loaded = openpyxl_grids(path, read_only)
        assert streamed.missing == loaded.missing
        assert set(streamed.cells) == set(loaded.cells)
        for name, grid in loaded.cells.items():
            assert streamed.cells[name] == grid, name
    assert read_inputs(path).problem_lines() == _read(openpyxl_grids(path)).problem_lines()


def test_the_demo_workbook(tmp_path):
    data = national_demo_dataset()
    wb = build_template()
    fill_inputs(wb, data.organisations, data.values, "Q2 2025/26")
    path = save_atomic(wb, tmp_path / "demo.xlsx")
    assert_same_grids(path)
    assert len(read_sheet_grids(path, [A]).cells[A]) > 1000


def test_the_filled_sample_workbook(book):
    assert_same_grids(book)


def test_every_kind_of_cell(book):
    wb = load_workbook(book)
    ws = wb[A]
    ws["L3"] = 0.781
    ws["L3"].number_format = "0.0%"
    ws["L4"] = dt.datetime(2025, 4, 1)
    ws["L5"] = True
    ws["L6"] = "62.5%"
    ws["L7"] = "#N/A"
    ws["S2"] = "=70+5"
    ws["S3"] = "=S2*2"
    ws["S4"] = ArrayFormula("S4", "=SUM(L2:L3)")
    ws["B9"] = "  spaced  "
    ws["Z1"] = "Notes"
    ws["Z2"] = 12345678901234
    ws["Z3"] = 1e-300
    ws.merge_cells("Z5:AA6")
    ws.row_dimensions[8].hidden = True
    ws.column_dimensions["Y"].hidden = True
    wb["Settings"]["D2"] = "=1/0"
    wb.save(book)
    cache_formula_value(book, A, "S2", "75")
    cache_formula_value(book, "Settings", "D2", "#DIV/0!", cell_type="e")
    assert_same_grids(book)
    grid = read_sheet_grids(book, [A])
    cells = grid.cells[A]
    assert cells[(3, 12)].number_format == "0.0%" and cells[(3, 12)].value == 0.781
    assert cells[(4, 12)].value == dt.datetime(2025, 4, 1) and cells[(4, 12)].data_type == "d"
    assert (cells[(2, 19)].formula, cells[(2, 19)].value) == ("=70+5", 75)
    assert cells[(3, 19)].uncalculated
    assert grid.layouts[A] == SheetLayout(("Z5:AA6",), (8,), (25,))


def test_shared_formulas_inline_strings_and_cells_without_references(book):
    part = sheet_part(book, A)

    def edit(data: bytes) -> bytes:
        text = data.decode()
        rows = ('<row r="30"><c r="A30" t="inlineStr"><is><t>RZ1</t>'
                '<rPh sb="0" eb="1"><t>x</t></rPh></is></c>'
                '<c t="inlineStr"><is><r><t>Bold</t></r><r><t> trust</t></r></is></c>'
                '<c r="L30"><f t="shared" ref="L30:L31" si="0">G30+1</f><v>3</v></c></row>'
                '<row r="31"><c r="A31" t="inlineStr"><is><t>RZ2</t></is></c>'
                '<c r="L31"><f t="shared" si="0"/><v>4</v></c></row>')
        text = re.sub(r'<dimension ref="A1:([A-Z]+)\d+"', r'<dimension ref="A1:\g<1>31"', text)
        return text.replace("</sheetData>", rows + "</sheetData>", 1).encode()

    edit_part(book, part, edit)
    assert_same_grids(book)
    cells = read_sheet_grids(book, [A]).cells[A]
    assert cells[(30, 2)].value == "Bold trust"
    assert cells[(31, 12)].formula == "=G31+1" and cells[(31, 12)].value == 4


def test_cells_beyond_a_stale_dimension_are_read_as_a_full_load_reads_them(book):
    """openpyxl's read-only mode stops at the ``<dimension>`` the file records; a full load
    and the streaming reader read every cell."""
    part = sheet_part(book, A)
    row = '<row r="40"><c r="A40" t="inlineStr"><is><t>RZ9</t></is></c></row>'
    edit_part(book, part, lambda data: data.replace(b"</sheetData>", row.encode()
                                                    + b"</sheetData>", 1))
    streamed = read_sheet_grids(book, SHEETS_READ).cells
    assert streamed == openpyxl_grids(book, read_only=False).cells
    assert streamed[A][(40, 1)].value == "RZ9"
    assert (40, 1) not in openpyxl_grids(book, read_only=True).cells[A]


def test_a_missing_sheet(book):
    wb = load_workbook(book)
    del wb["ICB inputs"]
    wb.save(book)
    assert read_sheet_grids(book, SHEETS_READ).missing == ["ICB inputs"]
    assert_same_grids(book)


@pytest.mark.libreoffice
def test_a_workbook_saved_by_libreoffice(book, tmp_path):
    soffice = soffice_or_skip()
    wb = load_workbook(book)
    wb[A]["L3"] = "=70+5"
    wb[A]["L4"] = 0.75
    wb[A]["L4"].number_format = "0%"
    wb.save(book)
    source = Path(shutil.copy(book, tmp_path / "source.xlsx"))
    (saved,) = convert([source], "xlsx", tmp_path / "lo", profile=tmp_path / "profile",
                       soffice=soffice)
    assert_same_grids(saved)
    inputs = read_inputs(saved)
    assert inputs.values.loc["RA2", "OF0013"] == 75 and inputs.values.loc["RA3", "OF0013"] == 75
