"""Recalculating a workbook: results written, the user's work untouched, failures write nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import xlwings
from openpyxl import load_workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.image import Image
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from PIL import Image as PILImage

from workbook_helpers import (cache_formula_value, input_fingerprint,
                              sample_organisations, sample_values, set_cells)
from xl_league.errors import InputError, WorkbookError
from xl_league.run import RunSettings, WorkbookProblems, engine_error_line
from xl_league.run_settings import SettingError
from xl_league.workbook_io import (build_template, fill_inputs, read_inputs, read_results,
                                   recalc_workbook)




def about(path: Path) -> dict[str, object]:
    ws = load_workbook(path)["About"]
    return {r[0]: r[1] for r in ws.iter_rows(min_row=19, max_col=2, values_only=True) if r[0]}


def decorate(path: Path) -> None:
    """What a user adds: a sheet with a chart and an image, a defined name, input formatting."""
    wb = load_workbook(path)
    mine = wb.create_sheet("My analysis")
    for r, v in enumerate([3, 5, 2, 7], start=1):
        mine.cell(row=r, column=1, value=v)
    chart = BarChart()
    chart.title = "My chart"
    chart.add_data(Reference(mine, min_col=1, min_row=1, max_row=4))
    mine.add_chart(chart, "C2")
    png = io.BytesIO()
    PILImage.new("RGB", (20, 10), "red").save(png, format="PNG")
    png.seek(0)
    mine.add_image(Image(png), "C20")
    wb.defined_names["MyTarget"] = DefinedName("MyTarget", attr_text="'My analysis'!$A$1:$A$4")
    inputs = wb["Acute inputs"]
    inputs["B3"].fill = PatternFill("solid", fgColor="FFFF00")
    inputs.conditional_formatting.add("L2:L9", CellIsRule(operator="lessThan", formula=["70"],
                                                          fill=PatternFill("solid",
                                                                           bgColor="FFC7CE")))
    wb.save(path)


# --------------------------------------------------------------------------- success

def test_recalc_writes_results_and_keeps_everything_else(book):
    decorate(book)
    fingerprint = input_fingerprint(book)
    validations = len(load_workbook(book)["Acute inputs"].data_validations.dataValidation)
    steps = []
    result = recalc_workbook(book, progress=lambda *a: steps.append(a))
    assert result.written_to == book
    assert steps == [("reading the inputs", 0, 4), ("calculating", 1, 4),
                     ("writing the results", 2, 4), ("saving", 3, 4), ("done", 4, 4)]
    assert input_fingerprint(book) == fingerprint
    wb = load_workbook(book)
    mine = wb["My analysis"]
    assert [mine.cell(row=r, column=1).value for r in range(1, 5)] == [3, 5, 2, 7]
    assert len(mine._charts) == 1 and len(mine._images) == 1
    assert wb.defined_names["MyTarget"].attr_text == "'My analysis'!$A$1:$A$4"
    inputs = wb["Acute inputs"]
    assert inputs["B3"].fill.fgColor.rgb == "00FFFF00"
    assert [str(cf.sqref) for cf in inputs.conditional_formatting] == ["L2:L9"]
    assert inputs.tables["AcuteInputs"].ref == "A1:W9"
    assert len(inputs.data_validations.dataValidation) == validations == 3
    assert inputs["L1"].comment is not None
    with zipfile.ZipFile(book) as zf:
        assert any(n.startswith("xl/media/") for n in zf.namelist())
        assert any(n.startswith("xl/charts/chart") for n in zf.namelist())
    league = result.results.table("acute")
    table = read_results(book)["acute"]
    assert list(table["code"]) == list(league["code"])
    assert list(table["segment"]) == list(league["segment"])


def test_about_shows_the_settings_used(book):
    recalc_workbook(book)
    shown = about(book)
    assert shown["Year"] == "2025/26" and shown["Quarter"] == "Q2 2025/26"
    assert shown["Organisations"] == "8 acute"
    assert shown["Cut-point rule"] == "national-quartiles"
    assert shown["Likely ranges"] == "200 resamples, seed 2025, 95%"
    assert shown["Cut-points"].startswith("acute + non-acute + ambulance: ")
    assert load_workbook(book)["About"]["B16"].value is not None


def test_command_line_overrides_apply_to_this_run_only(book):
    result = recalc_workbook(book, None, RunSettings((2.0, 2.5, 3.0), 0, 9))
    meth = result.results.methodology
    assert (meth.cut_point_rule, meth.fixed_cut_points) == ("fixed", (2.0, 2.5, 3.0))
    assert (meth.bootstrap_replicates, meth.bootstrap_seed) == (0, 9)
    shown = about(book)
    assert shown["Cut-point rule"] == "fixed"
    assert shown["Cut-points"] == "acute + non-acute + ambulance: 2, 2.5, 3"
    assert shown["Likely ranges"] == "off (0 resamples)"
    assert read_inputs(book).methodology.cut_point_rule == "national-quartiles"


def test_recalculating_twice_gives_the_same_tables(book):
    recalc_workbook(book)
    first = read_results(book)
    recalc_workbook(book)
    second = read_results(book)
    for key in first:
        assert first[key].equals(second[key]), key


def test_recalc_to_another_file_leaves_the_original_byte_identical(book, tmp_path):
    before = book.read_bytes()
    out = tmp_path / "out.xlsx"
    result = recalc_workbook(book, out)
    assert book.read_bytes() == before
    assert result.written_to == out and read_results(out)["acute"].shape[0] == 8


def test_a_macro_workbook_keeps_its_vba(tmp_path):
    quickstart = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    with zipfile.ZipFile(quickstart) as zf:
        vba = zf.read("xl/vbaProject.bin")
    wb = build_template()
    fill_inputs(wb, sample_organisations(), sample_values())
    wb.vba_archive = zipfile.ZipFile(io.BytesIO(quickstart.read_bytes()), "a")
    path = tmp_path / "book.xlsm"
    wb.save(path)
    recalc_workbook(path, None, RunSettings(replicates=0))
    with zipfile.ZipFile(path) as zf:
        assert zf.read("xl/vbaProject.bin") == vba
        assert b"macroEnabled" in zf.read("[Content_Types].xml")
    assert read_results(path)["acute"].shape[0] == 8
    with pytest.raises(WorkbookError, match=r"out\.xlsx: a \.xlsm workbook must be written as "
                                            r"\.xlsm too"):
        recalc_workbook(path, tmp_path / "out.xlsx")


def test_input_formulas_are_read_and_keep_their_values(book):
    set_cells(book, {("Acute inputs", "L3"): "=70+4"})
    cache_formula_value(book, "Acute inputs", "L3", "74")
    result = recalc_workbook(book, None, RunSettings(replicates=0))
    assert result.results.metric_values.loc["RA2", "OF0013"] == 74.0
    assert not any("formula" in w for w in result.warnings)
    assert read_inputs(book).values.loc["RA2", "OF0013"] == 74.0   # the next read still works
    assert load_workbook(book)["Acute inputs"]["L3"].value == "=70+4"


# --------------------------------------------------------------------------- refusals

def test_bad_inputs_are_all_listed_and_nothing_is_written(book):
    set_cells(book, {("Acute inputs", "L3"): "abc", ("Acute inputs", "E4"): "maybe"})
    before = book.read_bytes()
    with pytest.raises(WorkbookProblems) as err:
        recalc_workbook(book)
    assert str(err.value).splitlines() == [
        "'Acute inputs'!L3: 'abc' is not a number for OF0013 (Percentage of A&E attendances "
        "seen within 4 hours): type a number or leave it blank",
        "'Acute inputs'!E4: 'maybe' is not Yes or No for In deficit: type Yes or No, or leave "
        "it blank",
        f"{book} was not recalculated and is unchanged: 2 problems to correct first",
    ]
    assert len(err.value.problems) == 2
    assert book.read_bytes() == before


def test_an_engine_objection_writes_nothing(book):
    set_cells(book, {("Settings", "B9"): 10})
    before = book.read_bytes()
    with pytest.raises(WorkbookError) as err:
        recalc_workbook(book)
    assert str(err.value) == (
        "'Settings' sheet: minimum metrics is 10, and no organisation has that many metric "
        "scores: lower minimum_metrics on the Settings sheet, or fill in more metric values")
    assert book.read_bytes() == before


def test_bad_cut_point_overrides_write_nothing(book):
    before = book.read_bytes()
    with pytest.raises(SettingError) as err:
        recalc_workbook(book, None, RunSettings((2.6, 2.3, 2.9)))
    assert str(err.value) == ("(2.6, 2.3, 2.9): give three increasing numbers, e.g. "
                              "2.05,2.33,2.62")
    assert book.read_bytes() == before


def test_engine_errors_name_the_cell(book):
    inputs = read_inputs(book)
    error = InputError("organisation RA2, metric OF0013: 5.0 is wrong", organisation="RA2",
                       metric="OF0013")
    assert engine_error_line(error, inputs) == ("'Acute inputs'!L3: organisation RA2, metric "
                                                "OF0013: 5.0 is wrong")
    only_org = InputError("organisation RA3: odd", organisation="RA3")
    assert engine_error_line(only_org, inputs) == "'Acute inputs'!A4: organisation RA3: odd"
    assert engine_error_line(ValueError("bug"), inputs) is None


def test_output_name_must_be_a_workbook(book, tmp_path):
    with pytest.raises(WorkbookError, match=r"out\.csv: the output must be an \.xlsx workbook"):
        recalc_workbook(book, tmp_path / "out.csv")
