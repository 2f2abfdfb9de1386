"""The Dashboard sheet: the league tables as pictures, rewritten by every recalculation.

Native Excel charts (openpyxl.chart), so they open in Excel and LibreOffice without Python:

* **Segments by type**: stacked bars of the final segment counts (1 to 5) of each type;
* **Distribution of average metric scores**: a histogram (columns over bins of 0.1 of the
  2-dp averages, all organisations), each column stacked by the unadjusted segment its
  organisations fall in, so the change of colour marks the cut-points; the legend gives the
  cut-point values (one pool) and the bin labels are the averages each bin holds;
* **Financial override**: per type, the organisations in deficit capped at segment 3 (from
  segment 1, from segment 2) and those in deficit whose segment was already 3 or 4;
* **Caterpillar per type**: league position (x) against average metric score (y), a series
  per final segment, the likely score range as error bars (plus/minus from cells) and the
  type's cut-points as dashed horizontal lines.

Beside them a national summary: organisations per final segment and type, the financial
override per type, and the cut-points with how they were set. Every chart plots cells of the
Dashboard itself: the summary tables, or the "Chart data" area to the right of the printed
pages (columns from R; values, no formulas). Each chart group prints on one landscape A4
page (fixed scale, a page break after each group, print area over the pages only).

The sheet is replaced, not cleared, at each recalculation (its charts would otherwise pile
up). The macros copy cells only: there the Dashboard carries its tables and chart data but no
charts (see :mod:`xl_league.excel.macros`).
"""

from __future__ import annotations

import math
import textwrap
from copy import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.chart.data_source import AxDataSource, NumDataSource, NumRef, StrRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.drawing.text import CharacterProperties, ParagraphProperties
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.workbook import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.pagebreak import Break, RowBreak
from openpyxl.worksheet.worksheet import Worksheet

from ..engine.pipeline import LeagueTables
from ..errors import WorkbookError
from .table_rows import CellRows, TableRows, put_value
from .layout import (ABOUT_SHEET, DASHBOARD_SHEET, LEAGUE_SHEETS, SEGMENT_COLOURS,
                     STYLE_CENTRED, STYLE_HEADER, STYLE_SCORE, STYLE_TEXT, STYLE_WHOLE)

__all__ = ["write_dashboard", "dashboard_placeholder", "is_our_dashboard",
           "looks_like_our_dashboard", "not_our_dashboard", "PAGE_ROWS",
           "DATA_COLUMN", "SEGMENTS", "BIN_WIDTH", "MARKER_NAME"]

#: A name local to the Dashboard that xl-league writes: a sheet of that name without it is a
#: user's own, which a recalculation must not replace. (A defined name lives in the workbook
#: part, so it is seen even when the sheet's cells are not loaded.)
MARKER_NAME = "xlLeagueDashboard"
_TITLE = "NHS Oversight Framework league tables"

#: Rows of one printed page (one chart group); the page breaks fall after each block.
PAGE_ROWS = 42
#: Printed columns A:O; the chart data starts at column R, outside the print area.
PAGE_COLUMNS = 15
DATA_COLUMN = 18
SEGMENTS = (1, 2, 3, 4, 5)
#: Width of a histogram bin of the average metric score.
BIN_WIDTH = 0.1
#: Print scale: A:O fits the width of a landscape A4 page in Excel and in LibreOffice (whose
#: columns of the same width in characters come out wider).
_PRINT_SCALE = 76
_ROW_POINTS = 15
_GREY = "7F7F7F"
_CUT_COLOURS = ("2E7D32", "B7950B", "C62828")   # the line between segments 1|2, 2|3, 3|4
_CAPPED_COLOURS = (SEGMENT_COLOURS[1][0], SEGMENT_COLOURS[2][0], "BFBFBF")
_NOTE = Font(italic=True, color="595959", size=9)


def type_label(org_type: str) -> str:
    """'Non-acute' for 'non-acute': the league table sheet's name without 'league table'."""
    return LEAGUE_SHEETS.get(org_type, org_type).removesuffix(" league table")


#: (workbook, named style) → the style array a cell of that style carries: ``cell.style =
#: name`` searches the workbook's named styles each time, a copy of the array does not.
_STYLE_ARRAYS: dict[tuple[int, str], object] = {}


