"""Running ``xl-league`` in-process for the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from xl_league.cli import main

#: Rich decides colour and width from these; the tests want plain text.
PLAIN_ENV = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None,
             "COLUMNS": None, "LINES": None, "NO_COLOR": "1"}


def run(*args, cwd: Path | None = None, env: dict | None = None) -> Result:
    """``xl-league ARGS`` in-process; an exception other than SystemExit fails the test."""
    runner = CliRunner(env=PLAIN_ENV if env is None else env)
    with pytest.MonkeyPatch.context() as mp:
        if cwd is not None:
            mp.chdir(cwd)
        result = runner.invoke(main, [str(a) for a in args], prog_name="xl-league",
                               catch_exceptions=False)
    assert "Traceback" not in result.output
    return result
