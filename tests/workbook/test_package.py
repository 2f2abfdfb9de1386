"""Recalc rewrites only what it owns: the package-level writer (workbook_io/package.py).

Every part of the file that is not an output sheet (or About's and Settings' recorded
cells) must come through byte for byte; the results must read back as the openpyxl writer's;
users' additions, names, styles and macros are kept; what the writer adds (comments, a
dashboard with a chart) is transplanted with its parts, without piling up recalc after recalc.
"""

from __future__ import annotations

import re
import shutil
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference

from libreoffice_helpers import soffice_or_skip
from workbook_helpers import edit_part, filled_workbook, set_cells, sheet_part
from xl_league.libreoffice import convert
from xl_league.run import RunSettings
from xl_league.workbook_io import read_results, recalc_workbook
from xl_league.workbook_io.layout import DASHBOARD_SHEET
from xl_league.workbook_io import package as package_module
from xl_league.workbook_io import recalc as recalc_module
from xl_league.workbook_io import writer as writer_module
from xl_league.workbook_io.cached_values import sheet_parts
from xl_league.workbook_io.layout import (CUT_POINTS_SHEET, INPUT_SHEETS, LEAGUE_SHEETS,
                                          METRICS_SHEET, OUTPUT_SHEETS)

A = "Acute inputs"


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def sheet_xml(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(part) for name, part in sheet_parts(zf).items()}


def openpyxl_recalc(src: Path, out: Path, monkeypatch) -> None:
    def unsupported(*args, **kwargs):
        raise package_module.PackageUnsupported("forced for the comparison")

    with monkeypatch.context() as m:
        m.setattr(recalc_module, "write_outputs_to_package", unsupported)
        recalc_workbook(src, out)