def _text(ws: Worksheet, row: int, col: int, value: object, style: str | None = None):
    """A cell holding ``value``; text stays text (an organisation named ``=X`` is no formula)."""
    cell = put_value(ws, row, col, value)
    if style:
        key = (id(ws.parent), style)
        if key in _STYLE_ARRAYS:
            cell._style = copy(_STYLE_ARRAYS[key])
        else:
            cell.style = style
            _STYLE_ARRAYS[key] = copy(cell._style)
    return cell


def _ref(ws: Worksheet, col: int, first: int, last: int) -> str:
    """``'Dashboard'!$C$5:$C$9`` — a column range as a chart series formula."""
    letter = get_column_letter(col)
    return f"{quote_sheetname(ws.title)}!${letter}${first}:${letter}${last}"


def _count(values: pd.Series, wanted: object) -> int:
    return int((values == wanted).sum())


def _fill(series: Series, colour: str, border: str | None = None) -> None:
    series.graphicalProperties = GraphicalProperties(solidFill=colour)
    series.graphicalProperties.line = LineProperties(solidFill=border or colour)


def _text_categories(chart, ref: str) -> None:
    """Category labels from text cells (openpyxl's set_categories would call them numbers)."""
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=ref))


def _show_axes(chart) -> None:
    """openpyxl 3.1 marks new axes as deleted: show them, with major gridlines on y only."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.majorGridlines = None


def _title(chart, text: str, size: int = 12) -> None:
    """A chart title in a modest bold font (the default is large in LibreOffice)."""
    chart.title = text
    props = CharacterProperties(sz=size * 100, b=True)
    chart.title.tx.rich.p[0].pPr = ParagraphProperties(defRPr=props)
    for run in chart.title.tx.rich.p[0].r:
        run.rPr = props


def _place(chart, first: str, last: str) -> None:
    """Anchor ``chart`` from the top left of cell ``first`` to the top left of ``last``, so it
    covers the same cells (and prints on the same page) whatever the application's column
    widths come out as."""
    def marker(coordinate: str) -> AnchorMarker:
        letters, row = coordinate_from_string(coordinate)
        return AnchorMarker(col=column_index_from_string(letters) - 1, row=row - 1)

    chart.anchor = TwoCellAnchor(_from=marker(first), to=marker(last))


def _cut_format(values: Sequence[float]) -> str:
    """One number format for every cut-point shown: 3 decimals if any needs them (2.065)."""
    finite = [v for v in values if v is not None and not math.isnan(v)]
    return "0.000" if any(abs(round(v, 2) - v) > 1e-9 for v in finite) else "0.00"


def _fmt(value: float, number_format: str) -> str:
    return f"{value:.{len(number_format.split('.')[1])}f}"


# --------------------------------------------------------------------------- the data

@dataclass(frozen=True)
class _Pool:
    pool: str
    rule: str
    organisations: int
    cuts: tuple[float, float, float]


def _pools(results: LeagueTables) -> list[_Pool]:
    return [_Pool(str(r["pool"]), str(r["rule"]), int(r["organisations"]),
                  (float(r["c1"]), float(r["c2"]), float(r["c3"])))
            for _, r in results.cut_points.iterrows()]


def _how_set(rule: str, overrides: str) -> str:
    if rule == "fixed":
        source = ("given on the command line (--cutoffs)" if "cutoffs" in overrides
                  else "set on the Settings sheet (cut_point_1 to cut_point_3)")
        return f"Rule 'fixed': the cut-points were {source}."
    if rule == "type-quartiles":
        return ("Rule 'type-quartiles': the quartiles of the average metric scores of each "
                "type's organisations.")
    return ("Rule 'national-quartiles': the quartiles of the average metric scores of all NHS "
            "trusts together (ICBs apart).")


def _types(results: LeagueTables) -> list[str]:
    return results.types_present


# --------------------------------------------------------------------------- page 1: summary

def _heading_row(ws: Worksheet, row: int, headings: Sequence[str], height: float = 30) -> None:
    for col, text in enumerate(headings, start=1):
        _text(ws, row, col, text, STYLE_HEADER)
    ws.row_dimensions[row].height = height


def _segment_table(ws: Worksheet, row: int, results: LeagueTables) -> tuple[int, int, int]:
    """Organisations per final segment and type; returns (heading row, first, last type row)."""
    _text(ws, row, 1, "Organisations by final segment").font = Font(bold=True, size=12)
    head = row + 1
    _heading_row(ws, head, ["Type", *(f"Segment {s}" for s in SEGMENTS), "No segment",
                            "Total"])
    league = results.league
    r = head
    for org_type in _types(results):
        r += 1
        rows = league[league["type"] == org_type]
        _text(ws, r, 1, type_label(org_type), STYLE_TEXT)
        for col, seg in enumerate(SEGMENTS, start=2):
            _text(ws, r, col, _count(rows["final_segment"], seg), STYLE_WHOLE)
        _text(ws, r, 7, int(rows["final_segment"].isna().sum()), STYLE_WHOLE)
        _text(ws, r, 8, len(rows), STYLE_WHOLE)
    first, last = head + 1, r
    r += 1
    _text(ws, r, 1, "All", STYLE_TEXT).font = Font(bold=True)
    for col, seg in enumerate(SEGMENTS, start=2):
        _text(ws, r, col, _count(league["final_segment"], seg), STYLE_WHOLE).font = \
            Font(bold=True)
    _text(ws, r, 7, int(league["final_segment"].isna().sum()), STYLE_WHOLE).font = \
        Font(bold=True)
    _text(ws, r, 8, len(league), STYLE_WHOLE).font = Font(bold=True)
    return head, first, last


def _override_counts(rows: pd.DataFrame) -> dict[str, int]:
    capped = rows["override_applied"].astype(bool)
    deficit = rows["in_deficit"].astype(bool)
    return {
        "organisations": len(rows),
        "in_deficit": int(deficit.sum()),
        "capped": int(capped.sum()),
        "from_1": int((capped & (rows["unadjusted_segment"] == 1)).sum()),
        "from_2": int((capped & (rows["unadjusted_segment"] == 2)).sum()),
        "unchanged": int((deficit & ~capped).sum()),
        "segment_5": _count(rows["final_segment"], 5),
    }


_OVERRIDE_HEADINGS = (("organisations", "Total"), ("in_deficit", "In deficit"),
                      ("capped", "Capped at segment 3"), ("from_1", "of which from segment 1"),
                      ("from_2", "of which from segment 2"),
                      ("segment_5", "Segment 5 (RSP)"))


def _override_table(ws: Worksheet, row: int, results: LeagueTables) -> int:
    """The financial override per type; returns the last row written."""
    cap = results.methodology.override_cap_segment
    _text(ws, row, 1, "Financial override").font = Font(bold=True, size=12)
    head = row + 1
    _heading_row(ws, head, ["Type", *(h.replace("segment 3", f"segment {cap}")
                                      for _, h in _OVERRIDE_HEADINGS)], height=45)
    r = head
    for org_type in _types(results):
        r += 1
        counts = _override_counts(results.league[results.league["type"] == org_type])
        _text(ws, r, 1, type_label(org_type), STYLE_TEXT)
        for col, (key, _) in enumerate(_OVERRIDE_HEADINGS, start=2):
            _text(ws, r, col, counts[key], STYLE_WHOLE)
    return r


def _cut_point_table(ws: Worksheet, row: int, results: LeagueTables, overrides: str) -> int:
    """The cut-points per pool and how they were set; returns the last row written."""
    _text(ws, row, 1, "Cut-points").font = Font(bold=True, size=12)
    head = row + 1
    _heading_row(ws, head, ["Pool", "", "", "Count", "Cut-point 1", "Cut-point 2",
                            "Cut-point 3"], height=30)
    pools = _pools(results)
    number_format = _cut_format([c for p in pools for c in p.cuts])
    r = head
    for pool in pools:
        r += 1
        name = " + ".join(type_label(t) for t in pool.pool.split(" + "))
        _text(ws, r, 1, name, STYLE_TEXT)      # B and C left empty: the name runs over them
        _text(ws, r, 4, pool.organisations, STYLE_WHOLE)
        for col, value in enumerate(pool.cuts, start=5):
            _text(ws, r, col, value, STYLE_SCORE).number_format = number_format
    for rule in dict.fromkeys(p.rule for p in pools):
        r = _wrapped_note(ws, r + 1, _how_set(rule, overrides))
    return _wrapped_note(ws, r + 1, "Segment 1: an average metric score below cut-point 1; "
                                    "segment 2: from cut-point 1; segment 3: from cut-point 2; "
                                    "segment 4: from cut-point 3 (the average rounded to 2 "
                                    "decimal places; an average equal to a cut-point goes to "
                                    "the worse segment).")


def _wrapped_note(ws: Worksheet, row: int, text: str, col: int = 1, width: int = 100) -> int:
    """A note as lines of at most ``width`` characters, one a row from ``row`` (no merged
    cells: each line runs over the empty cells to its right); returns its last row."""
    for offset, line in enumerate(textwrap.wrap(text, width)):
        _note(ws, row + offset, line, col)
    return row + offset


def _stacked_bars(direction: str, gap: int, title: str) -> BarChart:
    """A stacked bar chart (``direction`` "bar": horizontal, "col": upright) with its title."""
    chart = BarChart()
    chart.type = direction
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = gap
    _title(chart, title)
    return chart


def _segments_chart(ws: Worksheet, head: int, first: int, last: int) -> BarChart:
    chart = _stacked_bars("bar", 60, "Organisations by final segment, per type")
    chart.y_axis.title = "Organisations"
    chart.x_axis.scaling.orientation = "maxMin"      # first type at the top,
    chart.y_axis.crosses = "max"                     # the counts axis below the bars
    data = Reference(ws, min_col=2, max_col=1 + len(SEGMENTS), min_row=head, max_row=last)
    chart.add_data(data, titles_from_data=True)
    _text_categories(chart, _ref(ws, 1, first, last))
    for series, seg in zip(chart.series, SEGMENTS):
        _fill(series, SEGMENT_COLOURS[seg][0], "595959")
    _show_axes(chart)
    chart.legend.position = "b"
    return chart


# --------------------------------------------------------------------------- chart data area

class _DataArea:
    """The "Chart data" area right of the printed pages: blocks one under the other."""

    def __init__(self, ws: Worksheet):
        self.ws = ws
        self.row = 3
        _text(ws, 1, DATA_COLUMN, "Chart data: plotted by the charts on the left, rewritten "
                                  "at each recalculation (not printed)").font = Font(bold=True)

    def block(self, title: str, headings: Sequence[str], rows: Sequence[Sequence[object]],
              styles: Sequence[str], col: int = DATA_COLUMN) -> tuple[int, int, int]:
        """Write a titled table; returns (heading row, first data row, last data row)."""
        ws = self.ws
        _text(ws, self.row, col, title).font = Font(bold=True)
        head = self.row + 1
        for c, text in enumerate(headings, start=col):
            _text(ws, head, c, text, STYLE_HEADER)
        r = head
        for values in rows:
            r += 1
            for c, (value, style) in enumerate(zip(values, styles), start=col):
                _text(ws, r, c, value, style)
        self.row = r + 2
        return head, head + 1, r


# --------------------------------------------------------------------------- page 2

def _bins(averages: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Bin edges (hundredths) of width BIN_WIDTH covering ``averages``, and their labels."""
    hundredths = np.rint(averages * 100).astype(int)
    step = int(round(BIN_WIDTH * 100))
    low = (hundredths.min() // step) * step
    high = (hundredths.max() // step) * step
    starts = np.arange(low, high + step, step)
    labels = [f"{s / 100:.2f}–{(s + step - 1) / 100:.2f}" for s in starts]
    return starts, labels


def _histogram(ws: Worksheet, area: _DataArea, results: LeagueTables) -> BarChart | None:
    league = results.league[results.league["average_score"].notna()]
    if league.empty:
        return None
    averages = league["average_score"].to_numpy(dtype=float)
    starts, labels = _bins(averages)
    step = int(round(BIN_WIDTH * 100))
    index = (np.rint(averages * 100).astype(int) - starts[0]) // step
    segment = league["unadjusted_segment"].to_numpy(dtype=float)
    pools = _pools(results)
    number_format = _cut_format([c for p in pools for c in p.cuts])
    names = []
    for seg in (1, 2, 3, 4):
        name = f"Segment {seg}"
        if len(pools) == 1:
            c = (None, *pools[0].cuts, None)
            lo, hi = c[seg - 1], c[seg]
            name += (f": below {_fmt(hi, number_format)}" if lo is None else
                     f": {_fmt(lo, number_format)} or above" if hi is None else
                     f": {_fmt(lo, number_format)} to below {_fmt(hi, number_format)}")
        names.append(name)
    rows = []
    for i, label in enumerate(labels):
        in_bin = index == i
        rows.append([label, *(int((in_bin & (segment == s)).sum()) for s in (1, 2, 3, 4)),
                     int(in_bin.sum())])
    head, first, last = area.block(
        "Distribution of average metric scores (organisations per bin, by unadjusted segment)",
        ["Average metric score", *names, "All"], rows, [STYLE_TEXT] + [STYLE_WHOLE] * 5)
    chart = _stacked_bars("col", 15, f"Average metric scores of {len(league)} organisations "
                                     "(colour: segment, changing at each cut-point)")
    chart.x_axis.title = "Average metric score (1 best, 4 worst), bins of 0.1"
    chart.y_axis.title = "Organisations"
    chart.add_data(Reference(ws, min_col=DATA_COLUMN + 1, max_col=DATA_COLUMN + 4,
                             min_row=head, max_row=last), titles_from_data=True)
    _text_categories(chart, _ref(ws, DATA_COLUMN, first, last))
    for series, seg in zip(chart.series, (1, 2, 3, 4)):
        _fill(series, SEGMENT_COLOURS[seg][0], "595959")
    _show_axes(chart)
    chart.legend.position = "b"
    return chart


def _override_chart(ws: Worksheet, area: _DataArea, results: LeagueTables) -> BarChart:
    cap = results.methodology.override_cap_segment
    rows = []
    for org_type in _types(results):
        counts = _override_counts(results.league[results.league["type"] == org_type])
        rows.append([type_label(org_type), counts["from_1"], counts["from_2"],
                     counts["unchanged"]])
    head, first, last = area.block(
        "Financial override: organisations in deficit, per type",
        ["Type", f"Capped: segment 1 to {cap}", f"Capped: segment 2 to {cap}",
         f"In deficit, already segment {cap} or worse"], rows,
        [STYLE_TEXT] + [STYLE_WHOLE] * 3)
    chart = _stacked_bars("col", 80, "Financial override: organisations in deficit, per type")
    chart.y_axis.title = "Organisations in deficit"
    chart.add_data(Reference(ws, min_col=DATA_COLUMN + 1, max_col=DATA_COLUMN + 3,
                             min_row=head, max_row=last), titles_from_data=True)
    _text_categories(chart, _ref(ws, DATA_COLUMN, first, last))
    for series, colour in zip(chart.series, _CAPPED_COLOURS):
        _fill(series, colour, "595959")
    _show_axes(chart)
    chart.legend.position = "r"
    return chart


# --------------------------------------------------------------------------- caterpillars

def _caterpillar(ws: Worksheet, col: int, results: LeagueTables, org_type: str,
                 sink: TableRows) -> ScatterChart | None:
    """Write one type's caterpillar data at column ``col``; the chart plotting it."""
    rows = results.league[(results.league["type"] == org_type)
                          & results.league["average_score"].notna()
                          & results.league["position"].notna()]
    if rows.empty:
        return None
    rows = rows.assign(_seg=rows["final_segment"].astype(float)).sort_values(
        ["_seg", "position"], kind="stable")
    label = type_label(org_type)
    _text(ws, 1 + 2, col, f"{label}: league position against average metric score").font = \
        Font(bold=True)
    # the cut-point lines: two points each, from before the first to after the last position
    cuts = results.cuts_for(rows.index[0])
    number_format = _cut_format(cuts)
    n = int(rows["position"].max())
    head = 4
    for c, text in enumerate(["Cut-point line x", *(f"Cut-point {i} ({_fmt(v, number_format)})"
                                                     for i, v in enumerate(cuts, start=1))],
                             start=col):
        _text(ws, head, c, text, STYLE_HEADER)
    for r, x in ((head + 1, 0.5), (head + 2, n + 0.5)):
        _text(ws, r, col, x, STYLE_SCORE)
        for i, c in enumerate(cuts, start=1):
            _text(ws, r, col + i, float(c), STYLE_SCORE).number_format = number_format

    table = head + 4
    headings = ["Final segment", "Position", "Average metric score", "Below (to likely from)",
                "Above (to likely to)", "Likely score from", "Likely score to", "Code",
                "Organisation"]
    for c, text in enumerate(headings, start=col):
        _text(ws, table, c, text, STYLE_HEADER)
    r = table
    spans: dict[int, tuple[int, int]] = {}
    data: list[list[object]] = []
    styles = [STYLE_CENTRED, STYLE_WHOLE, STYLE_SCORE, STYLE_SCORE, STYLE_SCORE,
              STYLE_SCORE, STYLE_SCORE, STYLE_TEXT, STYLE_TEXT]
    for code, seg, position, avg, low, high, name in zip(
            rows.index, rows["_seg"].fillna(0).astype(int).tolist(),
            rows["position"].astype(int).tolist(), rows["average_score"].astype(float).tolist(),
            rows["score_low"].astype(float).tolist(), rows["score_high"].astype(float).tolist(),
            rows["name"].tolist()):
        r += 1
        first, _ = spans.get(seg, (r, r))
        spans[seg] = (first, r)
        has_range = not (math.isnan(low) or math.isnan(high))
        data.append([seg or None, position, avg,
                     round(avg - low, 2) if has_range else None,
                     round(high - avg, 2) if has_range else None,
                     low if has_range else None, high if has_range else None,
                     str(code), str(name)])
    sink.put(ws, table + 1, data, styles, [], first_column=col)
    with_ranges = rows["score_low"].notna().any()

    chart = ScatterChart()
    chart.style = 13
    chart.scatterStyle = "lineMarker"
    _title(chart, f"{label}: average metric score by league position"
           + (", with the likely score range" if with_ranges else ""))
    chart.x_axis.title = "League position"
    chart.y_axis.title = "Average metric score (1 best, 4 worst)"
    for seg, (first, last) in spans.items():
        series = Series(Reference(ws, min_col=col + 2, min_row=first, max_row=last),
                        Reference(ws, min_col=col + 1, min_row=first, max_row=last),
                        title=f"Segment {seg}" if seg else "No segment")
        colour = SEGMENT_COLOURS.get(seg, ("FFFFFF", ""))[0]
        series.marker.symbol = "circle"
        series.marker.size = 7
        series.marker.graphicalProperties = GraphicalProperties(solidFill=colour)
        series.marker.graphicalProperties.line = LineProperties(solidFill="404040")
        series.graphicalProperties = GraphicalProperties()
        series.graphicalProperties.line = LineProperties(noFill=True)
        if with_ranges:
            series.errBars = ErrorBars(
                errDir="y", errBarType="both", errValType="cust", noEndCap=True,
                minus=NumDataSource(numRef=NumRef(f=_ref(ws, col + 3, first, last))),
                plus=NumDataSource(numRef=NumRef(f=_ref(ws, col + 4, first, last))),
                spPr=GraphicalProperties(ln=LineProperties(solidFill="A6A6A6", w=9525)))
        chart.series.append(series)
    for i, colour in enumerate(_CUT_COLOURS, start=1):
        series = Series(Reference(ws, min_col=col + i, min_row=head + 1, max_row=head + 2),
                        Reference(ws, min_col=col, min_row=head + 1, max_row=head + 2),
                        title=f"Cut-point {i} ({_fmt(cuts[i - 1], number_format)})")
        series.marker.symbol = "none"
        series.graphicalProperties = GraphicalProperties()
        series.graphicalProperties.line = LineProperties(solidFill=colour, prstDash="dash",
                                                         w=15875)
        series.smooth = False
        chart.series.append(series)
    for series in chart.series:
        series.smooth = False
    lows = rows["score_low"].where(rows["score_low"].notna(), rows["average_score"])
    highs = rows["score_high"].where(rows["score_high"].notna(), rows["average_score"])
    values = [*lows.astype(float), *highs.astype(float), *map(float, cuts)]
    chart.y_axis.scaling.min = math.floor(min(values) * 4) / 4
    chart.y_axis.scaling.max = math.ceil(max(values) * 4) / 4
    chart.x_axis.scaling.min = 0
    chart.x_axis.scaling.max = n + 1
    chart.x_axis.majorUnit = _position_step(n)
    chart.y_axis.majorUnit = 0.25
    chart.y_axis.number_format = "0.00"
    chart.x_axis.number_format = "0"
    _show_axes(chart)
    chart.legend.position = "b"
    return chart


def _position_step(n: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if n / step <= 15:
            return step
    return 200


# --------------------------------------------------------------------------- the sheet

def not_our_dashboard(sheet: str) -> str:
    """What to tell a user whose own sheet is called Dashboard."""
    return (f"the workbook has a sheet named {sheet!r} that xl-league did not write, and each "
            f"recalculation writes its own {DASHBOARD_SHEET!r} sheet: rename your sheet (e.g. "
            f"'My dashboard'), then recalculate; nothing was changed")


def looks_like_our_dashboard(first_cell: object) -> bool:
    """Whether a Dashboard sheet whose A1 holds ``first_cell`` is one xl-league wrote: its
    title (the template's "Dashboard", a recalculation's "Dashboard: NHS Oversight
    Framework league tables…"), or nothing at all. For hosts that show values but not the
    marker name (the macros write a dashboard's values, not its names)."""
    if first_cell is None or first_cell == "":
        return True
    return isinstance(first_cell, str) and (first_cell == "Dashboard" or first_cell.startswith(
        f"Dashboard: {_TITLE}"))


def is_our_dashboard(ws: Worksheet) -> bool:
    """Whether ``ws`` is a Dashboard written by xl-league (it carries the marker name)."""
    return MARKER_NAME in ws.defined_names


def _mark(ws: Worksheet) -> None:
    ws.defined_names[MARKER_NAME] = DefinedName(
        MARKER_NAME, attr_text=f"{quote_sheetname(ws.title)}!$A$1")
    ws.sheet_properties.tabColor = "005EB8"


def _fresh_sheet(wb: Workbook) -> Worksheet:
    """A new, empty Dashboard where the old one was (else right after About).

    A sheet named Dashboard that xl-league did not write is the user's: refused, not replaced.
    """
    sheet = next((n for n in wb.sheetnames if n.lower() == DASHBOARD_SHEET.lower()), None)
    if sheet is not None:
        old = wb[sheet]
        if not is_our_dashboard(old):
            raise WorkbookError(not_our_dashboard(sheet))
        index = wb.index(old)
        wb.remove(old)
    else:
        index = wb.index(wb[ABOUT_SHEET]) + 1 if ABOUT_SHEET in wb.sheetnames else 0
    ws = wb.create_sheet(DASHBOARD_SHEET, index)
    _mark(ws)
    return ws


def _page_setup(ws: Worksheet, pages: int, title: str) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.scale = _PRINT_SCALE
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.55
    ws.page_margins.header = ws.page_margins.footer = 0.25
    ws.print_options.gridLines = False
    # rows with something to read keep their full height (ws._cells: the cells written,
    # where ws.cell() would create every empty one it is asked about)
    read = {r for (r, c), cell in ws._cells.items() if c <= PAGE_COLUMNS and cell.value is not None}
    for page in range(pages):   # each page's rows add up to the same height
        rows = range(page * PAGE_ROWS + 1, (page + 1) * PAGE_ROWS + 1)
        for r in rows:
            if ws.row_dimensions[r].height is None and r in read:
                ws.row_dimensions[r].height = _ROW_POINTS
        free = [r for r in rows if ws.row_dimensions[r].height is None]
        taken = sum(ws.row_dimensions[r].height for r in rows if r not in free)
        height = (PAGE_ROWS * _ROW_POINTS - taken) / max(len(free), 1)
        for r in free:
            ws.row_dimensions[r].height = round(max(height, 6.0), 2)
    ws.print_area = f"A1:{get_column_letter(PAGE_COLUMNS)}{pages * PAGE_ROWS}"
    ws.row_breaks = RowBreak()
    for page in range(1, pages):
        ws.row_breaks.append(Break(id=page * PAGE_ROWS))
    ws.oddHeader.center.text = title
    ws.oddFooter.center.text = "Page &P of &N"


def _widths(ws: Worksheet) -> None:
    ws.column_dimensions["A"].width = 14
    for col in range(2, PAGE_COLUMNS + 1):    # B:H the summary tables, I:O beside them
        ws.column_dimensions[get_column_letter(col)].width = 10 if col <= 8 else 8
    for col in (PAGE_COLUMNS + 1, PAGE_COLUMNS + 2):
        ws.column_dimensions[get_column_letter(col)].width = 4
    ws.column_dimensions[get_column_letter(DATA_COLUMN)].width = 26
    for col in range(DATA_COLUMN + 1, DATA_COLUMN + 6):
        ws.column_dimensions[get_column_letter(col)].width = 14


def _page_title(ws: Worksheet, row: int, text: str) -> None:
    _text(ws, row, 1, text).font = Font(bold=True, size=14, color="005EB8")
    ws.row_dimensions[row].height = 21


def _note(ws: Worksheet, row: int, text: str, col: int = 1) -> None:
    _text(ws, row, col, text).font = _NOTE


def dashboard_placeholder(ws: Worksheet) -> None:
    """The template's empty Dashboard: a title and what fills it."""
    _widths(ws)
    _page_title(ws, 1, "Dashboard")
    _text(ws, 3, 1, "(filled at each recalculation: segments by type, the distribution of "
                    "average metric scores with the cut-points, the financial override and a "
                    "league-position chart per type with the likely ranges)")
    _mark(ws)
    _page_setup(ws, 1, "Dashboard")


def write_dashboard(wb: Workbook, results: LeagueTables,
                    settings_used: Mapping[str, object] | None = None,
                    quarter: str | None = None, *, rows: TableRows | None = None) -> Worksheet:
    """Replace the Dashboard sheet of ``wb`` with one drawn from ``results``; the caterpillars'
    data rows go to ``rows`` (openpyxl cells unless told)."""
    sink = rows if rows is not None else CellRows()
    used = dict(settings_used or {})
    quarter = quarter or str(used.get("Quarter") or "")
    overrides = str(used.get("Command-line overrides") or "")
    ws = _fresh_sheet(wb)
    _STYLE_ARRAYS.clear()   # a user may have restyled the named styles since the last run
    _widths(ws)
    area = _DataArea(ws)
    title = _TITLE + (f", {quarter}" if quarter else "")

    # page 1: the national summary and the segments by type
    _page_title(ws, 1, f"Dashboard: {title}")
    types = _types(results)
    counts = results.league["type"].value_counts()
    _note(ws, 2, f"{len(results.league)} organisations: " + ", ".join(
        f"{counts[t]} {'ICB' if t == 'icb' else type_label(t).lower()}" for t in types)
        + ". Charts and tables are rewritten by each recalculation.")
    head, first, last = _segment_table(ws, 4, results)
    r = _override_table(ws, last + 3, results)
    r = _cut_point_table(ws, r + 2, results, overrides)
    charts = [(_segments_chart(ws, head, first, last), "I3", f"P{PAGE_ROWS - 1}")]

    # page 2: distribution and financial override
    top = PAGE_ROWS + 1
    _page_title(ws, top, "Distribution of average metric scores and the financial override")
    histogram = _histogram(ws, area, results)
    if histogram is not None:
        charts.append((histogram, f"A{top + 2}", f"P{top + 22}"))
    charts.append((_override_chart(ws, area, results), f"A{top + 23}",
                   f"J{top + PAGE_ROWS - 2}"))
    notes = (
        "How the cut-points are marked: each column counts the organisations whose 2-dp "
        "average falls in that bin, stacked by the (unadjusted) segment they fall in, so the "
        "colour changes at each cut-point"
        + ("; the legend gives the cut-point values." if len(_pools(results)) == 1 else
           ". The pools have cut-points of their own (the table on page 1), so colours "
           "overlap where they differ."),
        "Financial override: an organisation in deficit can be no better than segment "
        f"{results.methodology.override_cap_segment}; the green parts are the organisations "
        "it moved down.",
    )
    row = top + 24
    for text in notes:
        row = _wrapped_note(ws, row, text, col=11, width=48) + 2

    # pages 3+: a caterpillar per type
    page = 2
    col = DATA_COLUMN + 7
    for org_type in types:
        chart = _caterpillar(ws, col, results, org_type, sink)
        if chart is None:
            continue
        top = page * PAGE_ROWS + 1
        _page_title(ws, top, f"{type_label(org_type)}: league position and average metric "
                             "score")
        ranges = results.league.loc[results.league["type"] == org_type, "score_low"]
        _note(ws, top + 1, "Each dot is an organisation (colour: final segment)"
              + ("; the bar is its likely score range" if ranges.notna().any() else
                 " (no likely ranges: 0 resamples)")
              + "; the dashed lines are the cut-points. A lower average is better; tied "
                "organisations share a position.")
        charts.append((chart, f"A{top + 2}", f"P{top + PAGE_ROWS - 2}"))
        page += 1
        col += 11
    for chart, first_cell, last_cell in charts:
        _place(chart, first_cell, last_cell)
        ws.add_chart(chart)
    _page_setup(ws, page, f"Dashboard: {title}")
    ws.sheet_view.showGridLines = False
    return ws
