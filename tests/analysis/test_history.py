"""``xl-league history``: quarters lined up per organisation, ordered by the recorded quarter.

Hand-made books (tests/analysis/test_analysis_cli.py's five acute trusts) for the exact output
and the errors; NHS England's Q1 and Q2 2025/26 mental health and community trust data
(imported with the published cut-points) for agreement with ``table`` and the workbook.
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from cli_helpers import run
from libreoffice_helpers import soffice_or_skip
from nhse_data import MH_CSV, SKIP_REASON
from test_analysis_cli import make_book, organisations, values
from xl_league.analysis.history import HISTORY_COLUMNS, quarter_key
from xl_league.libreoffice import convert

HEADER = ("quarter,type,code,name,position,average_score,unadjusted_segment,segment,"
          "final_segment,score_low,score_high,rank_low,rank_high,significant")


@pytest.fixture
def books(tmp_path):
    q1 = make_book(tmp_path / "q1.xlsx", organisations(), values(), "Q1 2025/26")
    q2 = make_book(tmp_path / "q2.xlsx", organisations(("No", "No", "No", "No", "No")),
                   values(a4=78.0), "Q2 2025/26")
    return q1, q2


HISTORY_CSV = HEADER + """
Q1 2025/26,acute,A1,Ash,1,1.75,1,1,1,,,,,
Q2 2025/26,acute,A1,Ash,1,1.75,1,1,1,,,,,No
Q1 2025/26,acute,A2,Birch,3,1.38,1,3,3,,,,,
Q2 2025/26,acute,A2,Birch,1,1.75,1,1,1,,,,,No
Q1 2025/26,acute,A4,Damson,2,2.50,2,2,2,,,,,
Q2 2025/26,acute,A4,Damson,1,1.75,1,1,1,,,,,No
Q1 2025/26,acute,A3,Cedar,4,3.25,3,3,3,,,,,
Q2 2025/26,acute,A3,Cedar,4,3.63,4,4,4,,,,,No
Q1 2025/26,acute,A5,Elm,5,3.63,4,4,4,,,,,
Q2 2025/26,acute,A5,Elm,4,3.63,4,4,4,,,,,No
"""


def test_history_csv_exact_and_ordered_by_the_recorded_quarter(books):
    q1, q2 = books
    result = run("history", q2, q1, "--format", "csv")       # given newest first
    assert result.exit_code == 0, result.output
    assert result.stdout == HISTORY_CSV
    assert ",".join(HISTORY_COLUMNS) == HEADER
    assert run("history", q1, q2, "--format", "csv").stdout == HISTORY_CSV


def test_history_json_and_text(books):
    data = json.loads(run("history", *books, "--format", "json").stdout)
    assert [q["quarter"] for q in data["quarters"]] == ["Q1 2025/26", "Q2 2025/26"]
    assert [q["book"] for q in data["quarters"]] == ["q1.xlsx", "q2.xlsx"]
    assert len(data["rows"]) == 10 and data["rows"][0]["significant"] is None
    movers = [(m["code"], m["places_gained"]) for m in data["movers"]]
    assert movers == [("A2", 2), ("A4", 1), ("A5", 1)]
    text = run("history", *books).stdout
    assert "History: acute" in text and "Largest movers" in text
    assert "Q1 2025/26 pos" in text and "Q2 2025/26 signif." in text


def test_quarters_are_financial_quarters():
    labels = ["Q1 2026/27", "Q4 2025/26", "q2 2025/2026", "Q1 2025/26"]
    assert sorted(labels, key=quarter_key) == ["Q1 2025/26", "q2 2025/2026", "Q4 2025/26",
                                               "Q1 2026/27"]
    for bad in ("2025/26 Q1", "Q5 2025/26", "Q1 2025/27", "Quarter 1"):
        with pytest.raises(ValueError):
            quarter_key(bad)


@pytest.mark.parametrize("quarters, message", [
    (("Q2 2025/26", "Q2 2025/26"), "q1.xlsx and q2.xlsx are both Q2 2025/26: give one "
                                   "workbook per quarter"),
    (("Q1 2025/26", "second quarter"), "q2.xlsx: the quarter on the Settings sheet, 'second "
                                       "quarter' is not a quarter like Q2 2025/26: write it as "
                                       "Q1 to Q4 and the financial year, e.g. Q2 2025/26"),
    (("Q1 2025/26", None), "q2.xlsx: no quarter is recorded (the 'quarter' row of the Settings "
                           "sheet is blank): type the quarter of its data there, e.g. Q2 2025/26"),
])
def test_quarter_errors_name_the_book(tmp_path, quarters, message):
    paths = [make_book(tmp_path / f"q{i}.xlsx", organisations(), values(), q)
             for i, q in enumerate(quarters, start=1)]
    result = run("history", *paths, "--format", "csv")
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"


def test_the_same_book_twice(books):
    result = run("history", books[0], books[1], books[0])
    assert result.exit_code == 1
    assert result.output == "Error: q1.xlsx is given twice: give one workbook per quarter\n"


def test_history_output_rules(books, tmp_path):
    result = run("history", *books, "-o", books[0])
    assert result.exit_code == 1 and "is one of the books read" in result.output
    other = tmp_path / "notes.xlsx"
    other.write_bytes(books[0].read_bytes())
    result = run("history", *books, "-o", other)
    assert result.exit_code == 1
    assert "already exists and is not a history workbook" in result.output
    out = tmp_path / "history.xlsx"
    for _ in range(2):                                     # a history workbook is replaced
        result = run("history", *books, "--format", "csv", "-o", out)
        assert result.exit_code == 0, result.output
        assert result.stdout == HISTORY_CSV
    wb = load_workbook(out)
    assert wb.sheetnames == ["History", "Acute history", "Acute trends", "Movers"]
    ws = wb["Acute history"]
    assert [c.value for c in ws[5]][:9] == ["Code", "Organisation", "Position", "Segment",
                                            "Average score", "Position", "Segment",
                                            "Average score", "Significant change"]
    assert [c.value for c in ws[6]][:9] == ["A1", "Ash", 1, 1, 1.75, 1, 1, 1.75, "No"]
    assert [c.value for c in ws[7]][:9] == ["A2", "Birch", 3, 3, 1.38, 1, 1, 1.75, "No"]


# --- NHS England's data: history agrees with table ---------------------------------------------

CUTS = {"Q1 2025/26": "2.05,2.325,2.62", "Q2 2025/26": "2.065,2.345,2.66"}


@pytest.fixture(scope="module")
def nhse_books(tmp_path_factory):
    if not MH_CSV.exists():
        pytest.skip(SKIP_REASON)
    folder = tmp_path_factory.mktemp("nhse")
    paths = []
    for quarter, cuts in CUTS.items():
        path = folder / f"{quarter[:2]}.xlsx"
        result = run("import-nhse", MH_CSV, "-o", path, "--quarter", quarter, "--cutoffs", cuts)
        assert result.exit_code == 0, result.output
        paths.append(path)
    return paths


@pytest.mark.nhse_data
def test_history_of_nhse_quarters_agrees_with_each_table(nhse_books, tmp_path):
    q1, q2 = nhse_books
    result = run("history", q2, q1, "--format", "csv", "-o", tmp_path / "history.xlsx")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == HEADER
    history = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    shared = ["type", "code", "name", "position", "average_score", "unadjusted_segment",
              "segment", "final_segment", "score_low", "score_high", "rank_low", "rank_high"]
    for quarter, book in (("Q1 2025/26", q1), ("Q2 2025/26", q2)):
        table = run("table", book, "--type", "non-acute", "--format", "csv")
        assert table.exit_code == 0, table.output
        expected = pd.read_csv(io.StringIO(table.stdout), dtype=str, keep_default_na=False)
        got = history[history["quarter"] == quarter]
        assert len(got) == len(expected) == 61
        columns = [c for c in shared if c != "code"]
        pd.testing.assert_frame_equal(got.set_index("code").loc[expected["code"], columns],
                                      expected.set_index("code")[columns])
    # significant: blank in the first quarter; in Q2 the paired test (as compare) finds 7
    assert set(history.loc[history["quarter"] == "Q1 2025/26", "significant"]) == {""}
    assert history.loc[history["quarter"] == "Q2 2025/26", "significant"].value_counts(
        ).to_dict() == {"No": 54, "Yes": 7}
    compare = run("compare", q1, q2, "--format", "csv")
    flags = {r["code"]: r["significant"] for r in csv.DictReader(io.StringIO(compare.stdout))}
    q2_flags = history[history["quarter"] == "Q2 2025/26"].set_index("code")["significant"]
    assert q2_flags.to_dict() == flags


@pytest.mark.libreoffice
@pytest.mark.nhse_data
def test_the_history_workbook_opens_in_libreoffice(nhse_books, tmp_path):
    soffice = soffice_or_skip("the history workbook's rendering")
    out = tmp_path / "history.xlsx"
    assert run("history", *nhse_books, "--format", "csv", "-o", out).exit_code == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["History", "Non-acute history", "Non-acute trends", "Movers"]
    charts = wb["Non-acute trends"]._charts
    assert [type(c).__name__ for c in charts] == ["BarChart", "LineChart", "LineChart"]
    assert [len(c.series) for c in charts] == [5, 3, 8]
    assert charts[0].series[0].val.numRef.f == "'Non-acute trends'!$B$42:$B$43"
    movers = wb["Movers"]
    assert movers["E5"].value == "North East London NHS Foundation Trust"   # 4 → 29
    assert [movers.cell(row=5, column=c).value for c in (6, 7, 8)] == [4, 29, -25]

    profile = tmp_path / "lo-profile"
    (recalculated,) = convert([out], "xlsx", tmp_path / "lo", profile=profile, soffice=soffice,
                              timeout=180)
    shown = load_workbook(recalculated)
    errors = [f"{ws.title}!{c.coordinate}={c.value}" for ws in shown for row in ws.iter_rows()
              for c in row if isinstance(c.value, str)
              and (c.value.startswith("#") or c.value.startswith("Err:"))]
    assert errors == []
    (pdf,) = convert([out], "pdf", tmp_path / "pdf", profile=profile, soffice=soffice,
                     timeout=180)
    assert pdf.read_bytes()[:5] == b"%PDF-"