def loads_cleanly(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_workbook(path)


@pytest.fixture
def recalculated(book) -> Path:
    recalc_workbook(book)
    return book


def test_only_owned_parts_change(recalculated):
    before = parts(recalculated)
    sheets_before = sheet_xml(recalculated)
    recalc_workbook(recalculated, None, RunSettings(seed=7))
    after = parts(recalculated)
    sheets_after = sheet_xml(recalculated)
    for name in (*INPUT_SHEETS.values(), METRICS_SHEET):
        assert sheets_after[name] == sheets_before[name], name
    with zipfile.ZipFile(recalculated) as zf:
        owned = {part for name, part in sheet_parts(zf).items()
                 if name in (*OUTPUT_SHEETS, "About", "Settings")}
    changed = {n for n in set(before) | set(after) if before.get(n) != after.get(n)}
    # parts the output sheets own besides their XML: comments, the Dashboard's drawing and
    # charts, sheet relationships, and workbook.xml's sheet-local names (print titles, marker)
    allowed = re.compile(r"xl/(comments/|drawings/|charts/|worksheets/_rels/|workbook\.xml$)")
    unexpected = {n for n in changed - owned
                  if not allowed.match(n) and n != "[Content_Types].xml"}
    assert unexpected == set()
    assert len(after) == len(before)  # comments replaced, not piled up


def test_results_read_back_as_the_openpyxl_writer_writes_them(book, tmp_path, monkeypatch):
    by_parts = tmp_path / "parts.xlsx"
    by_openpyxl = tmp_path / "openpyxl.xlsx"
    recalc_workbook(book, by_parts)
    openpyxl_recalc(book, by_openpyxl, monkeypatch)
    first, second = read_results(by_parts), read_results(by_openpyxl)
    assert first.keys() == second.keys()
    for key in first:
        pd.testing.assert_frame_equal(first[key], second[key])
    mine, theirs = loads_cleanly(by_parts), loads_cleanly(by_openpyxl)
    assert mine.sheetnames == theirs.sheetnames
    for name in (*LEAGUE_SHEETS.values(), "Metric scores", CUT_POINTS_SHEET):
        ws, ref = mine[name], theirs[name]
        assert ws.print_title_rows == ref.print_title_rows
        assert ws.freeze_panes == ref.freeze_panes
        assert [str(cf.sqref) for cf in ws.conditional_formatting] == \
            [str(cf.sqref) for cf in ref.conditional_formatting]
        for row, ref_row in zip(ws.iter_rows(max_row=4), ref.iter_rows(max_row=4)):
            for cell, ref_cell in zip(row, ref_row):
                assert (cell.value, cell.number_format, cell.font.b, cell.fill.fgColor.rgb,
                        cell.alignment.horizontal) == (
                    ref_cell.value, ref_cell.number_format, ref_cell.font.b,
                    ref_cell.fill.fgColor.rgb, ref_cell.alignment.horizontal), cell.coordinate
    assert mine["Metric scores"]["D1"].comment is not None
    about, ref_about = mine["About"], theirs["About"]
    assert [[c.value for c in r] for r in about.iter_rows(min_row=19, max_col=2)][:11] == \
        [[c.value for c in r] for r in ref_about.iter_rows(min_row=19, max_col=2)][:11]
    assert about["B16"].number_format == "yyyy-mm-dd hh:mm"


def _cells_as_shown(ws) -> dict[str, tuple]:
    return {cell.coordinate: (cell.value, cell.number_format, cell.font.b, cell.font.color and
                              cell.font.color.rgb, cell.fill.fgColor.rgb,
                              cell.alignment.horizontal, cell.alignment.wrap_text,
                              cell.border.bottom and cell.border.bottom.style)
            for row in ws.iter_rows() for cell in row}


def test_every_output_cell_matches_the_openpyxl_writer_long_names_wrapping(tmp_path,
                                                                           monkeypatch):
    """The rows written straight as XML (sheet_rows.py) against openpyxl's cells, cell by cell:
    values, styles, the wrap of a name too long for its column and the row it makes taller."""
    from workbook_helpers import sample_organisations

    orgs = sample_organisations()
    orgs.loc[0, "name"] = "The Very Long Named University Hospitals of Northshire and " \
                          "Southshire NHS Foundation Trust"
    orgs.loc[1, "name"] = "=HYPERLINK(\"http://example.com\") & <Trust>"
    orgs.loc[2, "region"] = "North East and Yorkshire and the Humber (a long region)"
    book = filled_workbook(tmp_path, organisations=orgs)
    by_parts, by_openpyxl = tmp_path / "parts.xlsx", tmp_path / "openpyxl.xlsx"
    recalc_workbook(book, by_parts)
    openpyxl_recalc(book, by_openpyxl, monkeypatch)
    mine, theirs = loads_cleanly(by_parts), loads_cleanly(by_openpyxl)
    league = LEAGUE_SHEETS["acute"]
    for name in (*LEAGUE_SHEETS.values(), "Metric scores", CUT_POINTS_SHEET, DASHBOARD_SHEET):
        ws, ref = mine[name], theirs[name]
        assert _cells_as_shown(ws) == _cells_as_shown(ref), name
        assert {r: d.height for r, d in ws.row_dimensions.items() if d.height} == \
            {r: d.height for r, d in ref.row_dimensions.items() if d.height}, name
        assert {k: d.width for k, d in ws.column_dimensions.items()} == \
            {k: d.width for k, d in ref.column_dimensions.items()}, name
    wrapped = [c for row in mine[league].iter_rows() for c in row if c.alignment.wrap_text
               and c.row > 1]
    assert {c.value for c in wrapped} >= {orgs.loc[0, "name"], orgs.loc[2, "region"]}
    assert all(mine[league].row_dimensions[c.row].height >= 30 for c in wrapped)
    texts = {c.value: c.data_type for row in mine[league].iter_rows() for c in row}
    assert texts[orgs.loc[1, "name"]] == "s"   # text, never a formula


def test_settings_typed_by_the_user_are_kept(book):
    set_cells(book, {("Settings", "B11"): 7, ("Settings", "D3"): "my note"})
    before = {c.coordinate: c.value for r in load_workbook(book)["Settings"].iter_rows()
              for c in r}
    recalc_workbook(book)
    ws = loads_cleanly(book)["Settings"]
    after = {c.coordinate: c.value for r in ws.iter_rows() for c in r}
    changed = {k for k in after if after[k] != before.get(k)}
    stamp = [c.coordinate for r in ws.iter_rows() for c in r if c.value == "last_recalculated"]
    assert changed == {stamp[0].replace("A", "B")}
    assert ws[stamp[0].replace("A", "B")].number_format == "yyyy-mm-dd hh:mm"
    assert ws[stamp[0].replace("A", "B")].is_date


def test_a_settings_sheet_without_the_recorded_row_gets_it(book):
    wb = load_workbook(book)
    ws = wb["Settings"]
    row = next(r[0].row for r in ws.iter_rows() if r[0].value == "last_recalculated")
    ws.delete_rows(row)
    wb.save(book)
    last = load_workbook(book)["Settings"].max_row
    recalc_workbook(book)
    ws = loads_cleanly(book)["Settings"]
    assert ws.cell(row=last + 1, column=1).value == "last_recalculated"
    assert ws.cell(row=last + 1, column=2).is_date


def test_a_deleted_output_sheet_is_added_back_at_the_end(book):
    wb = load_workbook(book)
    del wb[CUT_POINTS_SHEET]
    wb.save(book)
    recalc_workbook(book)
    wb = loads_cleanly(book)
    assert wb.sheetnames[-1] == CUT_POINTS_SHEET
    assert wb[CUT_POINTS_SHEET]["A1"].value == "Pool"
    assert read_results(book)["cut-points"].shape[0] >= 1


def test_a_calculation_chain_is_dropped(book):
    rels = "xl/_rels/workbook.xml.rels"
    chain_type = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"
    edit_part(book, "xl/calcChain.xml", lambda _: b'<calcChain xmlns="http://schemas.'
              b'openxmlformats.org/spreadsheetml/2006/main"><c r="A1" i="1"/></calcChain>')
    edit_part(book, rels, lambda d: d.replace(b"</Relationships>", f'<Relationship Id="rId99" '
              f'Type="{chain_type}" Target="calcChain.xml"/></Relationships>'.encode()))
    recalc_workbook(book)
    found = parts(book)
    assert "xl/calcChain.xml" not in found and b"calcChain" not in found[rels]
    loads_cleanly(book)


def test_a_chart_a_user_put_on_an_output_sheet_is_kept(book):
    """A drawing on an output sheet is not ours: that workbook is written with openpyxl."""
    wb = load_workbook(book)
    ws = wb["Acute league table"]
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=6, min_row=1, max_row=9), titles_from_data=True)
    ws.add_chart(chart, "Z2")
    wb.save(book)
    recalc_workbook(book)
    assert len(load_workbook(book)["Acute league table"]._charts) == 1


