"""What users ask next: what-if, what it would take, quarter on quarter, and why.

Pure functions over :func:`~xl_league.compute_league_tables` (no I/O)::

    whatif(organisations, values, org=..., set_values=...)   -> WhatIf
    what_it_takes(organisations, values, org=..., target=...) -> DataFrame
    compare(old_results, new_results)                         -> DataFrame
    explain(results, org)                                     -> Explanation
    history([QuarterResults(quarter, results, source), ...])  -> History

Adapters: :mod:`.render` (terminal, text, CSV, JSON), :mod:`.sheets` and
:mod:`.history_sheets` (workbook sheets); the commands are in
:mod:`xl_league.cli.analysis_commands`.
"""

from .compare import CAUSES, COMPARE_COLUMNS, compare
from .explain import Explanation, explain
from .history import HISTORY_COLUMNS, History, QuarterResults, history
from .what_it_takes import WHAT_IT_TAKES_COLUMNS, what_it_takes
from .whatif import WhatIf, whatif

__all__ = ["whatif", "WhatIf", "what_it_takes", "compare", "explain", "Explanation", "CAUSES",
           "COMPARE_COLUMNS", "WHAT_IT_TAKES_COLUMNS", "history", "History", "QuarterResults",
           "HISTORY_COLUMNS"]
