"""xlwings module for league_tables.xlsm: the NOF_* worksheet functions and the macros.

xlwings convention: this file sits beside ``league_tables.xlsm`` and is named after it. The
workbook's ``xlwings.conf`` sheet says ``UDF Modules = league_tables``; in Excel, click
*xlwings > Import Functions* once, then use ``=NOF_SEGMENTS(...)`` and friends in any cell.
The quickstart's ``SampleCall`` button runs :func:`main` (recalculate the workbook).

This is the thinnest layer: each function only declares how Excel passes its arguments and
calls the plain-Python logic in :mod:`xl_league.excel` (tested on Linux without Excel).
``xw.Book.caller()`` and the functions' ``caller`` (the calling cell, hence its workbook,
whose Settings and Metrics sheets the functions use) are used here and nowhere else.

The functions are listed under their own category, "xl-league", in Insert Function. After
changing the Settings or Metrics sheet, press Ctrl+Alt+F9 so every formula recalculates
(Excel only recalculates a formula when a cell it refers to changes).
"""

from __future__ import annotations

import xlwings as xw

from xl_league.excel import live, macros, nhse_import, udfs, whatif

_RANGE = {"ndim": 2, "err_to_str": True}  # always rows of cells; Excel errors as "#N/A" text
_CATEGORY = udfs.CATEGORY


def _book(caller):
    """The workbook of the calling cell (None when called from Python, not a cell)."""
    return None if caller is None else caller.sheet.book


def _size(caller):
    """The calling block's (rows, columns): an array formula's result is padded to it."""
    return None if caller is None else tuple(caller.shape)


@xw.func(category=_CATEGORY)
@xw.arg("values", doc="A column (or row) of metric values; blanks get no score.", **_RANGE)
@xw.arg("direction", doc='"higher" or "lower" is better, or a metric ID such as OF0013 '
                         "(its direction, bands or peer group come from the catalogue).")
@xw.arg("peer_groups", doc="Optional, same size: peer-group labels, or the trust types when "
                           "direction is a metric ID.", **_RANGE)
def NOF_METRIC_SCORES(values, direction, peer_groups=None, caller=None):
    """Metric scores 1 (best) to 4 (worst): 1 + 3 x (how many are better) / (n - 1)."""
    return udfs.metric_scores(values, direction, peer_groups, book=_book(caller))


@xw.func(category=_CATEGORY)
@xw.arg("scores", doc="Metric scores, one row per organisation; optional header row of score "
                      "IDs (OF1023 ...) so the catalogue decides which count.", **_RANGE)
def NOF_AVERAGE(scores, caller=None):
    """Average metric score (2 dp) and metrics scored, for each row of scores."""
    return udfs.average_scores(scores, book=_book(caller))


@xw.func(category=_CATEGORY)
@xw.arg("averages", doc="Every organisation's average metric score (one column).", **_RANGE)
def NOF_CUT_POINTS(averages, caller=None):
    """The quartile cut-points c1, c2, c3 (QUARTILE.INC of the 2-dp averages), as one row."""
    return udfs.cut_points(averages, book=_book(caller))


@xw.func(category=_CATEGORY)
@xw.arg("averages", doc="A column of average metric scores.", **_RANGE)
@xw.arg("cut_points", doc="Optional: three cut-points c1, c2, c3; default the quartiles of "
                          "the averages given.", **_RANGE)
def NOF_SEGMENTS(averages, cut_points=None, caller=None):
    """Segment 1 (best) to 4 for each average; at a cut-point goes to the worse segment."""
    return udfs.segments(averages, cut_points, book=_book(caller))


@xw.func(category=_CATEGORY)
@xw.arg("segments", doc="A column of segments 1 to 4 (before the override).", **_RANGE)
@xw.arg("in_deficit", doc="Yes/No per row (or one cell for all); blank = No.", **_RANGE)
def NOF_ADJUSTED_SEGMENT(segments, in_deficit, caller=None):
    """The financial override: an organisation in deficit is no better than segment 3."""
    return udfs.adjusted_segments(segments, in_deficit, book=_book(caller))


