"""The ``xl-league`` command line contract (product.md "Command line contract"), through
click's CliRunner with exact output where the output is the contract.

A hand-made workbook of seven acute trusts and two ranked metrics (n = 6 trusts with values,
score = 1 + 3 × better / 5, so 1.00 1.60 2.20 2.80 3.40 4.00)::

    code  OF0013 A&E 4h  score  OF0023 RTT  score  average  deficit  RSP
    RX1   80             1.00   65          1.60   1.30     No       No
    RX2   78             1.60   70          1.00   1.30     Yes      No
    RX3   75             2.20   60          2.20   2.20     No       No
    RX4   72             2.80   55          3.40   3.10     No       No
    RX5   70             3.40   58          2.80   3.10     No       No
    RX6   65             4.00   50          4.00   4.00     No       Yes
    RX7   -                     -                  (none)   No       No

With ``--cutoffs 1.5,2.5,3.5`` (a score at or above a cut-point goes to the worse segment):
RX1 1.30 → 1; RX2 1.30 → 1, in deficit → 3; RX3 2.20 → 2; RX4 and RX5 3.10 → 3; RX6 4.00 → 4,
in the Recovery Support Programme → final segment 5; RX7 has no score, so no segment and no
position. League order by (segment, average): RX1 (1, 1.30) = 1, RX3 (2, 2.20) = 2,
RX2 (3, 1.30) = 3, RX4 = RX5 (3, 3.10) = 4 and 4, RX6 (4, 4.00) = 6 (competition ranking).

Likely ranges (``--replicates 200 --seed 1``): with two scores each replicate mean is the lower
score, the mid-point or the higher score (probabilities 1/4, 1/2, 1/4), so the 2.5 % and 97.5 %
points are the two scores themselves. Positions: RX1 is first even at 1.60 (segment 2, still
ahead of RX3's 2.20); RX3 is always 2, RX2 always 3 (segment 3 at 1.60 at worst), RX6 always 6;
RX4 and RX5 each draw from {2.80, 3.10, 3.40} and one is strictly worse with probability 5/16,
so each is 4 to 5.

Without ``--cutoffs`` the rule is national quartiles (QUARTILE.INC) of 1.30 1.30 2.20 3.10 3.10
4.00: 1.30 + 0.25 × 0.90 = 1.525, (2.20 + 3.10) / 2 = 2.65, 3.10 + 0.75 × 0 = 3.10; RX4 and RX5
(3.10, at the cut-point) fall to segment 4.

The demo runs once per module (2000 replicates on 205 trusts) and its workbook serves the
table, packs and seed tests. NHS England's published file (../shared/data) drives import-nhse;
those tests skip when it is absent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from openpyxl import load_workbook

import nhse_data
from cli_helpers import run
from xl_league import __version__, compute_league_tables, load_catalogue, load_methodology
from xl_league.workbook_io import INPUT_SHEETS, TEMPLATE_SHEETS, template_bytes
from xl_league.workbook_io.template import build_template
from xl_league.workbook_io.files import save_atomic
from xl_league.workbook_io.writer import fill_inputs

HEADER = ("type,position,code,name,average_score,metrics_scored,unadjusted_segment,in_deficit,"
          "segment,final_segment,score_low,score_high,rank_low,rank_high")
CUTOFFS = "1.5,2.5,3.5"
#: The hand-computed table above, exactly as ``table --format csv`` prints it. RX5's name
#: starts with "+", so it is neutralised with an apostrophe; RX7's comma is quoted.
EXPECTED_CSV = HEADER + "\n" + """\
acute,1,RX1,Ash Hospitals NHS Trust,1.30,2,1,No,1,1,1.00,1.60,1,1
acute,2,RX3,Cedar Hospital NHS Trust,2.20,2,2,No,2,2,2.20,2.20,2,2
acute,3,RX2,Birch University Hospitals NHS Foundation Trust,1.30,2,1,Yes,3,3,1.00,1.60,3,3
acute,4,RX4,Damson Health NHS Trust,3.10,2,3,No,3,3,2.80,3.40,4,5
acute,4,RX5,'+Elm Care NHS Trust,3.10,2,3,No,3,3,2.80,3.40,4,5
acute,6,RX6,Fir Hospitals NHS Trust,4.00,2,4,No,4,5,4.00,4.00,6,6
acute,,RX7,"Gorse, Heath and Holly NHS Trust",,0,,No,,,,,,
"""
CODES = ["RX1", "RX2", "RX3", "RX4", "RX5", "RX6", "RX7"]
NAMES = ["Ash Hospitals NHS Trust", "Birch University Hospitals NHS Foundation Trust",
         "Cedar Hospital NHS Trust", "Damson Health NHS Trust", "+Elm Care NHS Trust",
         "Fir Hospitals NHS Trust", "Gorse, Heath and Holly NHS Trust"]
#: Hand-computed positions and league segments with --cutoffs 1.5,2.5,3.5.
POSITIONS = {"RX1": 1, "RX3": 2, "RX2": 3, "RX4": 4, "RX5": 4, "RX6": 6, "RX7": None}
SEGMENTS = {"RX1": 1, "RX3": 2, "RX2": 3, "RX4": 3, "RX5": 3, "RX6": 4, "RX7": None}

NHSE_CUTS = {"Q1 2025/26": "2.05,2.325,2.62", "Q2 2025/26": "2.065,2.345,2.66"}


def small_book(path: Path) -> Path:
    """The seven-trust workbook of the module docstring (Settings as the template ships)."""
    orgs = pd.DataFrame({"code": CODES, "name": NAMES, "type": "acute", "region": "London",
                         "subtype": "Acute - Large",
                         "in_deficit": ["No", "Yes", "No", "No", "No", "No", "No"],
                         "in_rsp": ["No", "No", "No", "No", "No", "Yes", "No"]})
    values = pd.DataFrame({"OF0013": [80, 78, 75, 72, 70, 65, None],
                           "OF0023": [65, 70, 60, 55, 58, 50, None]},
                          index=pd.Index(CODES, name="code"), dtype=float)
    wb = build_template()
    fill_inputs(wb, orgs, values, quarter="Q2 2025/26")
    return save_atomic(wb, path)


def input_hash(path: Path) -> str:
    """sha256 of the cell values of the input sheets, Settings and Metrics."""
    wb = load_workbook(path)
    h = hashlib.sha256()
    for sheet in (*INPUT_SHEETS.values(), "Settings", "Metrics"):
        for row in wb[sheet].iter_rows():
            if row[0].value == "last_recalculated":  # Settings: written by each recalc
                continue
            for cell in row:
                if cell.value is not None:
                    h.update(repr((sheet, cell.coordinate, cell.value)).encode())
    return h.hexdigest()


def sheet_values(path: Path, sheet: str) -> list[tuple]:
    """Every row of a sheet as cached values (the file is closed again)."""
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()


def sheet_rows(path: Path, sheet: str) -> list[dict]:
    """A sheet's rows under its row-1 headings (until the first wholly blank row)."""
    rows = sheet_values(path, sheet)
    heads = rows[0]
    out = []
    for row in rows[1:]:
        if all(v is None for v in row):
            break
        out.append({h: v for h, v in zip(heads, row) if h is not None})
    return out


