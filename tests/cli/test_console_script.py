"""The ``xl-league`` console script (``xl_league.cli:run``): main()'s output and exit status,
the libraries' exit handlers run, but no interpreter teardown (0.1-0.25 s a command)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from xl_league.cli import _exit_status, main

SCRIPT = "from xl_league.cli import run; run()"


def console(*args: object, prelude: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", prelude + SCRIPT, *map(str, args)],
                          capture_output=True, text=True, timeout=300,
                          env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin", "COLUMNS": "120"})


@pytest.fixture(scope="module")
def recalculated(base_book: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("console") / "book.xlsx"
    done = console("recalc", base_book, "-o", out)
    assert done.returncode == 0, done.stderr
    return out


def test_the_whole_output_arrives_as_main_prints_it(recalculated):
    done = console("table", recalculated, "--type", "acute", "--format", "csv")
    expected = CliRunner().invoke(main, ["table", str(recalculated), "--type", "acute",
                                         "--format", "csv"])
    assert done.returncode == 0
    assert done.stdout == expected.stdout
    assert len(done.stdout.splitlines()) == 1 + 8       # heading and the 8 sample trusts


def test_exit_statuses_are_mains(recalculated, tmp_path):
    assert console("check", recalculated).returncode == 0
    assert console("recalc", recalculated, "--cutoffs", "1,2").returncode == 2   # usage
    missing = console("recalc", tmp_path / "missing.xlsx")
    assert missing.returncode == 1
    assert "no such file" in missing.stderr


def test_exit_handlers_still_run():
    done = console("--version", prelude="import atexit; atexit.register(print, 'handled'); ")
    assert done.returncode == 0
    first, last = done.stdout.splitlines()
    assert first.startswith("xl-league, version ") and last == "handled"


@pytest.mark.parametrize("code, status", [(None, 0), (0, 0), (2, 2), ("bad thing", 1)])
def test_exit_status_as_python_gives_it(code, status, capsys):
    assert _exit_status(code) == status
    assert capsys.readouterr().err == ("bad thing\n" if isinstance(code, str) else "")
