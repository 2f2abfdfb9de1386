"""Random mutations of a valid workbook's input cells, through ``check`` and ``recalc``.

Hypothesis types random things into random input cells — text (any printable Unicode, rich
markup, formula-like text), numbers (huge, tiny, negative, whole), Excel error values, blanks,
booleans, dates, missing-value markers, formulas never calculated — into the data rows of an
input sheet (codes, names, flags, metric values) and into Settings' values. Whatever it
types:

* neither command raises (click's CliRunner with ``catch_exceptions=False``): exit 0 or 1;
* ``check`` and ``recalc`` agree: both pass or both refuse;
* every line ``check`` prints names a cell (``'Sheet'!B7: ...``) or the Settings sheet;
* the input sheets are exactly as typed after ``recalc``, and a refused ``recalc`` leaves the
  file byte-identical.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from workbook_helpers import CODES, filled_workbook, input_fingerprint
from xl_league.cli import main

ENV = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None, "NO_COLOR": "1"}
INPUT_SHEET = "Acute inputs"
SETTINGS_SHEET = "Settings"
#: Data rows of the sample (2..9), one blank row below them, and the used columns + 1.
ROWS = range(2, len(CODES) + 3)
COLUMNS = "ABCDEFGHIJK"
CELL_LINE = re.compile(r"^'[^']+'!\$?[A-Z]+\$?\d+: ")


def _printable(text: str) -> bool:
    return ILLEGAL_CHARACTERS_RE.search(text) is None


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30).filter(_printable)
SPECIAL = st.sampled_from([
    "", " ", "-", "n/a", "N/A", "*", "..", "#N/A", "#DIV/0!", "#REF!", "#VALUE!", "#NUM!",
    "62.5%", "1,234", "1e400", "nan", "inf", "-0", "Yes", "no", "TRUE", "0.62",
    "=1/0", "=A1+1", "=HYPERLINK(\"http://x\",\"click\")", "@SUM(1)", "+cmd|' /C calc'!A0",
    "[/bold]", "[link=http://x]y[/link]", "ZA1", "RA1", "x" * 5000, "Ω≈ç√∫ 🏥",
])
NUMBER = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.integers(min_value=-10**18, max_value=10**18),
)
VALUE = st.one_of(
    st.none(), st.booleans(), NUMBER, TEXT, SPECIAL,
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 1, 1)),
)
INPUT_CELL = st.tuples(st.just(INPUT_SHEET), st.sampled_from(COLUMNS), st.sampled_from(ROWS))
SETTINGS_CELL = st.tuples(st.just(SETTINGS_SHEET), st.just("B"), st.integers(2, 14))
MUTATIONS = st.lists(st.tuples(st.one_of(INPUT_CELL, INPUT_CELL, INPUT_CELL, SETTINGS_CELL),
                               VALUE), min_size=1, max_size=5)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return filled_workbook(tmp_path_factory.mktemp("pristine"),
                           settings={"bootstrap_replicates": 50})


def _mutate(source: Path, target: Path, mutations) -> Path:
    shutil.copyfile(source, target)
    wb = load_workbook(target)
    for (sheet, column, row), value in mutations:
        wb[sheet][f"{column}{row}"] = value
    wb.save(target)
    return target


def _fingerprint(book: Path) -> dict[str, str]:
    """The input sheets as typed; openpyxl's warning about a number in a date-formatted cell
    that is no date (the fuzz types such things) is not the test's business."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Cell .* is marked as a date", UserWarning)
        return input_fingerprint(book)


def _cli(*args) -> tuple[int, str, str]:
    result = CliRunner(env=ENV).invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(mutations=MUTATIONS)
def test_random_cells_give_a_result_or_messages_naming_cells(pristine, tmp_path, mutations):
    book = _mutate(pristine, tmp_path / "book.xlsx", mutations)
    typed = _fingerprint(book)
    before = book.read_bytes()

    checked, out, _ = _cli("check", book)
    if checked == 1:
        for line in out.splitlines():
            assert CELL_LINE.match(line) or line.startswith(f"'{SETTINGS_SHEET}' sheet: ") \
                or line.startswith("warning: "), line

    recalculated, _, err = _cli("recalc", book)
    assert recalculated == checked, err
    if recalculated == 1:
        assert book.read_bytes() == before
        assert err.startswith("Error: ")
    assert _fingerprint(book) == typed


def test_a_number_in_a_date_cell_that_is_no_date(pristine, tmp_path):
    """Found by the fuzz: a date typed into a cell, then a negative number over it (the cell
    keeps its date format, and openpyxl reads the number as an error)."""
    book = _mutate(pristine, tmp_path / "book.xlsx",
                   [(("Acute inputs", "G", 9), dt.datetime(2020, 1, 1))])
    wb = load_workbook(book)
    wb["Acute inputs"]["G9"] = -772686.9263221791
    wb.save(book)
    checked, out, _ = _cli("check", book)
    assert checked == 1
    assert [line for line in out.splitlines() if not line.startswith("warning: ")] == [
        "'Acute inputs'!G9: #VALUE! is an Excel error value, not a "
                                "number for OF0023 (Percentage of patients waiting 18 weeks or "
                                "less for treatment (RTT)): correct the formula or the data it "
                                "comes from, or leave the cell blank"]
    recalculated, _, err = _cli("recalc", book)
    assert recalculated == 1 and err.startswith("Error: 'Acute inputs'!G9: #VALUE!")
