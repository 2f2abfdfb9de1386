"""Where Excel-side failures go: a short message in the cell, the traceback in a log file.

The log is ``~/.xl-league/udf.log`` (or the file named by the ``XL_LEAGUE_UDF_LOG`` environment
variable; or ``xl-league-udf.log`` in the temporary folder when the home folder is not
writable). Nothing is written until something goes wrong.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, TypeVar

from ..errors import XlLeagueError

__all__ = ["log_path", "log_exception", "excel_errors", "MESSAGE_PREFIX"]

#: Every message a UDF returns instead of a result starts with this.
MESSAGE_PREFIX = "#xl-league: "

_F = TypeVar("_F", bound=Callable[..., Any])
_logger = logging.getLogger("xl_league.excel")


def log_path() -> Path:
    """The log file used now (the folder is created when needed)."""
    env = os.environ.get("XL_LEAGUE_UDF_LOG")
    if env:
        return Path(env)
    home = Path.home() / ".xl-league"
    try:
        home.mkdir(parents=True, exist_ok=True)
        if os.access(home, os.W_OK):
            return home / "udf.log"
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / "xl-league-udf.log"


def _handler_for(path: Path) -> logging.Handler:
    for h in _logger.handlers:
        if isinstance(h, logging.FileHandler) and Path(h.baseFilename) == path.resolve():
            return h
    for h in list(_logger.handlers):  # the path changed (environment variable): switch files
        _logger.removeHandler(h)
        h.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    _logger.addHandler(handler)
    _logger.setLevel(logging.INFO)
    _logger.propagate = False
    return handler


def log_exception(where: str) -> Path:
    """Log the exception being handled (with its traceback) and return the log's path."""
    path = log_path()
    try:
        handler = _handler_for(path)
        _logger.exception("%s failed", where)
        handler.flush()
    except OSError:  # never let logging turn a readable message into a crash
        pass
    return path


def excel_errors(func: _F) -> _F:
    """Run ``func``; a user's mistake becomes a 1×1 message, anything else is logged too.

    ``[["#xl-league: OF0023 row 5: 'abc' is not a number"]]`` — a message, never a traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except XlLeagueError as exc:
            return [[MESSAGE_PREFIX + str(exc)]]
        except Exception as exc:  # noqa: BLE001 — a cell must show a message, not crash
            path = log_exception(func.__name__)
            return [[f"{MESSAGE_PREFIX}unexpected {type(exc).__name__} in {func.__name__}; "
                     f"details in {path}"]]

    return wrapper  # type: ignore[return-value]
