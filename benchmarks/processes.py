"""Whole processes for the benchmark: what a user waits for, start-up included.

:func:`run_process` times one command from start to exit and reads its peak resident memory
from the kernel (``wait4``); :func:`time_process_pair` runs a baseline command and a subject
command alternately, as :func:`timing.time_pair` does in-process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from timing import Timing

__all__ = ["xl_league_command", "python_command", "run_process", "time_process_pair",
           "OPENPYXL_LOAD_SAVE"]

#: The baseline for recalc and packs: openpyxl loading a workbook and saving it, nothing else.
#: Not a floor: recalc reads the inputs and rewrites only the output sheets.
OPENPYXL_LOAD_SAVE = ("import sys; from openpyxl import load_workbook; "
                      "load_workbook(sys.argv[1]).save(sys.argv[2])")


def xl_league_command() -> list[str]:
    """``xl-league`` as a user runs it: the console script beside this Python, if installed."""
    for script in (Path(sys.executable).parent / "xl-league", shutil.which("xl-league")):
        if script and Path(script).is_file():
            return [str(script)]
    return [sys.executable, "-c", "from xl_league.cli import run; run()"]


def python_command(code: str, *args: object) -> list[str]:
    return [sys.executable, "-c", code, *(str(a) for a in args)]


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    env["NO_COLOR"] = "1"
    return env


def run_process(argv: Sequence[str], cwd: Path) -> tuple[float, float]:
    """(seconds from start to exit, peak resident memory in MiB) of one command.

    Fails (RuntimeError with the end of its stderr) when the command exits non-zero."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, stdout=out, stderr=err, env=_environment())
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: "
                               f"{err.read().decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def time_process_pair(subject: Sequence[str], baseline: Sequence[str], pairs: int, cwd: Path,
                      setup: Callable[[], object] | None = None) -> Timing:
    """``pairs`` runs of ``baseline`` then ``subject`` (``setup`` before each subject, untimed)."""
    ours: list[float] = []
    base: list[float] = []
    for _ in range(max(1, pairs)):
        base.append(run_process(baseline, cwd)[0])
        if setup is not None:
            setup()
        ours.append(run_process(subject, cwd)[0])
    return Timing(tuple(ours), tuple(base))