def sheet_names(path: Path) -> list[str]:
    wb = load_workbook(path, read_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def about_value(path: Path, key: str):
    for row in sheet_values(path, "About"):
        if row and row[0] == key:
            return row[1]
    raise AssertionError(f"no {key!r} on the About sheet")


def rich_rows(text: str) -> list[list[str]]:
    """The body rows of rich tables in ``text``, as stripped cell texts."""
    return [[c.strip() for c in line.strip().strip("│").split("│")]
            for line in text.splitlines() if line.startswith("│")]


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Result, Path]:
    """``xl-league demo -o out`` run once, from a fresh folder."""
    cwd = tmp_path_factory.mktemp("demo-a")
    result = run("demo", "-o", "out", cwd=cwd)
    assert result.exit_code == 0, result.output
    return result, cwd / "out" / "nof-league-tables-demo.xlsx"


@pytest.fixture
def book(tmp_path) -> Path:
    return small_book(tmp_path / "league.xlsx")


# --------------------------------------------------------------------------- --version

def test_version_prints_the_package_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"xl-league, version {__version__}\n"


# --------------------------------------------------------------------------- demo

def test_demo_writes_the_workbook_and_says_where(demo):
    result, path = demo
    assert path.is_file()
    assert result.stdout.endswith("wrote out/nof-league-tables-demo.xlsx\n")
    assert sheet_names(path) == list(TEMPLATE_SHEETS)


