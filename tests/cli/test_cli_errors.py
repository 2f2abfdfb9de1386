"""Exit codes of the ``xl-league`` command line: 0 done, 1 bad input (a message, never a
traceback), 2 usage. Bad input leaves users' files as they were and writes nothing new.

Commands run through click's CliRunner with ``catch_exceptions=False``: an exception other than
SystemExit (what a user would see as a traceback) fails the test. Two cases also run the
installed ``xl-league`` console script, where a traceback would be printed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from openpyxl import load_workbook

from cli_helpers import run
from workbook_helpers import CODES, filled_workbook

OLE2_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # every Excel 97-2003 .xls starts so

#: A two-quarter file in NHS England's trust-data layout (long format, one row per trust ×
#: metric), small enough to read at a glance.
NHSE_CSV = """\
Quarter,Region,Trust_type,Trust_subtype,Trust_code,Trust_name,Domain,Metric_ID,Value
Q1 2025/26,London,Mental health and community trust,Community,RT1,Teal Community NHS Trust,People and workforce,OF0082,4.5
Q1 2025/26,London,Mental health and community trust,Community,RT2,Umber Community NHS Trust,People and workforce,OF0082,5.5
Q2 2025/26,London,Mental health and community trust,Community,RT1,Teal Community NHS Trust,People and workforce,OF0082,4.0
Q2 2025/26,London,Mental health and community trust,Community,RT2,Umber Community NHS Trust,People and workforce,OF0082,6.0
"""


def fails_with(result: Result, message: str) -> None:
    """Exit 1 with ``message`` as the whole output (``Error: `` first, on stderr)."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == f"Error: {message}"


