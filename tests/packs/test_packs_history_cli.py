"""``xl-league packs BOOK --history BOOK...`` with NHS England's published Q1 and Q2 2025/26
mental health and community trust data: each pack gets the trust's trend, quarters in the
order the books record."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from cli_helpers import run
from nhse_data import MH_CSV, requires_data
from xl_league.jobs import import_nhse
from xl_league.run import open_run

pytestmark = requires_data
CUTS = (2.065, 2.345, 2.665)


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    base = tmp_path_factory.mktemp("history-books")
    return {q: import_nhse([MH_CSV], base / f"{q[:2]}.xlsx", quarter=q, cut_points=CUTS).path
            for q in ("Q1 2025/26", "Q2 2025/26")}


def test_packs_with_history_add_the_trusts_trend(books, tmp_path):
    # the later book first: the trend still runs Q1 then Q2
    result = run("packs", books["Q2 2025/26"], "-o", tmp_path, "--org", "R1A",
                 "--history", books["Q1 2025/26"])
    assert result.exit_code == 0, result.output
    (pack,) = tmp_path.glob("R1A - *.xlsx")
    assert pack.name == "R1A - Herefordshire and Worcestershire Health and Care NHS Trust.xlsx"
    ws = load_workbook(pack)["Trend"]
    assert [ws.cell(r, 1).value for r in (6, 7)] == ["Q1 2025/26", "Q2 2025/26"]
    for row, quarter in ((6, "Q1 2025/26"), (7, "Q2 2025/26")):
        results = open_run(books[quarter]).results
        want = results.league.loc["R1A"]
        assert ws.cell(row, 2).value == want["position"]
        assert ws.cell(row, 4).value == pytest.approx(float(want["average_score"]))
        assert (ws.cell(row, 7).value, ws.cell(row, 8).value) == \
            (want["segment"], want["final_segment"])
    assert len(ws._charts) == 2


def test_the_same_quarter_twice_is_refused_with_the_quarter_named(books, tmp_path):
    result = run("packs", books["Q2 2025/26"], "-o", tmp_path, "--org", "R1A",
                 "--history", books["Q2 2025/26"])
    assert result.exit_code != 0
    assert "same quarter" in result.output and "Q2 2025/26" in result.output
    assert not list(tmp_path.glob("*.xlsx"))
