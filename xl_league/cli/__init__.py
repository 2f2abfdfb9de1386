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

from . import analysis_commands, workbook_commands
from ._shared import main

__all__ = ["main"]

for _command in (*workbook_commands.COMMANDS, *analysis_commands.COMMANDS):
    main.add_command(_command)