def usage_error(result: Result, command: str, message: str) -> None:
    """Exit 2 with click's usage line, a hint and the error."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"Usage: xl-league {command} [OPTIONS]")
    assert lines[-1] == f"Error: {message}"


@pytest.fixture
def book(tmp_path) -> Path:
    """Eight acute trusts, four metrics, clean (tests/workbook_helpers.py)."""
    return filled_workbook(tmp_path)


@pytest.fixture
def nhse_csv(tmp_path) -> Path:
    path = tmp_path / "trust-data.csv"
    path.write_text(NHSE_CSV, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- wrong files

WORKBOOK_COMMANDS = [("check",), ("recalc",), ("table", "--type", "acute"),
                     ("packs", "-o", "PACKS")]


def _invoke_on(tmp_path: Path, command: tuple[str, ...], path: Path) -> Result:
    args = [str(tmp_path / "packs") if a == "PACKS" else a for a in command[1:]]
    return run(command[0], path, *args)


def _expect(result: Result, command: tuple[str, ...], message: str) -> None:
    if command[0] == "check":  # check lists problems on stdout, one a line, without "Error:"
        assert result.exit_code == 1
        assert result.stdout == message + "\n"
    else:
        fails_with(result, message)


@pytest.mark.parametrize("command", WORKBOOK_COMMANDS, ids=lambda c: c[0])
def test_a_missing_workbook(tmp_path, command):
    missing = tmp_path / "nowhere.xlsx"
    _expect(_invoke_on(tmp_path, command, missing), command, f"{missing}: no such file")
    assert not missing.exists() and not (tmp_path / "packs").exists()


@pytest.mark.parametrize("command", WORKBOOK_COMMANDS, ids=lambda c: c[0])
def test_a_text_file_named_xlsx(tmp_path, command):
    fake = tmp_path / "export.xlsx"
    fake.write_text("Code,Name\nRX1,Ash\n", encoding="utf-8")
    result = _invoke_on(tmp_path, command, fake)
    _expect(result, command, f"{fake} is not an Excel workbook (.xlsx): it looks like a text "
                             "file (CSV?); open it in Excel and save it as .xlsx")
    assert fake.read_text(encoding="utf-8") == "Code,Name\nRX1,Ash\n"
    assert not (tmp_path / "packs").exists()


@pytest.mark.parametrize("command", WORKBOOK_COMMANDS, ids=lambda c: c[0])
def test_an_old_xls_workbook(tmp_path, command):
    old = tmp_path / "league.xls"
    old.write_bytes(OLE2_HEADER + bytes(4088))
    result = _invoke_on(tmp_path, command, old)
    _expect(result, command, f"{old} is an old Excel 97-2003 workbook (.xls): open it in Excel "
                             "and save it as .xlsx (Excel Workbook)")
    assert old.read_bytes() == OLE2_HEADER + bytes(4088)


# --------------------------------------------------------------------------- usage → 2

def test_unknown_type_is_a_usage_error(book):
    usage_error(run("table", book, "--type", "hospital"), "table",
                "Invalid value for '--type': 'hospital' is not one of 'acute', 'non-acute', "
                "'ambulance', 'icb'.")


@pytest.mark.parametrize("cutoffs, why", [
    ("2.05,2.33", "give three increasing numbers"),
    ("a,b,c", "give three numbers"),
    ("2.62,2.33,2.05", "give three increasing numbers"),
    ("2.05,2.05,2.62", "give three increasing numbers"),
])
@pytest.mark.parametrize("command", ["table", "recalc", "packs", "import-nhse"])
def test_bad_cutoffs_are_a_usage_error(book, nhse_csv, tmp_path, command, cutoffs, why):
    original = book.read_bytes()
    extra = {"table": ["--type", "acute"], "recalc": [], "packs": ["-o", tmp_path / "packs"],
             "import-nhse": ["-o", tmp_path / "new.xlsx"]}[command]
    source = nhse_csv if command == "import-nhse" else book
    result = run(command, source, *extra, f"--cutoffs={cutoffs}")
    usage_error(result, command, f"Invalid value for '--cutoffs': {cutoffs!r}: {why}, "
                                 "e.g. 2.05,2.33,2.62")
    assert book.read_bytes() == original
    assert not (tmp_path / "packs").exists() and not (tmp_path / "new.xlsx").exists()


@pytest.mark.parametrize("args, command, message", [
    (["table", "BOOK"], "table", "Missing option '--type'. Choose from:"),
    (["table", "BOOK", "--type", "acute", "--format", "xml"], "table",
     "Invalid value for '--format': 'xml' is not one of 'text', 'csv', 'json'."),
    (["recalc", "BOOK", "--replicates", "-1"], "recalc",
     "Invalid value for '--replicates': -1 is not in the range x>=0."),
    (["recalc", "BOOK", "--seed", "one"], "recalc",
     "Invalid value for '--seed': 'one' is not a valid integer range."),
    (["packs", "BOOK"], "packs", "Missing option '-o' / '--output-dir'."),
    (["import-nhse", "CSV"], "import-nhse", "Missing option '-o' / '--output'."),
    (["import-nhse", "CSV", "-o", "new.xlsx", "--scores", "mine"], "import-nhse",
     "Invalid value for '--scores': 'mine' is not one of 'published', 'raw'."),
    (["import-nhse", "-o", "new.xlsx"], "import-nhse", "Missing argument 'CSVS...'."),
    (["new"], "new", "Missing argument 'BOOK'."),
    (["check", "BOOK", "--force"], "check", "No such option"),
])
def test_usage_errors_exit_2(book, nhse_csv, args, command, message):
    swap = {"BOOK": str(book), "CSV": str(nhse_csv)}
    result = run(*[swap.get(a, a) for a in args])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0].startswith(f"Usage: xl-league {command} [OPTIONS]")
    assert f"Error: {message}" in result.stderr


def test_an_unknown_command_is_a_usage_error():
    result = run("recalculate", "book.xlsx")
    assert result.exit_code == 2
    assert "Error: No such command 'recalculate'." in result.stderr


# --------------------------------------------------------------------------- import-nhse → 1

def test_an_unknown_quarter(nhse_csv, tmp_path):
    out = tmp_path / "q3.xlsx"
    fails_with(run("import-nhse", nhse_csv, "-o", out, "--quarter", "Q3 2025/26"),
               "quarter 'Q3 2025/26' is not in the trust-data file(s): the quarters available "
               "are Q1 2025/26, Q2 2025/26")
    assert not out.exists()


def test_the_quarter_defaults_to_the_latest(nhse_csv, tmp_path):
    out = tmp_path / "latest.xlsx"
    result = run("import-nhse", nhse_csv, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "imported Q2 2025/26: 2 non-acute (published scores)"
    # two trusts cannot make quartiles: written, not recalculated, and the user is told why
    assert "warning: not recalculated yet: only 2 organisation(s)" in result.stderr
    wb = load_workbook(out, read_only=True)
    try:
        rows = list(wb["Non-acute inputs"].iter_rows(values_only=True))
    finally:
        wb.close()
    column = rows[0].index("OF0082")
    assert [(r[0], r[column]) for r in rows[1:] if r[0]] == [("RT1", 4.0), ("RT2", 6.0)]


def test_a_csv_that_is_not_nhs_englands(tmp_path):
    other = tmp_path / "budget.csv"
    other.write_text("Cost centre,Budget\nA100,5000\n", encoding="utf-8")
    out = tmp_path / "new.xlsx"
    fails_with(run("import-nhse", other, "-o", out),
               f"{other}: not NHS England's trust data CSV — missing column(s) Quarter, Region, "
               "Trust_type, Trust_subtype, Trust_code, Trust_name, Domain, Metric_ID, Value (the "
               "header must include Quarter, Region, Trust_type, Trust_subtype, Trust_code, "
               "Trust_name, Domain, Metric_ID, Value)")
    assert not out.exists()


def test_a_workbook_given_as_the_csv(book, tmp_path):
    out = tmp_path / "new.xlsx"
    fails_with(run("import-nhse", book, "-o", out),
               f"{book}: not a text CSV file; expected NHS England's trust data CSV")
    assert not out.exists()


def test_a_missing_csv(tmp_path):
    missing = tmp_path / "nowhere.csv"
    fails_with(run("import-nhse", missing, "-o", tmp_path / "new.xlsx"),
               f"{missing}: no such file")


def test_import_output_must_be_a_workbook(nhse_csv, tmp_path):
    out = tmp_path / "new.txt"
    fails_with(run("import-nhse", nhse_csv, "-o", out),
               f"{out}: the output must be an .xlsx workbook")
    assert not out.exists()


# --------------------------------------------------------------------------- bad workbooks → 1

def _plant_bad_cell(book: Path) -> str:
    """``#N/A`` in RA2's A&E 4-hour value (OF0013); returns the cell, e.g. L3."""
    wb = load_workbook(book)
    ws = wb["Acute inputs"]
    column = next(c.column_letter for c in ws[1] if c.value == "OF0013")
    ws[f"{column}3"] = "#N/A"
    wb.save(book)
    return f"{column}3"


