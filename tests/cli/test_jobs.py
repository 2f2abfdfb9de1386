"""The shared jobs behind the CLI and macros: the last recalc's overrides carry over."""

from __future__ import annotations

import pandas as pd

from xl_league.jobs import workbook_results
from xl_league.workbook_io.recalc import recalc_workbook, recorded_overrides
from xl_league.workbook_io.template import build_template
from xl_league.workbook_io.writer import fill_inputs, save_atomic


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
    assert recorded_overrides(small_book(tmp_path / "b.xlsx")) == {}


def test_table_after_recalc_with_cutoffs_shows_what_recalc_wrote(tmp_path):
    book = small_book(tmp_path / "b.xlsx")
    done = recalc_workbook(book, cut_points=(1.5, 2.0, 3.0), replicates=50, seed=3)
    assert recorded_overrides(book) == {"cut_points": (1.5, 2.0, 3.0), "replicates": 50,
                                        "seed": 3}
    _, again = workbook_results(book)
    pd.testing.assert_frame_equal(again.league, done.results.league)
    # explicit arguments still win over the record
    _, other = workbook_results(book, cut_points=(0.5, 0.6, 0.7), replicates=0)
    assert set(other.league["unadjusted_segment"]) == {4}
    assert other.league["score_low"].isna().all()


def test_a_recalc_without_overrides_clears_the_record(tmp_path):
    book = small_book(tmp_path / "b.xlsx")
    recalc_workbook(book, cut_points=(1.5, 2.0, 3.0))
    recalc_workbook(book)
    assert recorded_overrides(book) == {}
