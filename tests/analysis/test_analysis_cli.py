"""The whatif, what-it-takes, compare and explain commands, through click's CliRunner.

Workbooks are real templates filled with five acute trusts (fixed cut-points 2.0 / 2.6 / 3.3,
likely ranges off so the output is exact). Old quarter:

    code  OF0013 → score  OF0082 → score  average  segment          position
    A1    80 → 1.00       5.0 → 2.50      1.75     1                1
    A2    75 → 1.75       4.0 → 1.00      1.38     1, deficit → 3   3
    A3    70 → 2.50       6.0 → 4.00      3.25     3                4
    A4    65 → 3.25       4.5 → 1.75      2.50     2                2
    A5    60 → 4.00       5.5 → 3.25      3.63     4                5

New quarter: A4 reaches 78 on OF0013 (1.75; A2 falls to 2.50, A3 to 3.25) and A2 is out of
deficit: A1 A2 A4 all (1, 1.75); A3 and A5 (4, 3.63).
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from xl_league import compute_league_tables, load_methodology
from xl_league.analysis import compare
from xl_league.cli import main
from xl_league.cli.analysis_commands import (COMMANDS, compare_command, explain_command,
                                             what_it_takes_command, whatif_command)
from xl_league.analysis.render import compare_csv, neutralise
from xl_league.workbook_io import INPUT_SHEETS, build_template, fill_inputs, save_atomic
from nhse_data import MH_CSV
from nhse_data import SKIP_REASON as NO_DATA

CODES = ["A1", "A2", "A3", "A4", "A5"]


def organisations(deficit=("No", "Yes", "No", "No", "No")) -> pd.DataFrame:
    return pd.DataFrame({"code": CODES, "name": ["Ash", "Birch", "Cedar", "Damson", "Elm"],
                         "type": "acute", "region": "London", "subtype": "Acute - Large",
                         "in_deficit": list(deficit), "in_rsp": None})


def values(a4=65.0) -> pd.DataFrame:
    return pd.DataFrame({"OF0013": [80.0, 75.0, 70.0, a4, 60.0],
                         "OF0082": [5.0, 4.0, 6.0, 4.5, 5.5]}, index=pd.Index(CODES, name="code"))


def make_book(path: Path, orgs: pd.DataFrame, vals: pd.DataFrame, quarter: str,
              cuts=(2.0, 2.6, 3.3), replicates: int = 0) -> Path:
    wb = build_template()
    fill_inputs(wb, orgs, vals, quarter)
    settings = {"cut_point_rule": "fixed", "cut_point_1": cuts[0], "cut_point_2": cuts[1],
                "cut_point_3": cuts[2], "bootstrap_replicates": replicates}
    for row in wb["Settings"].iter_rows(min_col=1, max_col=2):
        if row[0].value in settings:
            row[1].value = settings[row[0].value]
    return save_atomic(wb, path)


@pytest.fixture
def books(tmp_path):
    old = make_book(tmp_path / "q1.xlsx", organisations(), values(), "Q1 2025/26")
    new = make_book(tmp_path / "q2.xlsx", organisations(("No", "No", "No", "No", "No")),
                    values(a4=78.0), "Q2 2025/26")
    return old, new


def run(command, *args):
    """The command as a user runs it: through xl-league's group (its one error wrapper)."""
    return CliRunner().invoke(main, [command.name, *(str(a) for a in args)])


def input_fingerprint(path: Path) -> dict[str, str]:
    """A hash of every input sheet's cell values and styles."""
    wb = load_workbook(path)
    out = {}
    for name in INPUT_SHEETS.values():
        ws = wb[name]
        text = repr([(c.coordinate, c.value, c.style_id) for row in ws.iter_rows() for c in row])
        out[name] = hashlib.sha256(text.encode()).hexdigest()
    return out


COMPARE_CSV = """\
code,name,type,position_old,position_new,segment_old,segment_new,cause,position_change,\
final_segment_old,final_segment_new,unadjusted_segment_old,unadjusted_segment_new,average_old,\
average_new,in_deficit_old,in_deficit_new,override_old,override_new,change_low,change_high,\
significant
A1,Ash,acute,1,1,1,1,no change,0,1,1,1,1,1.75,1.75,No,No,No,No,0.00,0.00,No
A4,Damson,acute,2,1,2,1,score change,1,2,1,2,1,2.50,1.75,No,No,No,No,-1.50,0.00,No
A2,Birch,acute,3,1,3,1,override removed,2,3,1,1,1,1.38,1.75,Yes,No,Yes,No,0.00,0.75,No
A3,Cedar,acute,4,4,3,4,score change,0,3,4,3,4,3.25,3.63,No,No,No,No,0.00,0.75,No
A5,Elm,acute,5,4,4,4,peers moved,1,4,4,4,4,3.63,3.63,No,No,No,No,0.00,0.00,No
"""


