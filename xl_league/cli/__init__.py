"""The ``xl-league`` command line: each command parses, makes one library call, and prints.

All commands live in this package and share one error wrapper, one console and one set of
options and parsers (:mod:`._shared`)::

    workbook_commands.py   demo, new, import-nhse, recalc, check, table, packs
    analysis_commands.py   whatif, what-it-takes, compare, explain, history

User errors (:class:`~xl_league.errors.XlLeagueError`) print one message and exit 1; usage
errors exit 2 (click's convention); nothing prints a traceback for bad input. Command modules
import only click at the top: the library (pandas, numpy, openpyxl) is imported by the command
that runs, so ``xl-league --help`` starts quickly.
"""

from __future__ import annotations

import atexit
import os
import sys

from . import analysis_commands, workbook_commands
from ._shared import main

__all__ = ["main", "run"]

for _command in (*workbook_commands.COMMANDS, *analysis_commands.COMMANDS):
    main.add_command(_command)


def run() -> None:
    """The ``xl-league`` console script: :func:`main`, then a quick exit.

    Tearing the interpreter down after a command (freeing every pandas, numpy and openpyxl
    object and module one at a time) takes 0.1-0.25 s on a 2-core machine: a tenth of a
    recalculation, more than some commands. By the time :func:`main` returns every file is
    closed and every save done (:mod:`xl_league.workbook_io.files` writes atomically), so the
    script runs the exit handlers libraries registered (openpyxl's temporary files, logging),
    flushes its output and leaves with :func:`main`'s exit status, without the teardown.
    An unexpected error still ends the ordinary way, with its traceback.
    """
    try:
        main()
        status = 0
    except SystemExit as exc:
        status = _exit_status(exc.code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe (xl-league table | head)
            pass
    os._exit(status)


def _exit_status(code: object) -> int:
    """The status Python itself would exit with for ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
