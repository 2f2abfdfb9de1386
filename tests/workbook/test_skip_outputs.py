"""Recalc loads workbooks without parsing the output cells it replaces; nothing else changes."""

from __future__ import annotations

import zipfile

from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference

from xl_league.jobs import make_demo
from xl_league.workbook_io.layout import LEAGUE_SHEETS, OUTPUT_SHEETS
from xl_league.workbook_io.recalc import read_results, recalc_workbook
from xl_league.workbook_io.skip_outputs import without_output_cells


def sheet_values(path, name):
    wb = load_workbook(path)
    return [[c.value for c in row] for row in wb[name].iter_rows()]


def test_the_copy_has_empty_output_sheets_and_everything_else(tmp_path):
    book, _ = make_demo(tmp_path)
    copy = load_workbook(without_output_cells(book))
    original = load_workbook(book)
    assert copy.sheetnames == original.sheetnames
    for name in original.sheetnames:
        if name in OUTPUT_SHEETS:
            assert copy[name].max_row == 1 and copy[name]["A1"].value is None
            # formatting outside the cells is kept: conditional formats, widths, print setup
            assert (list(copy[name].conditional_formatting)
                    == list(original[name].conditional_formatting))
            assert copy[name].column_dimensions["C"].width == \
                original[name].column_dimensions["C"].width
        else:
            assert [[c.value for c in r] for r in copy[name].iter_rows()] == \
                [[c.value for c in r] for r in original[name].iter_rows()]


def test_a_workbook_without_output_sheets_is_read_as_it_is(tmp_path):
    path = tmp_path / "plain.xlsx"
    from openpyxl import Workbook
    Workbook().save(path)
    assert without_output_cells(path) == path


def test_recalc_results_and_a_chart_on_an_output_sheet_survive(tmp_path):
    book, _ = make_demo(tmp_path)
    wb = load_workbook(book)
    ws = wb[LEAGUE_SHEETS["ambulance"]]
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=5, min_row=1, max_row=11), titles_from_data=True)
    ws.add_chart(chart, "Z2")
    wb.save(book)
    before = {name: sheet_values(book, name) for name in OUTPUT_SHEETS}
    recalc_workbook(book)
    after = {name: sheet_values(book, name) for name in OUTPUT_SHEETS}
    assert after == before  # same inputs, same seed: the same output cells
    assert len(load_workbook(book)[LEAGUE_SHEETS["ambulance"]]._charts) == 1
    with zipfile.ZipFile(book) as zf:
        assert any(n.startswith("xl/charts/chart") for n in zf.namelist())
    assert len(read_results(book)["ambulance"]) == 10