def _with_board(real):
    """write_results plus a sheet ("Board") with a native chart of the acute averages: a
    stand-in for an output sheet with charts that a later version adds."""
    def write_results(wb, results, shown, **kwargs):
        real(wb, results, shown, **kwargs)
        ws = wb["Board"] if "Board" in wb.sheetnames else wb.create_sheet("Board")
        ws["A1"] = "Board"
        chart = BarChart()
        league = wb["Acute league table"]
        chart.add_data(Reference(league, min_col=6, min_row=1, max_row=9), titles_from_data=True)
        ws.add_chart(chart, "B3")
    return write_results


def test_a_sheet_the_writer_adds_with_a_chart_is_transplanted(book, monkeypatch):
    monkeypatch.setattr(package_module, "write_results",
                        _with_board(writer_module.write_results))
    monkeypatch.setattr(package_module, "OUTPUT_SHEETS", (*OUTPUT_SHEETS, "Board"))
    calls = []
    real = package_module._Composer.compose
    monkeypatch.setattr(package_module._Composer, "compose",
                        lambda self: calls.append(1) or real(self))
    recalc_workbook(book)
    first = parts(book)
    recalc_workbook(book)
    second = parts(book)
    # the real Dashboard's charts are replaced each time; the added sheet brings one more
    charts = [n for n in second if n.startswith("xl/charts/")]
    assert len(charts) == len([n for n in first if n.startswith("xl/charts/")])
    assert len(charts) == 1 + len(load_workbook(book)[DASHBOARD_SHEET]._charts)
    assert len(calls) == 2  # both written at the level of the package
    wb = loads_cleanly(book)
    assert wb.sheetnames[-1] == "Board"
    assert wb["Board"]["A1"].value == "Board"
    assert len(wb["Board"]._charts) == 1


