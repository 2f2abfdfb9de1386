"""Exceptions raised by xl-league.

Every error a user can cause is an :class:`XlLeagueError`; adapters (CLI, UDFs, macros) catch
that one class and show its message, never a traceback::

    XlLeagueError                 anything the user can fix
    ├── MethodologyError          a methodology or metric catalogue that does not make sense
    ├── InputError                bad organisation or metric data given to the engine
    └── WorkbookError             a workbook that cannot be read or written safely
        └── CellError             one bad cell: names sheet!cell, the value and what was expected

Messages say what is wrong, the value, what was expected and how to fix it.
"""

from __future__ import annotations

__all__ = ["XlLeagueError", "MethodologyError", "InputError", "WorkbookError", "CellError"]


class XlLeagueError(Exception):
    """Base class: a problem the user can fix. ``str(error)`` is the message to show."""


class MethodologyError(XlLeagueError):
    """The methodology settings or the metric catalogue are invalid."""


class InputError(XlLeagueError):
    """Bad input to the engine, naming the organisation and/or metric concerned."""

    def __init__(self, message: str, *, organisation: str | None = None, metric: str | None = None):
        super().__init__(message)
        self.organisation = organisation
        self.metric = metric


class WorkbookError(XlLeagueError):
    """A workbook that cannot be read, validated or written safely."""


class CellError(WorkbookError):
    """One bad cell. ``str()`` is ``'Sheet'!A1: problem ... fix``."""

    def __init__(self, sheet: str, cell: str, message: str):
        super().__init__(f"'{sheet}'!{cell}: {message}")
        self.sheet = sheet
        self.cell = cell
        self.problem = message