def test_demo_prints_top_and_bottom_of_each_table_as_written(demo):
    result, path = demo
    lines = result.stdout.splitlines()
    titles = [(i, m) for i, line in enumerate(lines)
              if (m := re.fullmatch(r"(acute|non-acute|ambulance) league table \((\d+) trusts\)",
                                    line))]
    assert [m.group(1) for _, m in titles] == ["acute", "non-acute", "ambulance"]
    sheets = {"acute": "Acute league table", "non-acute": "Non-acute league table",
              "ambulance": "Ambulance league table"}
    bounds = [i for i, _ in titles] + [len(lines)]
    for (start, m), end in zip(titles, bounds[1:]):
        org_type, count = m.group(1), int(m.group(2))
        written = sheet_rows(path, sheets[org_type])
        assert count == len(written) == {"acute": 134, "non-acute": 61, "ambulance": 10}[org_type]
        shown = rich_rows("\n".join(lines[start:end]))
        expected = written[:5] + written[-5:] if count > 10 else written
        printed = [r for r in shown if r[0] != "…"]
        assert [r[1] for r in printed] == [w["Code"] for w in expected]
        assert [int(r[0]) for r in printed] == [w["Position"] for w in expected]
        assert [r[3] for r in printed] == [f"{w['Average metric score']:.2f}" for w in expected]
        gaps = [r for r in shown if r[0] == "…"]
        assert gaps == ([["…", "", f"({count - 10} more)", "", "", "", "", "", ""]]
                        if count > 10 else [])
    cuts = sheet_rows(path, "Cut-points")[0]
    assert (f"cut-points {cuts['Pool']} ({cuts['Rule']}): {cuts['Cut-point 1']:.3f}, "
            f"{cuts['Cut-point 2']:.3f}, {cuts['Cut-point 3']:.3f}") in lines


def test_demo_is_deterministic(demo, tmp_path):
    first, _ = demo
    again = run("demo", "-o", "out", cwd=tmp_path)
    assert again.exit_code == 0
    assert again.stdout == first.stdout
    assert (tmp_path / "out" / "nof-league-tables-demo.xlsx").is_file()


# --------------------------------------------------------------------------- new

def test_new_writes_the_blank_template(tmp_path):
    target = tmp_path / "blank.xlsx"
    result = run("new", target)
    assert result.exit_code == 0
    assert result.stdout == f"wrote {target}\n"
    assert target.read_bytes() == template_bytes()
    assert sheet_names(target) == list(TEMPLATE_SHEETS)


def test_new_refuses_to_overwrite_without_force(tmp_path):
    target = tmp_path / "mine.xlsx"
    target.write_bytes(b"my own work")
    result = run("new", target)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {target} already exists: choose another name, or add "
                             "--force to replace it\n")
    assert target.read_bytes() == b"my own work"
    forced = run("new", target, "--force")
    assert forced.exit_code == 0
    assert target.read_bytes() == template_bytes()


def test_check_of_a_blank_template_says_there_are_no_organisations(tmp_path):
    target = tmp_path / "blank.xlsx"
    run("new", target)
    result = run("check", target)
    assert result.exit_code == 1
    assert result.stdout == ("the input sheets have no organisations: type (or paste) one row "
                             "per organisation into its type's input sheet, code first\n")


# --------------------------------------------------------------------------- table

