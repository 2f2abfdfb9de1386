"""xl-league: NHS Oversight Framework league tables in Excel.

>>> import pandas as pd
>>> from xl_league import compute_league_tables
>>> orgs = pd.DataFrame({"code": ["RA1", "RA2", "RA3", "RA4"], "name": ["A", "B", "C", "D"],
...                      "type": "acute", "in_deficit": ["No", "Yes", "No", "No"]})
>>> values = pd.DataFrame({"code": ["RA1", "RA2", "RA3", "RA4"],
...                        "OF0013": [80.0, 78.0, 70.0, 60.0],   # A&E 4-hour %, higher is better
...                        "OF0082": [4.0, 5.0, 5.5, 6.0]})      # sickness absence %, lower
>>> result = compute_league_tables(orgs, values)
>>> result.table("acute")[["position", "average_score", "unadjusted_segment", "segment"]]
     position  average_score  unadjusted_segment  segment
RA1         1            1.0                   1        1
RA2         2            2.0                   2        3
RA3         3            3.0                   3        3
RA4         4            4.0                   4        4

RA2 is in deficit: its average puts it in segment 2, the financial override caps it at 3.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import CellError, InputError, MethodologyError, WorkbookError, XlLeagueError

__version__ = "0.1.0"

# The engine's names are imported on first use (module ``__getattr__``), so that ``import
# xl_league`` -- and ``xl-league --help`` -- import neither pandas, numpy nor openpyxl.
_ENGINE_EXPORTS = ("compute_league_tables", "LeagueTables", "Methodology", "Catalogue", "Metric",
                   "load_methodology", "load_catalogue", "LEAGUE_COLUMNS", "LEAGUE_CSV_COLUMNS")

__all__ = [*_ENGINE_EXPORTS, "XlLeagueError", "InputError", "MethodologyError", "WorkbookError",
           "CellError", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from .engine import (LEAGUE_COLUMNS, LEAGUE_CSV_COLUMNS, Catalogue, LeagueTables,
                         Methodology, Metric, compute_league_tables, load_catalogue,
                         load_methodology)


def __getattr__(name: str) -> object:
    if name not in _ENGINE_EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(".engine", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