@xw.func(category=_CATEGORY)
@xw.arg("types", doc="Trust type per row: acute, non-acute, ambulance, icb (or NHS names).",
        **_RANGE)
@xw.arg("segments", doc="Adjusted segments, same size.", **_RANGE)
@xw.arg("averages", doc="Average metric scores, same size.", **_RANGE)
def NOF_POSITIONS(types, segments, averages, caller=None):
    """League position within each type, by segment then 2-dp average; ties share (1,2,2,4)."""
    return udfs.positions(types, segments, averages, book=_book(caller))


@xw.func(category=_CATEGORY)
@xw.arg("inputs", doc="Header row (Code, Name, Type, In deficit, In RSP, metric IDs) and one "
                      "row per organisation.", **_RANGE)
@xw.arg("cut_points", doc="Optional: fixed cut-points c1, c2, c3; default national "
                          "quartiles.", **_RANGE)
@xw.arg("replicates", doc="Optional: bootstrap replicates for the likely ranges (0 = off, "
                          "faster).")
@xw.arg("org_type", doc="Optional: one type's table only (acute, non-acute, ambulance, icb).")
def NOF_LEAGUE_TABLE(inputs, cut_points=None, replicates=None, org_type=None, caller=None):
    """The whole league table with a header row (spills in Excel 365)."""
    return udfs.league_table(inputs, cut_points, replicates, org_type, book=_book(caller))


@xw.func(category=_CATEGORY)
@xw.arg("org_type", doc="The type whose table to show: acute, non-acute, ambulance or icb.")
@xw.arg("acute", doc="The Acute inputs sheet from A1 (header row included).", **_RANGE)
@xw.arg("non_acute", doc="The Non-acute inputs sheet from A1.", **_RANGE)
@xw.arg("ambulance", doc="The Ambulance inputs sheet from A1.", **_RANGE)
@xw.arg("icb", doc="The ICB inputs sheet from A1.", **_RANGE)
@xw.arg("replicates", doc="Optional: likely-range resamples (blank: the Settings sheet's; "
                          "0 = off, faster).")
def NOF_LIVE_TABLE(org_type, acute, non_acute, ambulance, icb, replicates=None, caller=None):
    """One type's league table from the four input sheets, as the Recalculate macro computes
    it (this workbook's Settings and Metrics): the Live sheet's formulas."""
    return live.live_table(org_type, acute, non_acute, ambulance, icb, replicates,
                           size=_size(caller), book=_book(caller))


# --- macros: Alt+F8 after Import Functions (Windows), or RunPython from VBA (Windows, macOS) ---

def _run(macro, *args):
    """Run ``macro`` on the calling workbook; the status bar says so, and is cleared after."""
    return macros.run_macro(xw.Book.caller(), macro, *args)


@xw.sub
def RecalculateLeagueTables():
    """Recompute every output sheet of this workbook (the same as xl-league recalc)."""
    _run(macros.recalculate)


@xw.sub
def BuildPacks():
    """One plain .xlsx per organisation, in a '<workbook> packs' folder beside this workbook."""
    _run(macros.build_packs)


@xw.sub
def ImportNhseData():
    """Fill the empty input sheets from NHS England's trust-data CSV pasted on the 'NHSE
    data' sheet (the rules of xl-league import-nhse), then recalculate."""
    _run(nhse_import.import_nhse_data)


@xw.sub
def WhatIfSetUp():
    """Copy the inputs of the organisation typed in 'What-if'!B3 to the What-if sheet."""
    _run(whatif.what_if_setup)


@xw.sub
def WhatIf():
    """Recalculate with the What-if sheet's values; show before and after."""
    _run(whatif.what_if)


def main():
    """The quickstart's SampleCall button/macro: recalculate this workbook."""
    _run(macros.recalculate)