def test_a_users_sheet_named_like_a_new_output_sheet_is_not_replaced(book, monkeypatch):
    """A sheet the writer adds, which the workbook already has but not as an output sheet
    registered in the layout, is the user's: that workbook is written with openpyxl."""
    wb = load_workbook(book)
    wb.create_sheet("Board")["C3"] = "my own figures"
    wb.save(book)
    monkeypatch.setattr(package_module, "write_results",
                        _with_board(writer_module.write_results))
    recalc_workbook(book)
    assert load_workbook(book)["Board"]["C3"].value == "my own figures"


def test_formulas_in_a_users_sheet_keep_their_formula(book):
    wb = load_workbook(book)
    mine = wb.create_sheet("Mine")
    mine["A1"] = "='Acute league table'!C2"
    mine["A2"] = 5
    wb.save(book)
    recalc_workbook(book)
    wb = loads_cleanly(book)
    assert wb["Mine"]["A1"].value == "='Acute league table'!C2" and wb["Mine"]["A2"].value == 5


def test_a_failure_while_writing_leaves_the_file_byte_identical(book, monkeypatch):
    before = book.read_bytes()
    listing = sorted(p.name for p in book.parent.iterdir())

    def failing(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(package_module, "_write_zip", failing)
    with pytest.raises(Exception, match="No space left on device"):
        recalc_workbook(book)
    assert book.read_bytes() == before
    assert sorted(p.name for p in book.parent.iterdir()) == listing


@pytest.mark.libreoffice
def test_libreoffice_opens_the_result_with_the_same_values(book, tmp_path):
    soffice = soffice_or_skip()
    recalc_workbook(book)
    (resaved,) = convert([book], "xlsx", tmp_path / "lo", profile=tmp_path / "profile",
                         soffice=soffice)
    wb = load_workbook(resaved, data_only=True)
    errors = [(ws.title, c.coordinate, c.value) for ws in wb for r in ws.iter_rows() for c in r
              if isinstance(c.value, str) and c.value.startswith("#")]
    assert errors == []
    mine, theirs = read_results(book), read_results(resaved)
    for key in mine:
        pd.testing.assert_frame_equal(mine[key], theirs[key], check_dtype=False)
    # and a workbook LibreOffice saved (its own styles and shared strings) recalculates
    copy = Path(shutil.copy(resaved, tmp_path / "again.xlsx"))
    recalc_workbook(copy)
    again = read_results(copy)
    for key in mine:
        pd.testing.assert_frame_equal(mine[key], again[key], check_dtype=False)
    assert sheet_xml(copy)[A] == sheet_xml(resaved)[A]


def test_a_second_sample_book(tmp_path):
    """A fresh filled workbook (never recalculated) gets its output sheets filled in."""
    path = filled_workbook(tmp_path, name="fresh.xlsx")
    recalc_workbook(path)
    assert read_results(path)["acute"].shape[0] == 8
    assert sheet_part(path, A) in parts(path)