def test_table_csv_is_exact(book):
    result = run("table", book, "--type", "acute", "--format", "csv", "--cutoffs", CUTOFFS,
                 "--replicates", "200", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == HEADER
    assert result.stdout == EXPECTED_CSV


def test_table_json_matches_the_csv(book):
    args = ("table", book, "--type", "acute", "--cutoffs", CUTOFFS, "--replicates", "200",
            "--seed", "1")
    rows = json.loads(run(*args, "--format", "json").stdout)
    assert [list(r) for r in rows] == [HEADER.split(",")] * len(rows)
    assert rows[3]["position"] == 4 and rows[3]["average_score"] == 3.1
    assert rows[2]["in_deficit"] is True and rows[6]["position"] is None
    assert rows[4]["name"] == "+Elm Care NHS Trust"  # JSON is data: no neutralising

    def as_csv(key, value):
        if value is None:
            return ""
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, float):
            return f"{value:.2f}"
        return "'" + value if key == "name" and value.startswith("+") else str(value)

    from_json = [{k: as_csv(k, v) for k, v in r.items()} for r in rows]
    assert from_json == list(csv.DictReader(io.StringIO(EXPECTED_CSV)))


def test_table_text_shows_each_trust(book):
    result = run("table", book, "--type", "acute", "--cutoffs", CUTOFFS, "--replicates", "200",
                 "--seed", "1")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "acute league table (7)"
    assert rich_rows(result.stdout) == [
        ["1", "RX1", "Ash Hospitals NHS Trust", "1.30", "1", "1", "No", "1.00 to 1.60", "1 to 1"],
        ["2", "RX3", "Cedar Hospital NHS Trust", "2.20", "2", "2", "No", "2.20 to 2.20", "2 to 2"],
        ["3", "RX2", "Birch University Hospitals NHS FT", "1.30", "3", "3", "Yes", "1.00 to 1.60",
         "3 to 3"],
        ["4", "RX4", "Damson Health NHS Trust", "3.10", "3", "3", "No", "2.80 to 3.40", "4 to 5"],
        ["4", "RX5", "+Elm Care NHS Trust", "3.10", "3", "3", "No", "2.80 to 3.40", "4 to 5"],
        ["6", "RX6", "Fir Hospitals NHS Trust", "4.00", "4", "5", "No", "4.00 to 4.00", "6 to 6"],
        ["", "RX7", "Gorse, Heath and Holly NHS Trust", "", "", "", "No", "", ""],
    ]