def test_table_refuses_a_workbook_with_problems(book):
    cell = _plant_bad_cell(book)
    original = book.read_bytes()
    result = run("table", book, "--type", "acute", "--format", "csv")
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"Error: 'Acute inputs'!{cell}: ")
    assert "#N/A" in lines[0]
    assert lines[1:] == [f"{book}: 1 problem(s) to correct first (xl-league check lists them)"]
    assert book.read_bytes() == original


def test_packs_refuse_a_workbook_with_problems_and_write_nothing(book, tmp_path):
    cell = _plant_bad_cell(book)
    out = tmp_path / "packs"
    result = run("packs", book, "-o", out)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: 'Acute inputs'!{cell}: ")
    assert not out.exists()


def test_check_names_a_bad_setting(book):
    wb = load_workbook(book)
    settings = wb["Settings"]
    row = next(c.row for c in settings["A"] if c.value == "cut_point_rule")
    settings.cell(row=row, column=2, value="fixed")  # but no cut-points typed
    wb.save(book)
    result = run("check", book)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (f"'Settings'!B{row + 1}: the cut-point rule is "
                                             "fixed but cut_point_1 is blank: type all three "
                                             "cut-points, e.g. 2.05, 2.33 and 2.62")
    assert all(line.startswith("warning: ") for line in result.stdout.splitlines()[1:])


