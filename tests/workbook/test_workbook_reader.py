"""Reading a workbook's inputs: clean round trips and every bad input, each with its message.

Acute inputs columns used here: A code, E in deficit, F in RSP, G OF0023, L OF0013 (A&E 4-hour
%), S OF0082 (sickness absence %), U OF0079, V OF0081; rows 2–9 hold RA1–RA8.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from workbook_helpers import (CODES, cache_formula_value, edit_part,
                              sample_organisations, sample_values, set_cells)
from xl_league import load_catalogue
from xl_league.errors import CellError, WorkbookError
from xl_league.run import check_book
from xl_league.workbook_io import build_template, read_inputs, save_atomic
from xl_league.workbook_io import cells as cells_module
from xl_league.workbook_io import safety

A = "Acute inputs"
RTT = "OF0023 (Percentage of patients waiting 18 weeks or less for treatment (RTT))"
AE = "OF0013 (Percentage of A&E attendances seen within 4 hours)"




def lines(path: Path) -> list[str]:
    return read_inputs(path).problem_lines()


# --------------------------------------------------------------------------- clean reads

def test_clean_workbook_reads_back_what_was_typed(book):
    inputs = read_inputs(book)
    assert inputs.problems == () and inputs.ok
    orgs = sample_organisations().set_index("code")
    assert list(inputs.organisations.index) == CODES
    assert list(inputs.organisations["name"]) == list(orgs["name"])
    assert set(inputs.organisations["type"]) == {"acute"}
    assert list(inputs.organisations["in_deficit"]) == [False, True, False, False, True, pd.NA,
                                                        False, True]
    assert list(inputs.organisations["in_rsp"].fillna(False)) == [False] * 7 + [True]
    pd.testing.assert_frame_equal(inputs.values, sample_values(), check_like=True)
    assert inputs.quarter == "Q2 2025/26"
    assert inputs.methodology.bootstrap_replicates == 200
    assert inputs.catalogue == load_catalogue()
    assert inputs.cell_of[("RA3", "OF0013")] == "'Acute inputs'!L4"
    assert inputs.cell_of[("RA1", "code")] == "'Acute inputs'!A2"
    assert list(check_book(book).problems) == []


def test_blank_metric_columns_are_dropped_and_listed(book):
    inputs = read_inputs(book)
    assert list(inputs.values.columns) == ["OF0013", "OF0082", "OF0079", "OF0081"]
    blank = [w for w in inputs.warnings if w.startswith("no values for ")]
    assert len(blank) == 1 and "OF0023" in blank[0] and "OF0013" not in blank[0]
    assert blank[0].endswith(": left out of the calculation")


@pytest.mark.parametrize("marker", ["-", "n/a", "N/A", "*", "..", "NA", "  ", "\u2013"])
def test_missing_markers_read_as_blank(book, marker):
    set_cells(book, {(A, "L3"): marker})
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert np.isnan(inputs.values.loc["RA2", "OF0013"])


@pytest.mark.parametrize("typed, expected", [("62.5", 62.5), ("62.5%", 62.5), (" 71 ", 71.0),
                                             ("1,0", 10.0), ("62.5 %", 62.5)])
def test_numbers_stored_as_text_are_numbers(book, typed, expected):
    set_cells(book, {(A, "L3"): typed})
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert inputs.values.loc["RA2", "OF0013"] == expected
    # never silently: the cell is named in a warning
    assert any("typed as text" in w and "'Acute inputs'!L3" in w for w in inputs.warnings)


def test_a_value_outside_its_plausible_range_is_a_problem_named_by_cell(book):
    set_cells(book, {(A, "L3"): 1e308, (A, "L4"): "1,234", (A, "L5"): -5})
    problems = [str(p) for p in read_inputs(book).problems]
    assert problems == [
        f"'Acute inputs'!L{r}: {shown} for OF0013 (Percentage of A&E attendances seen within 4 "
        "hours) is outside its plausible range (0 to 100): check the value and its units (the "
        "Metrics sheet's plausible column sets the range)"
        for r, shown in ((3, "1e+308"), (4, "1234"), (5, "-5"))]


def test_a_merged_heading_hiding_a_metric_column_is_a_problem(book):
    wb = load_workbook(book)
    ws = wb[A]
    ws.merge_cells("K1:L1")   # L1 held OF0013: its heading is hidden, its values would be lost
    wb.save(book)
    problems = [str(p) for p in read_inputs(book).problems]
    assert problems[0].startswith("'Acute inputs'!L1: the heading row is merged across K1:L1")


def test_hidden_rows_and_merged_cells_are_warned_about(book):
    wb = load_workbook(book)
    wb[A].row_dimensions[3].hidden = True
    wb[A].merge_cells("B4:C4")
    wb.save(book)
    warnings = read_inputs(book).warnings
    assert any("'Acute inputs' has hidden rows (3)" in w for w in warnings)
    assert any("'Acute inputs' has merged cells (B4:C4)" in w for w in warnings)


def test_a_cell_formatted_as_a_percentage_reads_as_it_shows(book):
    wb = load_workbook(book)
    wb[A]["L3"] = 0.781
    wb[A]["L3"].number_format = "0.0%"   # Excel shows 78.1%
    wb.save(book)
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert inputs.values.loc["RA2", "OF0013"] == pytest.approx(78.1)


def test_a_fraction_among_percentages_is_a_problem(book):
    set_cells(book, {(A, "L3"): 0.62})
    assert lines(book) == [f"'Acute inputs'!L3: 0.62 for {AE} looks like a fraction, but the "
                           "other values are percentages: type 62 for 62 %"]


def test_small_values_of_a_percentage_of_income_are_not_fractions(book):
    # OF0079 (planned surplus as % of income) holds 0.5, 0.2, 1.1 among negatives: genuine.
    assert read_inputs(book).problems == ()


# --------------------------------------------------------------------------- bad cells

def test_every_problem_is_listed_at_once_in_sheet_and_cell_order(book):
    set_cells(book, {
        (A, "G3"): "abc", (A, "G4"): "#N/A", (A, "L5"): "#DIV/0!", (A, "S5"): "#VALUE!",
        (A, "G5"): "=A1*2", (A, "A7"): "RA1", (A, "A8"): None, (A, "E9"): "maybe",
        (A, "F9"): "-", ("Non-acute inputs", "A2"): "RA2",
        ("Non-acute inputs", "B2"): "Same trust", (A, "Z1"): "OF9999", (A, "Z2"): 3,
        (A, "AB1"): "OF1023", (A, "AB2"): 5, ("Settings", "B4"): "quartiles",
    })
    assert lines(book) == [
        "'Settings'!B4: 'quartiles' is not a cut-point rule: use national-quartiles, "
        "type-quartiles or fixed",
        "'Acute inputs'!Z1: 'OF9999' is not a metric in the Metrics sheet: use a metric ID "
        "listed there (e.g. OF0023), or add the metric to the Metrics sheet",
        f"'Acute inputs'!AB2: score 5 for OF1023{RTT[6:]} is outside 1 to 4: type a score from "
        "1 (best) to 4 (worst), or leave it blank",
        f"'Acute inputs'!G3: 'abc' is not a number for {RTT}: type a number or leave it blank",
        f"'Acute inputs'!G4: #N/A is an Excel error value, not a number for {RTT}: correct the "
        "formula or the data it comes from, or leave the cell blank",
        "'Acute inputs'!G5: holds a formula (=A1*2) that has never been calculated: open and "
        "save the workbook in Excel, or type the value",
        f"'Acute inputs'!L5: #DIV/0! is an Excel error value, not a number for {AE}: correct "
        "the formula or the data it comes from, or leave the cell blank",
        "'Acute inputs'!S5: #VALUE! is an Excel error value, not a number for OF0082 (Sickness "
        "absence rate): correct the formula or the data it comes from, or leave the cell blank",
        "'Acute inputs'!A7: RA1 is already in row 2: each organisation once only, so delete or "
        "correct one of the rows",
        "'Acute inputs'!A8: the code is blank but row 8 has data: type the organisation's ODS "
        "code, or clear the row",
        "'Acute inputs'!E9: 'maybe' is not Yes or No for In deficit: type Yes or No, or leave "
        "it blank",
        "'Acute inputs'!F9: '-' is not Yes or No for In RSP: type Yes or No, or leave it blank",
        "'Non-acute inputs'!A2: RA2 is also in 'Acute inputs'!A3: an organisation has one "
        "type, so it belongs in one input sheet only; delete one of the rows",
    ]
    assert all(isinstance(p, CellError) for p in read_inputs(book).problems)


@pytest.mark.parametrize("typed, shown", [(True, "TRUE"), ("12 weeks", "'12 weeks'"),
                                          ("nan", "'nan'")])
def test_other_non_numbers_are_problems(book, typed, shown):
    set_cells(book, {(A, "L3"): typed})
    assert lines(book) == [f"'Acute inputs'!L3: {shown} is not a number for {AE}: "
                           + ("format the cell as a number and type the value, or leave it blank"
                              if typed is True else "type a number or leave it blank")]


@pytest.mark.parametrize("typed, expected", [("Y", True), ("n", False), (True, True),
                                             (0, False), ("FALSE", False), ("yes ", True)])
def test_flags_accept_yes_no_in_their_usual_forms(book, typed, expected):
    set_cells(book, {(A, "E2"): typed})
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert bool(inputs.organisations.loc["RA1", "in_deficit"]) is expected


def test_wholly_blank_rows_are_skipped(book):
    set_cells(book, {(A, "A12"): "RA9", (A, "L12"): 70.0, (A, "B11"): "   "})
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert list(inputs.organisations.index) == CODES + ["RA9"]


def test_codes_are_text_without_a_decimal_point(book):
    set_cells(book, {(A, "A12"): 12345})
    assert "12345" in read_inputs(book).organisations.index


def test_a_missing_sheet_is_a_problem(book):
    wb = load_workbook(book)
    del wb["ICB inputs"]
    wb.save(book)
    problems = read_inputs(book).problems
    assert [str(p) for p in problems] == [
        "the workbook has no 'ICB inputs' sheet: add it back (copy it from a new template: "
        "xl-league new BLANK.xlsx), or rename the sheet that holds it"]
    assert type(problems[0]) is WorkbookError


def test_a_sheet_without_a_code_column(book):
    set_cells(book, {(A, "A1"): "Trust"})
    assert lines(book) == [
        "'Acute inputs'!A1: there is no Code column: row 1 must hold the headings Code, Name, "
        "Region, Subtype, In deficit, In RSP, then metric IDs (copy them from a new template: "
        "xl-league new)"]


def test_a_metric_heading_twice(book):
    set_cells(book, {(A, "Z1"): "OF0013"})
    assert lines(book) == ["'Acute inputs'!Z1: OF0013 is also the heading of column L: keep "
                           "one of the two columns"]


def test_a_metric_for_another_type_is_a_warning_and_ignored(book):
    set_cells(book, {("Ambulance inputs", "A2"): "RX9", ("Ambulance inputs", "Z1"): "OF0013",
                     ("Ambulance inputs", "Z2"): 55.0, ("Ambulance inputs", "I2"): 5.0})
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert ("'Ambulance inputs'!Z1: OF0013 (Percentage of A&E attendances seen within 4 hours) "
            "does not apply to ambulance organisations (only acute): its 1 value(s) are "
            "ignored") in inputs.warnings
    assert np.isnan(inputs.values.loc["RX9", "OF0013"])
    assert inputs.organisations.loc["RX9", "type"] == "ambulance"


def test_a_non_metric_heading_is_ignored_with_a_warning(book):
    set_cells(book, {(A, "Z1"): "Notes", (A, "Z2"): "call back"})
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert "'Acute inputs'!Z1: column 'Notes' is not a metric ID, so it is ignored" in \
        inputs.warnings


def test_values_without_a_heading_are_ignored_with_a_warning(book):
    set_cells(book, {(A, "Z1"): "  ", (A, "Z2"): 5})
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert inputs.warnings[0] == ("'Acute inputs'!Z1: column Z has values but no heading, so "
                                  "it is ignored")


def test_a_supplied_score_column_is_read(book):
    set_cells(book, {(A, "Z1"): "OF1013", (A, "Z2"): 2.5, (A, "Z3"): "4"})
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert inputs.values.loc["RA1", "OF1013"] == 2.5
    assert inputs.values.loc["RA2", "OF1013"] == 4.0


# --------------------------------------------------------------------------- formulas

def _counting_loads(monkeypatch) -> list[dict]:
    calls: list[dict] = []
    real = cells_module.load

    def counting(path, **options):
        calls.append(options)
        return real(path, **options)

    monkeypatch.setattr("xl_league.workbook_io.reader.load", counting)
    monkeypatch.setattr("xl_league.workbook_io.cells.load_workbook",
                        lambda *a, **k: pytest.fail("a file's inputs are read without openpyxl"))
    return calls


def test_formula_with_a_cached_value_is_read_in_the_same_pass(book, monkeypatch):
    set_cells(book, {(A, "L3"): "=70+5"})
    cache_formula_value(book, A, "L3", "75")
    calls = _counting_loads(monkeypatch)
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert inputs.values.loc["RA2", "OF0013"] == 75.0
    assert inputs.has_formulas
    assert calls == []


def test_an_open_workbook_with_a_formula_is_read_with_a_second_load(book, monkeypatch):
    set_cells(book, {(A, "L3"): "=70+5"})
    cache_formula_value(book, A, "L3", "75")
    wb = load_workbook(book)
    calls = []
    real = cells_module.load
    monkeypatch.setattr("xl_league.workbook_io.reader.load",
                        lambda path, **o: calls.append(o) or real(path, **o))
    inputs = read_inputs(wb, path=book)
    assert inputs.problems == ()
    assert inputs.values.loc["RA2", "OF0013"] == 75.0
    assert calls == [{"read_only": True, "data_only": True}]


def test_an_open_workbook_without_formulas_needs_no_second_load(book, monkeypatch):
    wb = load_workbook(book)
    calls = []
    real = cells_module.load
    monkeypatch.setattr("xl_league.workbook_io.reader.load",
                        lambda path, **o: calls.append(o) or real(path, **o))
    assert read_inputs(wb, path=book).problems == ()
    assert calls == []


def test_formula_cached_as_empty_text_is_blank(book):
    set_cells(book, {(A, "L3"): '=IF(1,"",1)'})
    cache_formula_value(book, A, "L3", "", cell_type="str")
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert np.isnan(inputs.values.loc["RA2", "OF0013"])


def test_formula_cached_as_an_error_is_an_error(book):
    set_cells(book, {(A, "L3"): "=NA()"})
    cache_formula_value(book, A, "L3", "#N/A", cell_type="e")
    assert lines(book) == [f"'Acute inputs'!L3: #N/A is an Excel error value, not a number for "
                           f"{AE}: correct the formula or the data it comes from, or leave the "
                           "cell blank"]


# --------------------------------------------------------------------------- settings, metrics

def test_settings_are_applied(book):
    set_cells(book, {("Settings", "B4"): "fixed", ("Settings", "B5"): 2.05,
                     ("Settings", "B6"): "2.33", ("Settings", "B7"): 2.62,
                     ("Settings", "B8"): "No", ("Settings", "B9"): 2,
                     ("Settings", "B10"): 0, ("Settings", "B11"): 7})
    meth = read_inputs(book).methodology
    assert meth.cut_point_rule == "fixed"
    assert meth.fixed_cut_points == (2.05, 2.33, 2.62)
    assert (meth.deficit_fallback, meth.minimum_metrics) == (False, 2)
    assert (meth.bootstrap_replicates, meth.bootstrap_seed) == (0, 7)


def test_bad_settings_each_name_their_cell(book):
    set_cells(book, {("Settings", "B2"): "2019/20", ("Settings", "B4"): "fixed",
                     ("Settings", "B5"): 2.5, ("Settings", "B6"): None,
                     ("Settings", "B8"): "maybe", ("Settings", "B10"): "lots",
                     ("Settings", "B9"): 0})
    assert lines(book) == [
        "'Settings'!B2: '2019/20' is not a framework year xl-league knows: use 2025/26",
        "'Settings'!B6: the cut-point rule is fixed but cut_point_2 is blank: type all three "
        "cut-points, e.g. 2.05, 2.33 and 2.62",
        "'Settings'!B8: 'maybe' is not Yes or No for deficit_fallback: type Yes or No, or "
        "leave it blank",
        "'Settings'!B9: minimum_metrics 0 must be at least 1",
        "'Settings'!B10: 'lots' is not a whole number for bootstrap_replicates: type a whole "
        "number, e.g. 2000",
    ]


def test_cut_points_must_increase(book):
    set_cells(book, {("Settings", "B5"): 2.6, ("Settings", "B6"): 2.3, ("Settings", "B7"): 2.9})
    assert lines(book) == ["'Settings'!B5: the cut-points 2.6, 2.3, 2.9 must increase: "
                           "cut_point_1 < cut_point_2 < cut_point_3"]


def test_an_edited_metric_catalogue_is_used(book):
    # Metrics row 7 is OF1013 (A&E 4-hour): make lower better.
    wb = load_workbook(book)
    ws = wb["Metrics"]
    assert ws["A7"].value == "OF1013"
    ws["E7"] = "lower"
    wb.save(book)
    inputs = read_inputs(book)
    assert inputs.problems == ()
    assert inputs.catalogue["OF1013"].direction == "lower"


def test_a_bad_catalogue_row_names_its_row(book):
    set_cells(book, {("Metrics", "F7"): "magic"})
    assert lines(book) == ["'Metrics'!A7: metric OF1013: scoring 'magic' is not one of ranked, "
                           "banded, combined, supplied: correct this row of the metric "
                           "catalogue"]


def test_a_blank_template_has_no_organisations(tmp_path):
    path = save_atomic(build_template(), tmp_path / "blank.xlsx")
    assert list(check_book(path).problems) == [
        "the input sheets have no organisations: type (or paste) one row per organisation into "
        "its type's input sheet, code first"]


def test_check_runs_the_engine_and_names_what_only_it_sees(book):
    set_cells(book, {("Settings", "B9"): 10})   # more metrics than anyone has
    assert list(check_book(book).problems) == [   # the setting no organisation meets, named
        "'Settings' sheet: minimum metrics is 10, and no organisation has that many metric "
        "scores: lower minimum_metrics on the Settings sheet, or fill in more metric values"]


# --------------------------------------------------------------------------- wrong files

def _ole2(*streams: str) -> bytes:
    body = b"".join(s.encode("utf-16-le") + b"\0" * 8 for s in streams)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + body


def _zip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("name, content, message", [
    ("gone.xlsx", None, "{p}: no such file"),
    ("notes.xlsx", b"code,name\nRA1,Trust\n",
     "{p} is not an Excel workbook (.xlsx): it looks like a text file (CSV?); open it in Excel "
     "and save it as .xlsx"),
    ("empty.xlsx", b"", "{p} is not an Excel workbook (.xlsx): the file is empty; open it in "
                        "Excel and save it as .xlsx"),
    ("old.xls", _ole2("Workbook"), "{p} is an old Excel 97-2003 workbook (.xls): open it in "
                                   "Excel and save it as .xlsx (Excel Workbook)"),
    ("renamed.xlsx", _ole2("Workbook"), "{p} is an old Excel 97-2003 workbook (.xls): open it "
                                        "in Excel and save it as .xlsx (Excel Workbook)"),
    ("secret.xlsx", _ole2("EncryptionInfo", "EncryptedPackage"),
     "{p} is password-protected (encrypted), so it cannot be read: in Excel, remove the "
     "password (File > Info > Protect Workbook > Encrypt with Password) and save it, or save "
     "an unprotected copy"),
    ("damaged.xlsx", b"PK\x03\x04" + b"\x00" * 100,
     "{p} is damaged or not an Excel workbook (File is not a zip file): open it in Excel and "
     "save it as .xlsx"),
])
def test_files_that_are_not_workbooks(tmp_path, name, content, message):
    p = tmp_path / name
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(WorkbookError) as err:
        read_inputs(p)
    assert str(err.value) == message.format(p=p)
    assert list(check_book(p).problems) == [message.format(p=p)]


@pytest.mark.parametrize("parts, kind", [
    ({"xl/workbook.bin": b"x"}, "an Excel binary workbook (.xlsb)"),
    ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
     "an OpenDocument spreadsheet (.ods)"),
    ({"readme.txt": b"hello"}, "a zip file without an Excel workbook inside"),
])
def test_other_zip_files(tmp_path, parts, kind):
    p = _zip(tmp_path / "book.xlsx", parts)
    with pytest.raises(WorkbookError) as err:
        read_inputs(p)
    assert str(err.value) == (f"{p} is {kind}, not an .xlsx workbook: open it in Excel (or "
                              "LibreOffice) and save it as .xlsx")


def test_a_workbook_with_the_wrong_name(book, tmp_path):
    p = Path(shutil.copy(book, tmp_path / "book.dat"))
    with pytest.raises(WorkbookError, match=r"book\.dat holds an Excel workbook but its name "
                                            r"does not end \.xlsx or \.xlsm: rename it$"):
        read_inputs(p)


def test_a_zip_bomb_is_refused(tmp_path):
    p = _zip(tmp_path / "bomb.xlsx", {"xl/workbook.xml": b"<workbook/>",
                                      "xl/worksheets/sheet1.xml": b"\0" * (8 << 20)})
    with pytest.raises(WorkbookError) as err:
        read_inputs(p)
    assert str(err.value) == (f"{p}: part xl/worksheets/sheet1.xml is compressed more than 200 "
                              "to 1, as a zip bomb is: refusing to open it")


def test_an_oversized_workbook_is_refused(book, monkeypatch):
    monkeypatch.setattr(safety, "MAX_UNCOMPRESSED_BYTES", 100_000)
    with pytest.raises(WorkbookError, match=r"would unpack to 0 MB, more than the 0 MB limit: "
                                            r"refusing to open it$"):
        read_inputs(book)


def test_xml_entities_are_refused_by_defusedxml(book):
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML, "defusedxml must be installed: openpyxl then refuses XML entities"
    doctype = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    edit_part(book, "xl/workbook.xml", lambda data: data.replace(b"<workbook", doctype
                                                                  + b"<workbook", 1))
    with pytest.raises(WorkbookError) as err:
        read_inputs(book)
    assert str(err.value) == (f"{book} was refused: its XML declares entities or external "
                              "references (defusedxml refuses them, as they are used in "
                              "attacks); open it in Excel and save it as .xlsx")


def test_a_workbook_openpyxl_cannot_parse(book):
    edit_part(book, "xl/workbook.xml", lambda data: b"<workbook><sheets>")
    with pytest.raises(WorkbookError) as err:
        read_inputs(book)
    assert str(err.value) == (f"{book} could not be read as a workbook (no element found: "
                              "line 1, column 18): open it in Excel and save it as .xlsx")
