"""``packs --history``: each pack's Trend sheet shows the organisation's figures in every quarter,
in the order the quarters are (not the order they were given), with two native charts; cloned
trend packs equal openpyxl-built ones; LibreOffice opens them with no error cell."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from libreoffice_helpers import soffice_or_skip
from test_packs import METHOD, synthetic_inputs
from test_packs_clone import _sheet_details, _style
from xl_league import InputError, compute_league_tables
from xl_league.libreoffice import convert, recalculating_profile
from xl_league.packs import SHEET_TREND, write_packs
from xl_league.packs.trend import order_quarters, quarter_key

DROPPED = "RA04"  # not in the oldest quarter's book


def _results(seed: int, drop: str | None = None):
    orgs, values = synthetic_inputs(seed)
    if drop:
        orgs, values = orgs[orgs["code"] != drop], values[values["code"] != drop]
    return compute_league_tables(orgs, values, METHOD)


@pytest.fixture(scope="module")
def quarters():
    return {"Q1 2025/26": _results(5, drop=DROPPED), "Q2 2025/26": _results(11),
            "Q1 2026/27": _results(23)}


@pytest.fixture(scope="module")
def trend_packs(quarters, tmp_path_factory):
    codes = ["RA00", "RA01", "RA03", DROPPED, "RB01", "RB02", "RC01"]
    history = [("Q1 2026/27", quarters["Q1 2026/27"]), ("Q1 2025/26", quarters["Q1 2025/26"])]
    base = tmp_path_factory.mktemp("trend")
    cloned = write_packs(quarters["Q2 2025/26"], base / "cloned", quarter="Q2 2025/26",
                         codes=codes, history=history)
    built = write_packs(quarters["Q2 2025/26"], base / "built", quarter="Q2 2025/26",
                        codes=codes, history=history, clone=False)
    return {p.name.split(" - ")[0]: (p, b) for p, b in zip(cloned, built)}


def test_quarters_in_time_order_by_their_labels():
    assert quarter_key("Q2 2025/26") < quarter_key("Q3 2025/26") < quarter_key("Q1 2026/27")
    assert quarter_key("q4 2025-26") == (2025, 4)
    with pytest.raises(InputError, match="not recognised"):
        quarter_key("spring")


def test_the_same_quarter_twice_is_refused(quarters):
    with pytest.raises(InputError, match="same quarter"):
        order_quarters([("Q2 2025/26", quarters["Q2 2025/26"]),
                        ("Q2 2025/26", quarters["Q1 2025/26"])])


def test_trend_sheet_shows_each_quarters_figures_in_quarter_order(quarters, trend_packs):
    order = ["Q1 2025/26", "Q2 2025/26", "Q1 2026/27"]
    for code, (path, _) in trend_packs.items():
        wb = load_workbook(path)
        assert wb.sheetnames[1] == SHEET_TREND
        ws = wb[SHEET_TREND]
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=6, max_row=8,
                                                              max_col=10)]
        assert [r[0] for r in rows] == order
        for quarter, row in zip(order, rows):
            league = quarters[quarter].league
            if code not in league.index:
                assert row[1:] == [None] * 9, (code, quarter)
                continue
            want = league.loc[code]
            assert row[1] == want["position"], (code, quarter)
            assert row[3] == pytest.approx(float(want["average_score"]))
            assert row[4] == pytest.approx(float(want["score_low"]))
            assert row[5] == pytest.approx(float(want["score_high"]))
            assert (row[6], row[7]) == (want["segment"], want["final_segment"])
            assert row[8] == pytest.approx(float(want["score_high"] - want["average_score"]))
            assert row[9] == pytest.approx(float(want["average_score"] - want["score_low"]))
    assert DROPPED in trend_packs


def test_trend_charts_position_and_average_with_likely_range(trend_packs):
    path, _ = trend_packs["RA01"]
    ws = load_workbook(path)[SHEET_TREND]
    position, average = ws._charts
    assert position.series[0].val.numRef.f == "'Trend'!$B$6:$B$8"
    assert position.y_axis.scaling.orientation == "maxMin"
    s = average.series[0]
    assert s.val.numRef.f == "'Trend'!$D$6:$D$8"
    assert s.cat.numRef.f == "'Trend'!$A$6:$A$8" or s.cat.strRef.f == "'Trend'!$A$6:$A$8"
    assert (s.errBars.plus.numRef.f, s.errBars.minus.numRef.f) == \
        ("'Trend'!$I$6:$I$8", "'Trend'!$J$6:$J$8")
    # every other chart of the pack is still there
    wb = load_workbook(path)
    assert [len(w._charts) for w in wb.worksheets] == [2, 2, 1, 0, 0]


def test_cloned_trend_packs_equal_openpyxl_built(trend_packs):
    for code, (cloned_path, built_path) in trend_packs.items():
        cloned, built = load_workbook(cloned_path), load_workbook(built_path)
        for ws_c, ws_b in zip(cloned.worksheets, built.worksheets):
            for row_c, row_b in zip(ws_c.iter_rows(), ws_b.iter_rows()):
                for a, b in zip(row_c, row_b):
                    assert (a.value, _style(a)) == (b.value, _style(b)), (code, a.coordinate)
            assert _sheet_details(ws_c) == _sheet_details(ws_b), (code, ws_c.title)


@pytest.mark.libreoffice
def test_libreoffice_opens_trend_packs_with_no_error_cell(trend_packs, tmp_path):
    soffice = soffice_or_skip("the trend packs' proof")
    profile = recalculating_profile(tmp_path / "profile")
    files = [trend_packs[c][0] for c in ("RA01", DROPPED)]
    calc = convert(files, "xlsx", tmp_path / "calc", profile=profile, soffice=soffice)
    errors = re.compile(r"^(#(NAME\?|VALUE!|REF!|DIV/0!|N/A|NUM!|NULL!)|Err:\d+)")
    for path in calc:
        wb = load_workbook(path, data_only=True)
        bad = [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows()
               for c in row if isinstance(c.value, str) and errors.match(c.value)]
        assert not bad, (path.name, bad[:5])
        assert wb[SHEET_TREND]["A6"].value == "Q1 2025/26"
    pdfs = convert(files[:1], "pdf", tmp_path / "pdf", profile=profile, soffice=soffice)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdfs[0].read_bytes()))
    assert pages >= 5  # a page per sheet at least, the Trend sheet included
