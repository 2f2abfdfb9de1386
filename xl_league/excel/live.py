"""The Live sheet: each type's league table as one formula over the input sheets.

``=NOF_LIVE_TABLE("acute", 'Acute inputs'!$A$1:$AH$1000, 'Non-acute inputs'!..., ...)``
takes the four input sheets' ranges — all four, because the national cut-points pool every
trust — and returns the type's league table (a header row, then one row per organisation,
columns as ``xl-league table --format csv``). Typing a new value in an input sheet
recalculates it. The calculation is the Recalculate macro's: the ranges and the calling
workbook's Settings and Metrics sheets make a stand-in book that goes through
:func:`xl_league.excel.macros.compute` (the reader's checks, the problems named by cell, the
engine), so the Live sheet and ``xl-league recalc`` give the same numbers.

The builder writes the formulas as array formulas over a fixed block with their values
already calculated (:func:`live_values`), so before Import Functions, or in a spreadsheet
without Python, the sheet shows the last computed table, never an error.
"""

from __future__ import annotations

from typing import Any, Sequence

import openpyxl

from ..engine.inputs import normalise_type
from ..engine.pipeline import LEAGUE_CSV_COLUMNS
from ..errors import InputError
from ..run_settings import RunSettings
from ..workbook_io.layout import INPUT_SHEETS
from .cells import as_grid, excel_value, is_blank, to_number, to_text
from .openpyxl_book import OpenpyxlBook
from .udfs import current_sheets, workbook_function

__all__ = ["LIVE_SHEET", "LIVE_ROWS", "LIVE_INPUT_ROWS", "NO_ORGANISATIONS", "live_table",
           "stand_in_book"]

LIVE_SHEET = "Live"
#: Organisations each type's block on the Live sheet has room for (a header row above).
LIVE_ROWS = 499
#: Rows of each input sheet the Live formulas read (the header row included).
LIVE_INPUT_ROWS = 500
NO_ORGANISATIONS = "the input sheets have no organisations"


def stand_in_book(ranges: Sequence[Any], sheets: dict[str, list[list[Any]]]) -> OpenpyxlBook:
    """A book holding the four input ranges (from A1, in :data:`INPUT_SHEETS` order) and the
    given Settings/Metrics values: what :func:`macros.compute` reads."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in [*sheets.items(), *zip(INPUT_SHEETS.values(),
                                             (as_grid(r, name) for r, name in
                                              zip(ranges, INPUT_SHEETS.values())))]:
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if not is_blank(value):
                    cell = ws.cell(r, c, value)
                    if isinstance(value, str) and value.startswith("="):
                        cell.data_type = "s"
    return OpenpyxlBook(wb)


def _pad(rows: list[list[Any]], size: tuple[int, int] | None) -> list[list[Any]]:
    if not size or size == (1, 1):
        return rows
    height, width = size
    if len(rows) > height:
        more = len(rows) - height + 1
        rows = rows[:height - 1] + [[f"… and {more} more: make this block taller (select it, "
                                     "edit the formula, Ctrl+Shift+Enter)"]]
    return [(list(r) + [None] * width)[:width] for r in rows] + \
        [[None] * width for _ in range(height - len(rows))]


def live_table(org_type: Any, acute: Any, non_acute: Any, ambulance: Any, icb: Any,
               replicates: Any = None, *, size: tuple[int, int] | None = None,
               book: Any = None) -> list[list[Any]]:
    """The league table of ``org_type`` from the four input ranges, the Recalculate macro's
    way (Settings and Metrics of ``book``, the calling workbook). ``replicates``: the likely
    ranges' resamples (blank: the Settings' number; 0: off). ``size``: the array formula's
    block (rows, columns): the table — or a message — is padded with empty cells to fill it
    (Excel would repeat a one-cell result over the whole block); None or 1×1 to spill."""
    return _pad(_live_table(org_type, acute, non_acute, ambulance, icb, replicates,
                            book=book), size)


@workbook_function
def _live_table(org_type: Any, acute: Any, non_acute: Any, ambulance: Any, icb: Any,
                replicates: Any = None) -> list[list[Any]]:
    from .macros import _Refused, compute

    kind = to_text(org_type[0][0] if isinstance(org_type, list) else org_type, "org_type")
    key = normalise_type(kind)
    if key is None:
        raise InputError(f"org_type: {kind!r} is not acute, non-acute, ambulance or icb")
    n = None if replicates in (None, "") else to_number(
        replicates[0][0] if isinstance(replicates, list) else replicates, "replicates")
    if n is not None and (n < 0 or not float(n).is_integer()):
        raise InputError(f"replicates: {n:g} must be a whole number, 0 or more")
    book = stand_in_book([acute, non_acute, ambulance, icb], current_sheets())
    header = [list(LEAGUE_CSV_COLUMNS)]
    try:
        results = compute(book, RunSettings(replicates=None if n is None else int(n))).results
    except _Refused as refused:
        if any(NO_ORGANISATIONS in p for p in refused.problems):
            return header                         # nothing typed in yet: nothing to rank
        more = len(refused.problems) - 1
        raise InputError(refused.problems[0] + (f" (and {more} more problems: run "
                                                "RecalculateLeagueTables to list them)"
                                                if more else "")) from None
    league = results.league
    table = league[league["type"] == key][list(LEAGUE_CSV_COLUMNS)]
    rows = table.astype(object).to_numpy().tolist()
    return header + [[excel_value(v) for v in row] for row in rows]
