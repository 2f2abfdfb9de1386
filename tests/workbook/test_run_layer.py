"""The run layer (xl_league.run): one path through a workbook; the settings a recalculation
used are recorded on About as key/value rows and reused by every later reader."""

from __future__ import annotations

import pandas as pd
import pytest

from xl_league.run import RunSettings, open_run, recorded_settings
from xl_league.workbook_io.files import save_atomic
from xl_league.workbook_io.recalc import recalc_workbook
from xl_league.workbook_io.template import build_template
from xl_league.workbook_io.writer import fill_inputs


def small_book(path):
    codes = [f"RA{i}" for i in range(6)]
    orgs = pd.DataFrame({"code": codes, "name": [f"Trust {c}" for c in codes], "type": "acute",
                         "in_deficit": ["No", "Yes", "No", "No", "Yes", "No"]})
    values = pd.DataFrame({"OF0013": [80.0, 78.0, 75.0, 70.0, 65.0, 60.0],
                           "OF0082": [4.0, 4.5, 6.0, 5.0, 5.5, 6.5]}, index=codes)
    wb = build_template()
    fill_inputs(wb, orgs, values)
    save_atomic(wb, path)
    return path


def test_a_fresh_workbook_has_no_recorded_overrides(tmp_path):
    assert recorded_settings(small_book(tmp_path / "b.xlsx")) == RunSettings()


def test_table_after_recalc_with_cutoffs_shows_what_recalc_wrote(tmp_path):
    book = small_book(tmp_path / "b.xlsx")
    done = recalc_workbook(book, None, RunSettings((1.5, 2.0, 3.0), 50, 3))
    assert recorded_settings(book) == RunSettings((1.5, 2.0, 3.0), 50, 3)
    again = open_run(book).results
    pd.testing.assert_frame_equal(again.league, done.results.league)
    # settings given now still win over the record
    other = open_run(book, RunSettings((1.2, 1.3, 1.4), 0)).results
    assert tuple(other.cut_points[["c1", "c2", "c3"]].iloc[0]) == (1.2, 1.3, 1.4)
    assert other.league["score_low"].isna().all()


def test_a_recalc_without_overrides_clears_the_record(tmp_path):
    book = small_book(tmp_path / "b.xlsx")
    recalc_workbook(book, None, RunSettings((1.5, 2.0, 3.0)))
    recalc_workbook(book)
    assert recorded_settings(book) == RunSettings()


def test_every_reader_agrees_with_what_recalc_wrote(tmp_path):
    """table, the analyses and the macros all go through open_run: after a recalc with
    overrides they see the same segments and positions without being told again."""
    from click.testing import CliRunner

    from xl_league.cli import main
    from xl_league.workbook_io.recalc import read_results

    book = small_book(tmp_path / "b.xlsx")
    recalc_workbook(book, None, RunSettings((1.9, 2.2, 2.6), 0))
    written = read_results(book)["acute"].set_index("code")
    table = open_run(book).results.table("acute")
    assert list(table["segment"]) == list(written.loc[table.index, "segment"])
    runner = CliRunner()
    explained = runner.invoke(main, ["explain", str(book), "--org", "RA1", "--format", "json"])
    assert explained.exit_code == 0, explained.output
    import json

    summary = json.loads(explained.stdout)["summary"]
    assert summary["segment"] == int(written.loc["RA1", "segment"])
    whatif = runner.invoke(main, ["whatif", str(book), "--org", "RA1", "--deficit", "yes",
                                  "--format", "json"])
    before = json.loads(whatif.stdout)["before"]
    assert before["segment"] == int(written.loc["RA1", "segment"])
    assert before["position"] == int(written.loc["RA1", "position"])


def test_run_settings_parse_one_way_everywhere():
    from xl_league.run_settings import SettingError, parse_cut_points

    assert parse_cut_points(" 2.05, 2.33 ,2.62") == (2.05, 2.33, 2.62)
    for bad in ("0.5,1,5", "2.6,2.3,2.9", "a,b,c", "2.0,2.5"):
        with pytest.raises(SettingError):
            parse_cut_points(bad)
    with pytest.raises(SettingError):
        RunSettings(replicates=-1)
    assert RunSettings((1.5, 2.0, 3.0)).over(RunSettings((1.6, 2.1, 3.1), 9)) == \
        RunSettings((1.5, 2.0, 3.0), 9)
    rows = RunSettings((1.5, 2.0, 3.0), 50, 3).about_rows()
    assert RunSettings.from_about_rows(rows) == RunSettings((1.5, 2.0, 3.0), 50, 3)
    assert RunSettings.from_about_rows([("Run cut-points", "edited by hand")]) == RunSettings()