def test_compare_csv_exact(books):
    result = run(compare_command, *books, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == COMPARE_CSV
    assert result.stdout.startswith(
        "code,name,type,position_old,position_new,segment_old,segment_new,cause,")
    assert result.stdout.splitlines()[0].endswith(",significant")
    assert result.stderr == ""


def test_compare_json_and_text(books):
    rows = json.loads(run(compare_command, *books, "--format", "json").stdout)
    assert [r["cause"] for r in rows] == ["no change", "score change", "override removed",
                                          "score change", "peers moved"]
    assert rows[2]["in_deficit_old"] is True and rows[2]["significant"] is False
    text = run(compare_command, *books).stdout
    assert "Q1 2025/26 to Q2 2025/26: acute" in text
    assert "override removed" in text
    assert "Causes: score change 2, no change 1, override removed 1, peers moved 1" in text
    assert "Significant: 0 of 5 changes in average metric score." in text


def test_compare_warns_when_no_organisation_is_in_common(books, tmp_path):
    other = make_book(tmp_path / "other.xlsx", organisations().assign(
        code=["B1", "B2", "B3", "B4", "B5"]), values().set_axis(
        pd.Index(["B1", "B2", "B3", "B4", "B5"], name="code")), "Q2 2025/26")
    result = run(compare_command, books[0], other, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stderr == ("warning: the two quarters have no organisation in common: every "
                             "organisation is 'new' or 'left' (are these books of the same "
                             "organisations, e.g. the same trust types?)\n")
    causes = pd.read_csv(io.StringIO(result.stdout))["cause"]
    assert sorted(causes) == ["left"] * 5 + ["new"] * 5


WHATIF_CSV = """\
code,name,position_before,position_after,movement,average_before,average_after,segment_before,\
segment_after,final_segment_before,final_segment_after,scores_changed
A1,Ash,1,1,0,1.75,1.75,1,1,1,1,
A4,Damson,2,1,1,2.50,1.75,2,1,2,1,OF1013
A2,Birch,3,3,0,1.38,1.75,3,3,3,3,OF1013
A3,Cedar,4,4,0,3.25,3.63,3,4,3,4,OF1013
A5,Elm,5,4,1,3.63,3.63,4,4,4,4,
"""


def test_whatif_csv_exact(books):
    result = run(whatif_command, books[0], "--org", "A4", "--set", "OF0013=78", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == WHATIF_CSV


def test_whatif_text_and_json(books):
    result = run(whatif_command, books[0], "--org", "a2", "--deficit", "no")
    assert result.exit_code == 0, result.output
    assert "What if: A2 Birch (acute)" in result.stdout
    assert "No other organisation's metric scores changed." in result.stdout
    data = json.loads(run(whatif_command, books[0], "--org", "A4", "--set", "OF0013=78",
                          "--format", "json").stdout)
    assert data["before"]["position"] == 2 and data["after"]["position"] == 1
    assert sorted(data["others_affected"]) == ["A2", "A3"]
    assert data["cut_points"] == "fixed at before"


def test_what_it_takes_csv(books):
    result = run(what_it_takes_command, books[0], "--org", "A3", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("metric,name,value_id,domain,direction,current_value,"
                               "current_score,score_supplied,comparison,target_value")
    assert lines[1] == ("OF1013,Percentage of A&E attendances seen within 4 hours,OF0013,"
                        "Access to services,higher,70,2.50,No,>=,80,10,1.00,2.50,2,2,2,Yes,")
    assert lines[2].startswith("OF1082,Sickness absence rate,OF0082,People and workforce,lower,"
                               "6,4.00,No,<=,5,-1,2.50,2.50,2,2,2,Yes")


def test_explain_text_and_json(books):
    result = run(explain_command, books[0], "--org", "A2")
    assert result.exit_code == 0, result.output
    assert ("In deficit (flag from the workbook): the financial override caps the segment at 3; "
            "without it the average 1.38 would be segment 1.") in result.stdout
    data = json.loads(run(explain_command, books[0], "--org", "A3", "--format", "json").stdout)
    assert data["summary"]["segment"] == 3
    assert sum(m["contribution"] or 0 for m in data["metrics"]) == pytest.approx(3.25)


@pytest.mark.parametrize("command, args, message", [
    (explain_command, ["--org", "ZZ9"], "organisation 'ZZ9' is not in the inputs"),
    (whatif_command, ["--org", "A1", "--set", "OF9999=1"], "'OF9999' is not in the 2025/26"),
    (whatif_command, ["--org", "A1"], "nothing to change"),
    (what_it_takes_command, ["--org", "NOPE"], "'NOPE' is not in the inputs"),
])
def test_user_errors_exit_1_with_one_message(books, command, args, message):
    result = run(command, books[0], *args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args, message", [
    (["--set", "OF0013"], "write METRIC=VALUE"),
    (["--set", "OF0013=lots"], "'lots' is not a number"),
    (["--deficit", "maybe"], "'maybe' is not one of"),
    (["--format", "xml"], "'xml' is not one of"),
    (["--cutoffs", "3,2,1"], "three increasing numbers"),
])
def test_usage_errors_exit_2(books, args, message):
    result = run(whatif_command, books[0], "--org", "A1", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_missing_or_broken_workbooks_exit_1(books, tmp_path):
    result = run(explain_command, tmp_path / "nothere.xlsx", "--org", "A1")
    assert result.exit_code == 1 and "Traceback" not in result.output
    bad = make_book(tmp_path / "bad.xlsx", organisations(), values(), "Q1 2025/26")
    wb = load_workbook(bad)
    wb["Acute inputs"]["G3"] = "abc"
    wb.save(bad)
    result = run(compare_command, books[0], bad)
    assert result.exit_code == 1
    assert "'Acute inputs'!G3" in result.output and "problem(s) to correct first" in result.output


def test_output_sheets_added_without_touching_inputs(books, tmp_path):
    old, new = books
    before = input_fingerprint(old)
    original = old.read_bytes()
    out = tmp_path / "explained.xlsx"
    result = run(explain_command, old, "--org", "A3", "-o", out)
    assert result.exit_code == 0, result.output
    assert old.read_bytes() == original                 # -o to a new file: the book untouched
    wb = load_workbook(out)
    assert "Explain A3" in wb.sheetnames and set(INPUT_SHEETS.values()) <= set(wb.sheetnames)
    assert input_fingerprint(out) == before
    # in place, twice: the sheet is replaced, not duplicated; inputs unchanged
    for _ in range(2):
        assert run(whatif_command, old, "--org", "A4", "--set", "OF0013=78", "-o", old,
                   "--format", "csv").exit_code == 0
    wb = load_workbook(old)
    assert wb.sheetnames.count("What-if") == 1 and input_fingerprint(old) == before
    assert run(what_it_takes_command, old, "--org", "A3", "-o", old).exit_code == 0
    assert "What it takes A3" in load_workbook(old).sheetnames
    result = run(compare_command, old, new, "-o", tmp_path / "compare.xlsx", "--format", "csv")
    assert result.exit_code == 0 and result.stdout == COMPARE_CSV
    ws = load_workbook(tmp_path / "compare.xlsx")["Compare"]
    assert [c.value for c in ws[1]][:3] == ["Code", "Organisation", "Type"]
    assert [c.value for c in ws[4]][:8] == ["A2", "Birch", "acute", 3, 1, 3, 1,
                                            "override removed"]


def test_output_must_be_a_workbook(books, tmp_path):
    result = run(explain_command, books[0], "--org", "A3", "-o", tmp_path / "out.csv")
    assert result.exit_code == 1 and "must be an .xlsx workbook" in result.output


def test_csv_neutralises_formula_text():
    assert neutralise("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert [neutralise(t) for t in ("+44 Trust", "-Trust", "@SUM(A1)", "-1.5", "Ash")] == \
        ["'+44 Trust", "'-Trust", "'@SUM(A1)", "-1.5", "Ash"]
    orgs = pd.DataFrame({"code": ["X1", "X2", "X3", "X4"], "type": "acute",
                         "name": ["=cmd|' /C calc'!A0", "+Trust", "@Trust", "-Trust"]})
    vals = pd.DataFrame({"OF0013": [80.0, 70.0, 60.0, 50.0]}, index=orgs["code"])
    res = compute_league_tables(orgs, vals, load_methodology().with_settings(
        cut_points=(2.0, 2.6, 3.3), bootstrap_replicates=0))
    text = compare_csv(compare(res, res))
    assert "'=cmd|' /C calc'!A0" in text and ",'+Trust," in text and ",'@Trust," in text
    assert ",'-Trust," in text and ",=cmd" not in text


def test_commands_are_click_commands_with_help():
    assert [c.name for c in COMMANDS] == ["whatif", "what-it-takes", "compare", "explain",
                                          "history"]
    for command in COMMANDS:
        result = CliRunner().invoke(command, ["--help"])
        assert result.exit_code == 0 and "Example: xl-league" in result.output


# --- real data -------------------------------------------------------------------------------



@pytest.mark.nhse_data
@pytest.mark.skipif(not MH_CSV.exists(), reason=NO_DATA)
def test_real_q1_to_q2_from_the_command_line(tmp_path):
    from xl_league.nhse import read_nhse_trust_data

    paths, published = [], {}
    for q, cuts in (("Q1 2025/26", (2.05, 2.325, 2.62)), ("Q2 2025/26", (2.065, 2.345, 2.66))):
        imp = read_nhse_trust_data(MH_CSV, quarter=q, scores="published")
        wb = build_template()
        fill_inputs(wb, imp.organisations, imp.values, q, catalogue=imp.catalogue)
        path = save_atomic(wb, tmp_path / f"{q[:2]}.xlsx")
        make_settings = load_workbook(path)
        for row in make_settings["Settings"].iter_rows(min_col=1, max_col=2):
            key = row[0].value
            if key == "cut_point_rule":
                row[1].value = "fixed"
            elif key in ("cut_point_1", "cut_point_2", "cut_point_3"):
                row[1].value = cuts[int(key[-1]) - 1]
            elif key == "bootstrap_replicates":
                row[1].value = 200
        make_settings.save(path)
        paths.append(path)
        published[q] = imp.published
    result = run(compare_command, *paths, "--format", "csv", "-o", tmp_path / "compare.xlsx")
    assert result.exit_code == 0, result.output
    df = pd.read_csv(io.StringIO(result.stdout), dtype={"code": str}).set_index("code")
    assert len(df) == 61
    assert df["segment_old"].to_dict() == published["Q1 2025/26"]["segment"].astype(int).to_dict()
    assert df["segment_new"].to_dict() == published["Q2 2025/26"]["segment"].astype(int).to_dict()
    counts = df["cause"].value_counts().to_dict()
    same = {"no change", "peers moved", "score change within segment"}
    assert sum(counts.values()) == 61 and sum(counts.get(c, 0) for c in same) == (
        df["segment_old"] == df["segment_new"]).sum() == 47
    assert df["significant"].isin(["Yes", "No"]).all()
    assert load_workbook(tmp_path / "compare.xlsx")["Compare"].max_row == 62


# --- small things users hit ------------------------------------------------------------------

WHATIF_CLEARED_CSV = """\
code,name,position_before,position_after,movement,average_before,average_after,segment_before,\
segment_after,final_segment_before,final_segment_after,scores_changed
A1,Ash,1,1,0,1.75,2.00,1,2,1,2,OF1082
A3,Cedar,4,2,2,3.25,2.50,3,2,3,2,OF1082
A2,Birch,3,3,0,1.38,1.38,3,3,3,3,
A4,Damson,2,4,-2,2.50,2.63,2,3,2,3,OF1082
A5,Elm,5,5,0,3.63,4.00,4,4,4,4,OF1082
"""


@pytest.mark.parametrize("setting", ["OF0082=", "OF0082=n/a", "of1082= N/A ", "OF1082=-"])
def test_whatif_set_empty_or_na_clears_the_metric(books, setting):
    """A3 without a sickness rate: its average is its A&E score alone (2.50, segment 2); the
    other four are re-ranked on OF0082 without it (A2 1.00, A4 2.00, A1 3.00, A5 4.00)."""
    result = run(whatif_command, books[0], "--org", "A3", "--set", setting, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout == WHATIF_CLEARED_CSV
    data = json.loads(run(whatif_command, books[0], "--org", "A3", "--set", setting,
                          "--format", "json").stdout)
    assert data["changes"] == [{"what": setting.split("=")[0].strip().upper(), "before": 6.0,
                                "after": None}]
    assert data["after"]["metrics_scored"] == 1
    assert ("OF0082 cleared for A3: Sickness absence rate has no value and no score, so it "
            "does not count in the average") in data["notes"]


def test_what_it_takes_already_in_segment_one_is_one_line(books):
    result = run(what_it_takes_command, books[0], "--org", "A1")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("What it would take: A1 Ash is already in segment 1: there is "
                             "nothing better to reach.\n")
    result = run(what_it_takes_command, books[0], "--org", "A2")
    assert result.stdout == ("What it would take: A2 Birch is already in segment 1: there is "
                             "nothing better to reach (the financial override keeps it in "
                             "segment 3 while in deficit).\n")
    result = run(what_it_takes_command, books[0], "--org", "A1", "--target", "position")
    assert result.stdout == ("What it would take: A1 Ash is already at position 1: there is "
                             "nothing better to reach.\n")
    csv_out = run(what_it_takes_command, books[0], "--org", "A1", "--format", "csv").stdout
    assert csv_out.count("\n") == 1 and csv_out.startswith("metric,name,value_id,")
