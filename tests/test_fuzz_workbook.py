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
    typed = input_fingerprint(book)
    before = book.read_bytes()

    checked, out, _ = _cli("check", book)
    if checked == 1:
        for line in out.splitlines():
            assert CELL_LINE.match(line) or line.startswith(f"'{SETTINGS_SHEET}' sheet: "), line

    recalculated, _, err = _cli("recalc", book)
    assert recalculated == checked, err
    if recalculated == 1:
        assert book.read_bytes() == before
        assert err.startswith("Error: ")
    assert input_fingerprint(book) == typed