def test_packs_for_an_unknown_organisation(book, tmp_path):
    out = tmp_path / "packs"
    result = run("packs", book, "-o", out, "--org", "RZZ")
    assert result.exit_code == 1 and result.stdout == ""
    message = result.stderr.strip()
    prefix = ("Error: no organisation with code 'RZZ' in the results: use codes from the "
              "inputs, e.g. ")
    assert message.startswith(prefix)
    assert set(message[len(prefix):].split(", ")) <= set(CODES)
    assert not out.exists()


def test_a_table_type_with_no_organisations(book):
    fails_with(run("table", book, "--type", "ambulance", "--format", "csv"),
               "there are no ambulance organisations in the inputs")


def test_recalc_output_must_be_a_workbook(book, tmp_path):
    original = book.read_bytes()
    out = tmp_path / "results.csv"
    fails_with(run("recalc", book, "-o", out),
               f"{out}: the output must be an .xlsx workbook (or .xlsm for a macro workbook)")
    assert not out.exists() and book.read_bytes() == original


def test_new_needs_an_xlsx_name(tmp_path):
    target = tmp_path / "blank.txt"
    fails_with(run("new", target),
               f"{target}: the template is an .xlsx workbook; name it e.g. blank.xlsx")
    assert not target.exists()


def test_writing_into_a_missing_folder(book, tmp_path):
    target = tmp_path / "no-such-folder" / "blank.xlsx"
    fails_with(run("new", target),
               f"cannot write {target}: the folder {target.parent} does not exist")
    out = tmp_path / "no-such-folder" / "results.xlsx"
    fails_with(run("recalc", book, "-o", out),
               f"cannot write {out}: the folder {out.parent} does not exist")


# --------------------------------------------------------------------------- known bugs

@pytest.mark.parametrize("command", ["table", "recalc", "demo"])
def test_a_negative_seed_is_a_usage_error(book, tmp_path, command):
    args = {"table": [book, "--type", "acute", "--replicates", "10"], "recalc": [book],
            "demo": ["-o", tmp_path / "demo"]}[command]
    result = run(command, *args, "--seed", "-1")
    assert result.exit_code == 2


@pytest.mark.parametrize("command", ["new", "recalc", "import-nhse"])
def test_writing_below_a_file(book, nhse_csv, tmp_path, command):
    target = book / "inside.xlsx"  # the "folder" is the workbook file itself
    args = {"new": ["new", target], "recalc": ["recalc", book, "-o", target],
            "import-nhse": ["import-nhse", nhse_csv, "-o", target]}[command]
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot write {target}")


def test_a_recalc_error_is_exactly_one_line(tmp_path):
    missing = tmp_path / "nowhere.xlsx"
    assert run("recalc", missing).stderr == f"Error: {missing}: no such file\n"


# --------------------------------------------------------------------------- the real script

def _script() -> str:
    found = shutil.which("xl-league", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the xl-league console script is not installed beside this Python "
                    "(pip install -e .)")
    return found


def test_console_script_exit_1_prints_one_message(tmp_path):
    fake = tmp_path / "export.xlsx"
    fake.write_text("Code,Name\n", encoding="utf-8")
    done = subprocess.run([_script(), "table", str(fake), "--type", "acute"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (f"Error: {fake} is not an Excel workbook (.xlsx): it looks like a "
                           "text file (CSV?); open it in Excel and save it as .xlsx\n")


def test_console_script_exit_2_for_usage(tmp_path):
    done = subprocess.run([_script(), "table", str(tmp_path / "b.xlsx"), "--type", "trust"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == ("Error: Invalid value for '--type': 'trust' is not "
                                            "one of 'acute', 'non-acute', 'ambulance', 'icb'.")


@pytest.mark.parametrize("cutoffs", ["1,2,inf", "5,6,7", "-1,0,1", "1.5,2,nan"])
def test_cut_points_outside_the_score_scale_are_a_usage_error(book, cutoffs):
    result = run("table", book, "--type", "acute", "--cutoffs", cutoffs)
    assert result.exit_code == 2
    assert "cut-points are average metric scores, between 1 (best) and 4 (worst)" in result.stderr