def test_table_of_the_demo_is_what_the_demo_wrote(demo):
    _, path = demo
    result = run("table", path, "--type", "non-acute", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    written = sheet_rows(path, "Non-acute league table")
    assert len(rows) == len(written) == 61
    for row, w in zip(rows, written):
        assert (row["code"], int(row["position"]), row["average_score"], int(row["segment"]),
                int(row["final_segment"]), row["score_low"], row["score_high"],
                int(row["rank_low"]), int(row["rank_high"])) == (
            w["Code"], w["Position"], f"{w['Average metric score']:.2f}", w["Segment"],
            w["Final segment"], f"{w['Likely score from']:.2f}", f"{w['Likely score to']:.2f}",
            w["Likely position from"], w["Likely position to"])


def test_seed_and_replicates_drive_the_likely_ranges(demo):
    _, path = demo

    def ranges(*opts):
        out = run("table", path, "--type", "acute", "--format", "csv", *opts).stdout
        return [r[-4:] for r in csv.reader(io.StringIO(out))][1:]

    seed1 = ranges("--replicates", "50", "--seed", "1")
    assert seed1 == ranges("--replicates", "50", "--seed", "1")
    assert seed1 != ranges("--replicates", "50", "--seed", "2")
    assert all(r == ["", "", "", ""] for r in ranges("--replicates", "0"))


# --------------------------------------------------------------------------- recalc

def test_recalc_in_place_writes_the_hand_computed_league(book):
    before = input_hash(book)
    result = run("recalc", book, "--cutoffs", CUTOFFS, "--replicates", "200", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("recalculated 7 acute; cut-points acute + non-acute + ambulance "
                             f"(fixed): 1.500, 2.500, 3.500\nwrote {book}\n")
    league = sheet_rows(book, "Acute league table")
    assert [r["Code"] for r in league] == ["RX1", "RX3", "RX2", "RX4", "RX5", "RX6", "RX7"]
    assert {r["Code"]: r["Position"] for r in league} == POSITIONS
    assert {r["Code"]: r["Segment"] for r in league} == SEGMENTS
    assert {r["Code"]: (r["Likely position from"], r["Likely position to"]) for r in league} == {
        "RX1": (1, 1), "RX3": (2, 2), "RX2": (3, 3), "RX4": (4, 5), "RX5": (4, 5),
        "RX6": (6, 6), "RX7": (None, None)}
    # inputs untouched; the overrides are for this run: shown on About, not typed into Settings
    assert input_hash(book) == before
    assert about_value(book, "Likely ranges") == "200 resamples, seed 1, 95%"
    # table (and packs) show what the last recalc wrote
    assert run("table", book, "--type", "acute", "--format", "csv").stdout == EXPECTED_CSV


def test_recalc_to_another_file_uses_the_workbooks_quartile_rule(book, tmp_path):
    original = book.read_bytes()
    out = tmp_path / "results.xlsx"
    result = run("recalc", book, "-o", out, "--replicates", "0")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("recalculated 7 acute; cut-points acute + non-acute + ambulance "
                             f"(national-quartiles): 1.525, 2.650, 3.100\nwrote {out}\n")
    assert book.read_bytes() == original
    league = {r["Code"]: r for r in sheet_rows(out, "Acute league table")}
    assert {c: r["Segment"] for c, r in league.items()} == {**SEGMENTS, "RX4": 4, "RX5": 4}
    assert all(r["Likely score from"] is None for r in league.values())
    assert about_value(out, "Likely ranges") == "off (0 resamples)"
    assert input_hash(out) == input_hash(book)


def column_of(book: Path, heading: str, sheet: str = "Acute inputs") -> str:
    """The column letter under ``heading`` in row 1 (the template decides the order)."""
    wb = load_workbook(book, read_only=True)
    try:
        row = next(wb[sheet].iter_rows(min_row=1, max_row=1))
        return next(c.column_letter for c in row if c.value == heading)
    finally:
        wb.close()


def test_recalc_refuses_a_bad_cell_and_leaves_the_file_alone(book):
    rtt = column_of(book, "OF0023")
    wb = load_workbook(book)
    wb["Acute inputs"][f"{rtt}3"] = "abc"
    wb.save(book)
    original = book.read_bytes()
    result = run("recalc", book, "--cutoffs", CUTOFFS)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"Error: 'Acute inputs'!{rtt}3: 'abc' is not a number for OF0023 (Percentage of patients "
        "waiting 18 weeks or less for treatment (RTT)): type a number or leave it blank",
        f"{book} was not recalculated and is unchanged: 1 problem to correct first"]
    assert book.read_bytes() == original


def test_read_results_keeps_unranked_organisations(book):
    from xl_league.workbook_io import read_results

    run("recalc", book, "--cutoffs", CUTOFFS, "--replicates", "0")
    assert list(read_results(book)["acute"]["code"]) == ["RX1", "RX3", "RX2", "RX4", "RX5",
                                                         "RX6", "RX7"]


# --------------------------------------------------------------------------- check

def test_check_a_clean_workbook(book):
    from xl_league.run import check_book

    result = run("check", book)
    assert result.exit_code == 0
    # what a recalculation would warn about is listed too (the sample leaves columns blank)
    warnings = [f"warning: {w}" for w in check_book(book).warnings]
    assert result.stdout.splitlines() == [*warnings, f"{book}: no problems found"]


def test_check_lists_one_line_per_problem(book):
    rtt, deficit, ae = (column_of(book, h) for h in ("OF0023", "In deficit", "OF0013"))
    wb = load_workbook(book)
    ws = wb["Acute inputs"]
    ws[f"{rtt}3"] = "abc"                 # RX2's RTT
    ws[f"{deficit}4"] = "Maybe"           # RX3's deficit flag
    ws["A9"], ws[f"{ae}9"] = "RX1", 66    # RX1 again, with an A&E value
    wb.save(book)
    original = book.read_bytes()
    result = run("check", book)
    assert result.exit_code == 1
    assert (rtt, deficit) == ("G", "E")  # as the contract's example names them
    assert [line for line in result.stdout.splitlines()
            if not line.startswith("warning: ")] == [
        "'Acute inputs'!G3: 'abc' is not a number for OF0023 (Percentage of patients waiting 18 "
        "weeks or less for treatment (RTT)): type a number or leave it blank",
        "'Acute inputs'!E4: 'Maybe' is not Yes or No for In deficit: type Yes or No, or leave "
        "it blank",
        "'Acute inputs'!A9: RX1 is already in row 2: each organisation once only, so delete or "
        "correct one of the rows",
    ]
    assert book.read_bytes() == original


# --------------------------------------------------------------------------- packs

def pack_summary(path: Path) -> tuple[str, object, object]:
    values = sheet_values(path, "Summary")
    rows: dict = {}
    for row in values:
        rows.setdefault(row[0], row[1])  # the first "League position" (a later one is a range)
    return values[0][0], rows["League position"], rows["Adjusted segment (league segment)"]


def test_packs_for_every_organisation(book, tmp_path):
    run("recalc", book, "--cutoffs", CUTOFFS, "--replicates", "0")
    out = tmp_path / "packs"
    result = run("packs", book, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote 7 packs to {out}\n"
    files = sorted(out.glob("*.xlsx"))
    assert [f.name.split(" - ")[0] for f in files] == CODES
    for f, code, name in zip(files, CODES, NAMES):
        assert pack_summary(f) == (f"{name} ({code})", POSITIONS[code], SEGMENTS[code])


def test_packs_for_chosen_organisations(demo, tmp_path):
    _, path = demo
    acute = sheet_rows(path, "Acute league table")[0]
    non_acute = sheet_rows(path, "Non-acute league table")[-1]
    out = tmp_path / "packs"
    result = run("packs", path, "-o", out, "--org", acute["Code"], "--org", non_acute["Code"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote 2 packs to {out}\n"
    files = sorted(out.iterdir())
    assert sorted(f.name.split(" - ")[0] for f in files) == sorted([acute["Code"],
                                                                     non_acute["Code"]])
    summaries = {pack_summary(f)[0]: pack_summary(f)[1:] for f in files}
    assert summaries == {
        f"{w['Organisation']} ({w['Code']})": (w["Position"], w["Segment"])
        for w in (acute, non_acute)}


# --------------------------------------------------------------------------- import-nhse

@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> dict[str, tuple[Result, Path]]:
    """NHS England's file imported with published scores: Q1 named, Q2 by default (latest)."""
    if not nhse_data.MH_CSV.exists():
        pytest.skip(nhse_data.SKIP_REASON)
    folder = tmp_path_factory.mktemp("nhse")
    q1, q2 = folder / "q1.xlsx", folder / "q2.xlsx"
    return {
        "Q1 2025/26": (run("import-nhse", nhse_data.MH_CSV, "-o", q1, "--quarter",
                           "Q1 2025/26", "--scores", "published", "--cutoffs",
                           NHSE_CUTS["Q1 2025/26"]), q1),
        "Q2 2025/26": (run("import-nhse", nhse_data.MH_CSV, "-o", q2, "--cutoffs",
                           NHSE_CUTS["Q2 2025/26"]), q2),
    }


@pytest.mark.nhse_data
@pytest.mark.parametrize("quarter", nhse_data.QUARTERS)
def test_import_nhse_writes_a_filled_workbook(imported, quarter):
    result, path = imported[quarter]
    assert result.exit_code == 0, result.output
    data = nhse_data.long_data()
    trusts = data.loc[data["Quarter"] == quarter, "Trust_code"].nunique()
    c1, c2, c3 = (float(c) for c in NHSE_CUTS[quarter].split(","))
    assert result.stdout == (f"imported {quarter}: {trusts} non-acute (published scores)\n"
                             f"cut-points given with --cutoffs at import: {c1:g}, {c2:g}, "
                             f"{c3:g}; domain cut-points likewise from the published domain "
                             "segments of 5 domain(s) (Settings: domain_cut_points)\n"
                             "cut-points acute + non-acute + ambulance (fixed): "
                             f"{c1:.3f}, {c2:.3f}, {c3:.3f}\nwrote {path}\n")
    settings = {r["Setting"]: r["Value"] for r in sheet_rows(path, "Settings")}
    assert (settings["quarter"], settings["cut_point_rule"], settings["cut_point_1"],
            settings["cut_point_2"], settings["cut_point_3"]) == (quarter, "fixed", c1, c2, c3)
    codes = [r["Code"] for r in sheet_rows(path, "Non-acute inputs")]
    assert sorted(codes) == sorted(data.loc[data["Quarter"] == quarter, "Trust_code"].unique())
    # published scores are kept beside the raw values, ranked metrics' scores included
    by_column = load_catalogue().by_column()
    scored = {by_column[h][0].scoring for h in sheet_values(path, "Non-acute inputs")[0]
              if h in by_column and by_column[h][1] == "score"}
    assert {"ranked", "supplied"} <= scored


@pytest.mark.nhse_data
@pytest.mark.parametrize("quarter", nhse_data.QUARTERS)
def test_table_reproduces_nhs_englands_positions_and_segments(imported, quarter):
    _, path = imported[quarter]
    result = run("table", path, "--type", "non-acute", "--format", "csv")
    assert result.exit_code == 0, result.output
    ours = pd.read_csv(io.StringIO(result.stdout), dtype={"code": str}).set_index("code")
    published = nhse_data.published(quarter)
    ranks = nhse_data.published(quarter, "Rank")["OF5000"]
    assert sorted(ours.index) == sorted(published.index)
    for column, metric in (("unadjusted_segment", "OF5003"), ("segment", "OF5000"),
                           ("final_segment", "OF5005")):
        assert ours[column].to_dict() == published[metric].astype(int).to_dict(), column
    # the import reconstructs NHS England's unrounded scores: no rounding cases remain
    differ = {c for c in ours.index if ours.at[c, "position"] != ranks[c]}
    assert differ == set()


@pytest.mark.nhse_data
def test_import_nhse_raw_scores_rescore_the_raw_values(tmp_path):
    if not nhse_data.MH_CSV.exists():
        pytest.skip(nhse_data.SKIP_REASON)
    quarter = "Q1 2025/26"
    path = tmp_path / "raw.xlsx"
    result = run("import-nhse", nhse_data.MH_CSV, "-o", path, "--quarter", quarter,
                 "--scores", "raw", "--cutoffs", NHSE_CUTS[quarter])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"imported {quarter}: 61 non-acute (raw scores)\n")
    # raw values only: the only score columns are of metrics scored outside the engine (CQC)
    by_column = load_catalogue().by_column()
    scored = {by_column[h][0].scoring for h in sheet_values(path, "Non-acute inputs")[0]
              if h in by_column and by_column[h][1] == "score"}
    assert scored == {"supplied"}
    table = run("table", path, "--type", "non-acute", "--format", "csv", "--replicates", "0")
    ours = pd.read_csv(io.StringIO(table.stdout), dtype={"code": str}).set_index("code")
    # the same quarter scored by the engine straight from the published file
    meth = load_methodology().with_settings(cut_points=(2.05, 2.325, 2.62),
                                            bootstrap_replicates=0)
    cat = load_catalogue(meth)
    # NHS England ranks the unrounded values: its Rank column is their order within the file
    # (the import sets values tied at the printed precision apart in that order)
    values = nhse_data.raw_inputs(quarter, cat).copy()
    rank = nhse_data.published(quarter, "Rank")
    for m in cat:
        if m.scoring == "ranked" and m.value_id in values.columns and not m.floor:
            order = rank[m.value_id].reindex(values.index)
            values[m.value_id] = -order if m.higher_is_better else order
    direct = compute_league_tables(nhse_data.organisations(quarter), values, meth, cat
                                   ).table("non-acute")
    assert list(ours.index) == list(direct.index)
    assert ours["position"].tolist() == direct["position"].astype(int).tolist()
    assert ours["segment"].tolist() == direct["segment"].astype(int).tolist()
    assert ours["average_score"].tolist() == direct["average_score"].round(2).tolist()
    # rescored, so not NHS England's averages everywhere, but close to them
    gap = (ours["average_score"] - nhse_data.published(quarter)["OF5002"]).abs()
    assert 0 < gap.max() <= 0.10


@pytest.mark.nhse_data
def test_import_nhse_never_overwrites_a_workbook(imported):
    _, path = imported["Q1 2025/26"]
    original = path.read_bytes()
    result = run("import-nhse", nhse_data.MH_CSV, "-o", path)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {path} already exists: choose a new file name (xl-league "
                             "never overwrites a workbook with an import)\n")
    assert path.read_bytes() == original
