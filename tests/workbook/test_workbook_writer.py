"""Writing inputs into a template, results into the output sheets, and saving atomically."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from workbook_helpers import (CODES, filled_workbook, input_fingerprint, sample_organisations,
                              sample_values)
from xl_league import compute_league_tables, load_methodology
from xl_league.errors import InputError, WorkbookError
from xl_league.workbook_io import (build_template, fill_inputs, read_inputs, read_results,
                                   save_atomic, write_results)
from xl_league.workbook_io.layout import LEAGUE_TABLE_COLUMNS
from xl_league.workbook_io.files import write_bytes_atomic

WHEN = dt.datetime(2025, 11, 3, 9, 30)


def results_for(orgs=None, vals=None, replicates=100):
    meth = load_methodology().with_settings(bootstrap_replicates=replicates)
    return compute_league_tables(sample_organisations() if orgs is None else orgs,
                                 sample_values() if vals is None else vals, meth)


# --------------------------------------------------------------------------- fill_inputs

def test_filled_inputs_read_back_identically(tmp_path):
    path = filled_workbook(tmp_path)
    inputs = read_inputs(path)
    assert inputs.problems == ()
    pd.testing.assert_frame_equal(inputs.values, sample_values(), check_like=True)
    wb = load_workbook(path)
    ws = wb["Acute inputs"]
    assert [ws.cell(row=r, column=1).value for r in range(2, 10)] == CODES
    assert ws["E3"].value == "Yes" and ws["E7"].value is None and ws["F9"].value == "Yes"
    assert ws.tables["AcuteInputs"].ref == "A1:W9"
    assert ws.tables["AcuteInputs"].autoFilter.ref == "A1:W9"
    assert wb["Settings"]["B3"].value == "Q2 2025/26"


def test_extra_score_columns_are_added_with_table_column_and_check(tmp_path):
    vals = sample_values()
    vals["OF1023"] = [1, 2, 3, 4, 1.5, 2.5, 3.5, np.nan]
    path = filled_workbook(tmp_path, values=vals)
    wb = load_workbook(path)
    ws = wb["Acute inputs"]
    assert ws["X1"].value == "OF1023"
    assert ws["X1"].comment.text.startswith("OF1023: Percentage of patients waiting 18 weeks")
    table = ws.tables["AcuteInputs"]
    assert table.ref == "A1:X9"
    assert [c.name for c in table.tableColumns][-2:] == ["OF0085", "OF1023"]
    assert any(str(dv.sqref) == "X2:X1001" and dv.formula1 == "1"
               for dv in ws.data_validations.dataValidation)
    assert [c.value for c in wb["Non-acute inputs"][1]][-1] == "OF0086"   # untouched
    inputs = read_inputs(path)
    assert inputs.problems == ()
    assert inputs.values.loc["RA3", "OF1023"] == 3.0


def test_fill_inputs_spreads_organisations_over_their_type_sheets(tmp_path):
    orgs = pd.DataFrame({"code": ["RA1", "RX1", "RY1", "QAB"],
                         "name": ["A", "B", "C", "D"],
                         "type": ["Acute trust", "Mental health and community trust",
                                  "Ambulance trust", "ICB"]})
    vals = pd.DataFrame({"OF0082": [5.0, 4.0, 6.0, np.nan]},
                        index=pd.Index(["RA1", "RX1", "RY1", "QAB"], name="code"))
    wb = build_template()
    fill_inputs(wb, orgs, vals)
    assert wb["Acute inputs"]["A2"].value == "RA1" and wb["Acute inputs"]["S2"].value == 5.0
    assert wb["Non-acute inputs"]["A2"].value == "RX1" and wb["Non-acute inputs"]["O2"].value == 4
    assert wb["Ambulance inputs"]["A2"].value == "RY1" and wb["Ambulance inputs"]["I2"].value == 6
    assert wb["ICB inputs"]["A2"].value == "QAB"
    assert wb["Settings"]["B3"].value is None


def test_extra_columns_extend_a_table_read_from_a_file(tmp_path):
    path = filled_workbook(tmp_path)
    wb = load_workbook(path)
    vals = sample_values()
    vals["OF1013"] = 2.0
    fill_inputs(wb, sample_organisations(), vals)
    save_atomic(wb, path)
    table = load_workbook(path)["Acute inputs"].tables["AcuteInputs"]
    assert table.ref == "A1:X9"
    assert [c.name for c in table.tableColumns][-2:] == ["OF0085", "OF1013"]
    assert read_inputs(path).values["OF1013"].tolist() == [2.0] * 8


def test_fill_inputs_replaces_earlier_rows():
    wb = build_template()
    fill_inputs(wb, sample_organisations(), sample_values())
    fill_inputs(wb, sample_organisations().head(2), sample_values().head(2))
    ws = wb["Acute inputs"]
    assert [ws.cell(row=r, column=1).value for r in range(2, 5)] == ["RA1", "RA2", None]
    assert ws.tables["AcuteInputs"].ref == "A1:W3"


def test_fill_inputs_refuses_a_code_twice():
    orgs = pd.concat([sample_organisations(), sample_organisations().head(1)])
    with pytest.raises(InputError, match=r"^organisation code RA1 appears more than once in "
                                         r"the organisations: each code once only$"):
        fill_inputs(build_template(), orgs, sample_values())


def test_fill_inputs_refuses_an_unknown_type():
    orgs = pd.DataFrame({"code": ["RA1"], "type": ["hospice"]})
    with pytest.raises(InputError, match=r"^organisation RA1: type 'hospice' is not one of "
                                         r"acute, non-acute, ambulance, icb$"):
        fill_inputs(build_template(), orgs, pd.DataFrame())


# --------------------------------------------------------------------------- write_results

def test_results_read_back_from_the_output_sheets(tmp_path):
    results = results_for()
    wb = build_template()
    fill_inputs(wb, sample_organisations(), sample_values())
    write_results(wb, results, {"Year": "2025/26"}, recalculated_at=WHEN)
    path = save_atomic(wb, tmp_path / "r.xlsx")
    back = read_results(path)
    assert list(back) == ["acute", "metric scores", "cut-points"]
    table = back["acute"]
    league = results.table("acute")
    assert list(table["code"]) == list(league["code"])
    assert list(table["position"]) == list(league["position"])
    assert list(table["average_score"]) == pytest.approx(list(league["average_score"]))
    assert list(table["final_segment"]) == list(league["final_segment"])
    assert list(table["in_deficit"]) == [("Yes" if d else "No") + (" (derived)" if x else "")
                                         for d, x in zip(league["in_deficit"],
                                                         league["deficit_derived"])]
    assert list(table["override_applied"]) == ["Yes" if o else "No"
                                               for o in league["override_applied"]]
    assert list(table["score_low"]) == pytest.approx(list(league["score_low"]))
    assert list(table["rank_high"]) == list(league["rank_high"])
    domain = results.domain_scores.loc[league.index, "People and workforce"]
    assert list(table["People and workforce"]) == pytest.approx(list(domain))
    scores = back["metric scores"]
    assert list(scores.columns[:3]) == ["Type", "Code", "Organisation"]
    assert set(scores.columns[3:]) == {"OF1013", "OF1082", "OF1079", "OF1081", "OF1080"}
    assert scores.set_index("Code").loc["RA1", "OF1013"] == pytest.approx(
        results.metric_scores.loc["RA1", "OF1013"])
    cuts = back["cut-points"]
    assert list(cuts["Pool"]) == ["acute + non-acute + ambulance"]
    assert cuts["Cut-point 2"][0] == pytest.approx(results.cut_points["c2"][0])


def test_output_cells_are_formatted(tmp_path):
    wb = build_template()
    write_results(wb, results_for(), {}, recalculated_at=WHEN)
    ws = wb["Acute league table"]
    col = {c.key: i for i, c in enumerate(LEAGUE_TABLE_COLUMNS, start=1)}
    assert ws.cell(row=2, column=col["average_score"]).number_format == "0.00"
    assert ws.cell(row=2, column=col["score_low"]).number_format == "0.00"
    assert ws.cell(row=2, column=col["position"]).number_format == "0"
    assert ws.cell(row=1, column=1).font.b
    assert ws.freeze_panes == "D2"
    assert len(list(ws.conditional_formatting)) == 1


def test_derived_deficit_flags_say_so(tmp_path):
    orgs = sample_organisations()
    orgs["in_deficit"] = None                       # fallback derives it from OF0079/OF0081
    results = results_for(orgs=orgs)
    wb = build_template()
    write_results(wb, results, {}, recalculated_at=WHEN)
    col = [c.key for c in LEAGUE_TABLE_COLUMNS].index("in_deficit") + 1
    shown = {wb["Acute league table"].cell(row=r, column=2).value:
             wb["Acute league table"].cell(row=r, column=col).value for r in range(2, 10)}
    assert shown["RA2"] == "Yes (derived)" and shown["RA1"] == "No (derived)"


def test_rewriting_clears_old_rows_and_keeps_the_sheets(tmp_path):
    wb = build_template()
    sheet_ids = {name: id(wb[name]) for name in wb.sheetnames}
    write_results(wb, results_for(), {"A": 1, "B": 2, "C": 3}, recalculated_at=WHEN)
    orgs, vals = sample_organisations().head(4), sample_values().head(4)
    write_results(wb, results_for(orgs, vals), {"A": 1}, recalculated_at=WHEN)
    ws = wb["Acute league table"]
    assert ws.max_row == 5 and ws["B6"].value is None
    # every sheet kept, except the Dashboard: replaced in place (its charts would pile up)
    kept = {name: id(wb[name]) for name in wb.sheetnames if name != "Dashboard"}
    assert kept == {k: v for k, v in sheet_ids.items() if k != "Dashboard"}
    assert wb.sheetnames == list(sheet_ids)
    about = wb["About"]
    assert (about["A19"].value, about["B19"].value, about["A20"].value) == ("A", 1, None)
    assert about["B16"].value == WHEN
    settings = {r[0]: r[1] for r in wb["Settings"].iter_rows(min_row=2, max_col=2,
                                                             values_only=True)}
    assert settings["last_recalculated"] == WHEN


def test_types_without_organisations_keep_just_their_headings():
    wb = build_template()
    write_results(wb, results_for(), {}, recalculated_at=WHEN)
    for name in ("Non-acute league table", "Ambulance league table", "ICB league table"):
        assert wb[name].max_row == 1 and wb[name]["A1"].value == "Position"


def test_notes_are_listed_on_about():
    results = results_for()
    assert results.notes, "the sample should produce at least one engine note"
    wb = build_template()
    write_results(wb, results, {"Year": "2025/26"}, recalculated_at=WHEN)
    about = wb["About"]
    assert about["A21"].value == "Notes"
    assert about["B22"].value == results.notes[0]


def test_write_results_touches_only_output_sheets(tmp_path):
    path = filled_workbook(tmp_path)
    before = input_fingerprint(path)
    wb = load_workbook(path)
    mine = wb.create_sheet("My notes")
    mine["A1"] = "keep me"
    metrics_before = [tuple(r) for r in wb["Metrics"].iter_rows(values_only=True)]
    write_results(wb, results_for(), {}, recalculated_at=WHEN)
    save_atomic(wb, path)
    assert input_fingerprint(path) == before
    wb = load_workbook(path)
    assert wb["My notes"]["A1"].value == "keep me"
    assert [tuple(r) for r in wb["Metrics"].iter_rows(values_only=True)] == metrics_before


def test_a_deleted_output_sheet_is_recreated():
    wb = build_template()
    del wb["Cut-points"]
    write_results(wb, results_for(), {}, recalculated_at=WHEN)
    assert wb.sheetnames[-1] == "Cut-points" and wb["Cut-points"]["A1"].value == "Pool"


# --------------------------------------------------------------------------- atomic save

def _book(tmp_path: Path) -> Path:
    wb = Workbook()
    wb.active["A1"] = "original"
    return save_atomic(wb, tmp_path / "book.xlsx")


def test_a_failure_mid_save_leaves_the_file_byte_identical(tmp_path, monkeypatch):
    path = _book(tmp_path)
    before = path.read_bytes()
    wb = load_workbook(path)
    wb.active["A1"] = "changed"

    def broken_save(target):
        Path(target).write_bytes(b"PK half a workbook")
        raise RuntimeError("disk went away")

    monkeypatch.setattr(wb, "save", broken_save)
    with pytest.raises(RuntimeError, match="disk went away"):
        save_atomic(wb, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_a_failing_replace_leaves_the_file_and_no_temp(tmp_path, monkeypatch):
    path = _book(tmp_path)
    before = path.read_bytes()
    wb = load_workbook(path)
    wb.active["A1"] = "changed"

    def no_replace(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", no_replace)
    with pytest.raises(WorkbookError) as err:
        save_atomic(wb, path)
    assert str(err.value) == (f"cannot write {path}: permission denied (is it open in Excel? "
                              "close it, or write elsewhere with -o OTHER.xlsx)")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_save_keeps_the_file_permissions(tmp_path):
    path = _book(tmp_path)
    os.chmod(path, 0o640)
    save_atomic(load_workbook(path), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert load_workbook(path).active["A1"].value == "original"


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        path = write_bytes_atomic(b"data", tmp_path / "new.bin")
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_saving_into_a_missing_folder(tmp_path):
    with pytest.raises(WorkbookError) as err:
        save_atomic(Workbook(), tmp_path / "nope" / "b.xlsx")
    assert str(err.value) == (f"cannot write {tmp_path / 'nope' / 'b.xlsx'}: the folder "
                              f"{tmp_path / 'nope'} does not exist")
