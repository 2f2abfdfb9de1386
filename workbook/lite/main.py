"""xl-league for xlwings Lite: paste this file into the main.py tab of the xlwings Lite editor
(and requirements.txt into its requirements.txt tab).

NHS Oversight Framework league tables in Excel with nothing to install: Microsoft 365 or
Office 2021+ on Windows, Mac or the web, with the free xlwings Lite add-in. Python runs in the
browser (Pyodide); this code and its requirements are stored in the workbook.

Functions (same names and arguments as the desktop workbook's): NOF_METRIC_SCORES,
NOF_AVERAGE, NOF_CUT_POINTS, NOF_SEGMENTS, NOF_ADJUSTED_SEGMENT, NOF_POSITIONS and
NOF_LEAGUE_TABLE(inputs, cut_points, replicates, org_type).

Scripts (run them from the xlwings Lite pane):
    recalculate_league_tables   every output sheet, as `xl-league recalc`
    what_if_set_up              copy the inputs of the organisation typed in 'What-if'!B3
    what_if                     recalculate with the What-if column; before and after
    import_nhse_data            fill the empty input sheets from NHS England's trust-data CSV
                                pasted into a sheet named "NHSE data", and recalculate
    build_packs                 says how to make packs: they are files, and xlwings Lite has no
                                folder you can reach, so packs stay a desktop / command-line job

Problems are written to the Problems sheet and printed here (the output pane).
Each function and script only passes Excel's cells to xl-league: the calculation is the same
engine as the command line and the desktop workbook.
"""

import xlwings as xw
from xlwings import arg, func, script

from xl_league.excel import lite_book, macros, nhse_import, udfs, whatif

_RANGE = {"ndim": 2, "err_to_str": True}  # always rows of cells; Excel errors as "#N/A" text


# --- functions ------------------------------------------------------------------------------

@func
@arg("values", doc="A column (or row) of metric values; blanks get no score.", **_RANGE)
@arg("direction", doc='"higher" or "lower" is better, or a metric ID such as OF0013 (its '
                      "direction, bands or peer group come from the catalogue).")
@arg("peer_groups", doc="Optional, same size: peer-group labels, or the trust types when "
                        "direction is a metric ID.", **_RANGE)
def NOF_METRIC_SCORES(values, direction, peer_groups=None):
    """Metric scores 1 (best) to 4 (worst): 1 + 3 x (how many are better) / (n - 1)."""
    return udfs.metric_scores(values, direction, peer_groups)


@func
@arg("scores", doc="Metric scores, one row per organisation; optional header row of score IDs "
                   "(OF1023 ...) so the catalogue decides which count.", **_RANGE)
def NOF_AVERAGE(scores):
    """Average metric score (2 dp) and metrics scored, for each row of scores."""
    return udfs.average_scores(scores)


@func
@arg("averages", doc="Every organisation's average metric score (one column).", **_RANGE)
def NOF_CUT_POINTS(averages):
    """The quartile cut-points c1, c2, c3 (QUARTILE.INC of the 2-dp averages), as one row."""
    return udfs.cut_points(averages)


@func
@arg("averages", doc="A column of average metric scores.", **_RANGE)
@arg("cut_points", doc="Optional: three cut-points c1, c2, c3; default the quartiles of the "
                       "averages given.", **_RANGE)
def NOF_SEGMENTS(averages, cut_points=None):
    """Segment 1 (best) to 4 for each average; at a cut-point goes to the worse segment."""
    return udfs.segments(averages, cut_points)


@func
@arg("segments", doc="A column of segments 1 to 4 (before the override).", **_RANGE)
@arg("in_deficit", doc="Yes/No per row (or one cell for all); blank = No.", **_RANGE)
def NOF_ADJUSTED_SEGMENT(segments, in_deficit):
    """The financial override: an organisation in deficit is no better than segment 3."""
    return udfs.adjusted_segments(segments, in_deficit)


@func
@arg("types", doc="Trust type per row: acute, non-acute, ambulance, icb (or NHS names).",
     **_RANGE)
@arg("segments", doc="Adjusted segments, same size.", **_RANGE)
@arg("averages", doc="Average metric scores, same size.", **_RANGE)
def NOF_POSITIONS(types, segments, averages):
    """League position within each type, by segment then 2-dp average; ties share (1,2,2,4)."""
    return udfs.positions(types, segments, averages)


@func
@arg("inputs", doc="Header row (Code, Name, Type, In deficit, In RSP, metric IDs) and one row "
                   "per organisation.", **_RANGE)
@arg("cut_points", doc="Optional: fixed cut-points c1, c2, c3; default national quartiles.",
     **_RANGE)
@arg("replicates", doc="Optional: bootstrap replicates for the likely ranges (0 = off, "
                       "faster).")
@arg("org_type", doc="Optional: one type's table only (acute, non-acute, ambulance, icb).")
def NOF_LEAGUE_TABLE(inputs, cut_points=None, replicates=None, org_type=None):
    """The whole league table with a header row (spills)."""
    return udfs.league_table(inputs, cut_points, replicates, org_type)


# --- scripts --------------------------------------------------------------------------------

@script
async def recalculate_league_tables(book: xw.Book):
    """Recompute every output sheet of this workbook (the same as xl-league recalc)."""
    await lite_book.run(book, macros.recalculate)


@script
async def what_if_set_up(book: xw.Book):
    """Copy the inputs of the organisation typed in 'What-if'!B3 to the What-if sheet."""
    await lite_book.run(book, whatif.what_if_setup)


@script
async def what_if(book: xw.Book):
    """Recalculate with the What-if sheet's values; show before and after."""
    await lite_book.run(book, whatif.what_if)


@script
async def import_nhse_data(book: xw.Book):
    """Fill the empty input sheets from the trust data pasted on the 'NHSE data' sheet."""
    await lite_book.run(book, nhse_import.import_nhse_data)


@script
def build_packs(book: xw.Book):
    """Packs (one .xlsx per organisation) are files: make them on a desktop or command line."""
    print("Packs are files, and xlwings Lite runs in a browser with no folder you can reach, "
          "so they are not made here. Save this workbook, then on a computer with Python: "
          "xl-league packs WORKBOOK.xlsx -o FOLDER (or the BuildPacks macro of the desktop "
          "workbook). Nothing was changed.")
