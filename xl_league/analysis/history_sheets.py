"""The history workbook (``xl-league history BOOK... -o OUT.xlsx``): openpyxl only, no file I/O.

Sheets:

``History``           the quarters and the books they came from, how to read the workbook
``<Type> history``    one per trust type: organisations × quarters (position, final segment in
                      segment colours, average metric score, significant), and beside them the
                      trend charts (native Excel charts, with their data): organisations by
                      final segment per quarter (stacked columns), the quartiles of the
                      average metric score per quarter (lines), and the positions of the
                      largest movers (lines, position 1 at the top)
``Movers``            each pair of successive quarters' largest position changes per type,
                      with whether the change in average metric score was significant
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, LineChart, Reference, Series
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..workbook_io.formatting import print_setup, register_styles, segment_rules
from ..workbook_io.layout import (SEGMENT_COLOURS, STYLE_CENTRED, STYLE_HEADER, STYLE_SCORE,
                                  STYLE_TEXT)
from .history import MOVERS_COLUMNS, History
from .sheets import _value, _write_table, sheet_title

__all__ = ["history_workbook", "is_history_workbook", "HISTORY_SHEET", "MOVERS_SHEET"]

HISTORY_SHEET = "History"
MOVERS_SHEET = "Movers"
#: What the first sheet's A1 says: how a history workbook is recognised before replacing it.
_MARK = "xl-league history"
_TITLE = Font(bold=True, size=13)
_BOLD = Font(bold=True)
_TYPE_NAMES = {"acute": "Acute", "non-acute": "Non-acute", "ambulance": "Ambulance",
               "icb": "ICB"}
_TYPE_WORDS = {"acute": "acute trusts", "non-acute": "mental health and community trusts",
               "ambulance": "ambulance trusts", "icb": "integrated care boards"}
#: Per quarter on a type sheet: (field, heading, style, width).
_FIELDS = (("position", "Position", STYLE_CENTRED, 9),
           ("final_segment", "Segment", STYLE_CENTRED, 9),
           ("average_score", "Average score", STYLE_SCORE, 9),
           ("significant", "Significant change", STYLE_CENTRED, 11))
_MOVERS_SHOWN = 8
_SIGNIFICANT_NOTE = ("Significant: the change in average metric score from the quarter before "
                     "is significant when the 95 % interval of a paired bootstrap of the "
                     "organisation's metric scores excludes 0 (an inferred test: NHS England "
                     "does not publish theirs). Blank in the first quarter.")


def is_history_workbook(path: str | Path) -> bool:
    """True when ``path`` is a workbook this module wrote (so it may be replaced)."""
    try:
        wb = load_workbook(path, read_only=True)
    except Exception:  # not a workbook at all: not ours either
        return False
    try:
        return (wb.sheetnames[:1] == [HISTORY_SHEET]
                and str(wb[HISTORY_SHEET]["A1"].value or "").startswith(_MARK))
    finally:
        wb.close()


def history_workbook(h: History) -> Workbook:
    """A new workbook showing ``h``: the History sheet, a sheet per type, the Movers."""
    wb = Workbook()
    register_styles(wb)
    ws = wb.active
    ws.title = HISTORY_SHEET
    _about_sheet(ws, h)
    for org_type in h.types:
        _type_sheet(wb.create_sheet(_type_sheet_name(org_type)), h, org_type)
        _trend_charts(wb.create_sheet(_trend_sheet_name(org_type)), h, org_type)
    _movers_sheet(wb.create_sheet(MOVERS_SHEET), h)
    return wb


def _type_sheet_name(org_type: str) -> str:
    return sheet_title(f"{_TYPE_NAMES.get(org_type, org_type)} history")


def _trend_sheet_name(org_type: str) -> str:
    return sheet_title(f"{_TYPE_NAMES.get(org_type, org_type)} trends")


def _about_sheet(ws: Worksheet, h: History) -> None:
    ws["A1"] = f"{_MARK}: league positions and segments, {h.quarters[0]} to {h.quarters[-1]}"
    ws["A1"].font = _TITLE
    ws["A3"], ws["B3"] = "Quarter", "Workbook"
    ws["A3"].style = ws["B3"].style = STYLE_HEADER
    r = 3
    for r, (q, source) in enumerate(zip(h.quarters, h.sources), start=4):
        ws.cell(row=r, column=1, value=q)
        ws.cell(row=r, column=2, value=source)
    lines = ["Quarters are ordered by the quarter each workbook records on its Settings sheet.",
             "Sheets: " + ", ".join(f"{_type_sheet_name(t)} (organisations by quarter), "
                                    f"{_trend_sheet_name(t)} (charts)" for t in h.types)
             + f"; {MOVERS_SHEET} (the largest position changes).",
             "Segment = final segment: 1 best to 4, 5 = Recovery Support Programme.",
             _SIGNIFICANT_NOTE, *h.warnings]
    lines = [part for line in lines for part in textwrap.wrap(line, 100)]
    for i, line in enumerate(lines, start=r + 2):
        ws.cell(row=i, column=1, value=line)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 40
    print_setup(ws, repeat_heading=False)


def _type_sheet(ws: Worksheet, h: History, org_type: str) -> None:
    wide = h.wide(org_type)
    words = _TYPE_WORDS.get(org_type, org_type)
    ws["A1"] = f"{_TYPE_NAMES.get(org_type, org_type)}: {words} by quarter"
    ws["A1"].font = _TITLE
    ws["A2"] = ("Position in the league table, final segment (coloured), average metric score "
                "(1 best, 4 worst) and whether it changed significantly from the quarter "
                "before.")
    head, first = 4, 6   # quarter labels in row 4, headings in row 5, data from row 6
    ws.cell(row=head + 1, column=1, value="Code").style = STYLE_HEADER
    ws.cell(row=head + 1, column=2, value="Organisation").style = STYLE_HEADER
    ws.column_dimensions["A"].width = 8
    ws.column_dimensions["B"].width = 58
    col = 3
    segment_letters = []
    for i, q in enumerate(h.quarters):
        fields = _FIELDS if i else _FIELDS[:3]
        ws.cell(row=head, column=col, value=q).font = _BOLD
        ws.merge_cells(start_row=head, start_column=col, end_row=head,
                       end_column=col + len(fields) - 1)
        ws.cell(row=head, column=col).alignment = Alignment(horizontal="center")
        for j, (name, heading, style, width) in enumerate(fields):
            c = col + j
            ws.cell(row=head + 1, column=c, value=heading).style = STYLE_HEADER
            ws.column_dimensions[get_column_letter(c)].width = width
            if name == "final_segment":
                segment_letters.append(get_column_letter(c))
            for r, value in enumerate(wide[(q, name)].tolist(), start=first):
                ws.cell(row=r, column=c, value=_value(value)).style = style
        col += len(fields)
    for r, (code, name) in enumerate(zip(wide.index, wide[("", "name")]), start=first):
        ws.cell(row=r, column=1, value=str(code)).style = STYLE_TEXT
        ws.cell(row=r, column=2, value=_value(name)).style = STYLE_TEXT
    last = first + max(len(wide), 1) - 1
    ws.row_dimensions[head + 1].height = 32
    if segment_letters and len(wide):
        sqref = " ".join(f"{c}{first}:{c}{last}" for c in segment_letters)
        for _, rule in segment_rules():
            ws.conditional_formatting.add(sqref, rule)
    ws.freeze_panes = ws.cell(row=first, column=3)
    print_setup(ws, repeat_heading=False)
    ws.print_title_rows = f"{head}:{head + 1}"


#: Where the trend sheet's charts go (a 2 × 2 grid on one landscape page); their data below.
_CHART_ANCHORS = ("A3", "J3", "A21")
_DATA_ROW = 40


def _trend_charts(ws: Worksheet, h: History, org_type: str) -> None:
    """The trend sheet: three native charts on top, the tables they draw below them."""
    frame = h.frame[h.frame["type"] == org_type]
    quarters = list(h.quarters)
    col = 1
    ws["A1"] = (f"{_TYPE_NAMES.get(org_type, org_type)}: trends, {quarters[0]} to "
                f"{quarters[-1]}")
    ws["A1"].font = _TITLE
    ws.cell(row=_DATA_ROW - 2, column=1, value="The charts' data").font = _BOLD

    # 1. organisations by final segment, per quarter
    row = _DATA_ROW
    counts = (frame.groupby(["quarter", "final_segment"]).size().unstack(fill_value=0)
              .reindex(index=quarters, columns=range(1, 6), fill_value=0))
    table = pd.DataFrame({"Quarter": quarters,
                          **{f"Segment {s}": counts[s].tolist() for s in range(1, 6)}})
    end = _small_table(ws, "Organisations by final segment", table, row, col)
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    chart.title = "Organisations by final segment"
    for s in range(1, 6):
        series = Series(Reference(ws, min_col=col + s, min_row=row + 2, max_row=end),
                        title=f"Segment {s}")
        series.graphicalProperties.solidFill = SEGMENT_COLOURS[s][0]
        series.graphicalProperties.line.solidFill = "FFFFFF"
        chart.series.append(series)
    chart.set_categories(Reference(ws, min_col=col, min_row=row + 2, max_row=end))
    chart.y_axis.title = "Organisations"
    chart.gapWidth = 60
    _place(ws, chart, _CHART_ANCHORS[0])

    # 2. the quartiles of the average metric score, per quarter
    row = end + 3
    averages = frame.groupby("quarter")["average_score"]
    table = pd.DataFrame({"Quarter": quarters,
                          "Lower quartile": averages.quantile(0.25).reindex(quarters).tolist(),
                          "Median": averages.median().reindex(quarters).tolist(),
                          "Upper quartile": averages.quantile(0.75).reindex(quarters).tolist()})
    end = _small_table(ws, "Average metric score", table, row, col, score=True)
    chart = LineChart()
    chart.title = "Average metric score: quartiles"
    for j, colour in zip(range(1, 4), ("78BE20", "005EB8", "DA291C")):
        series = Series(Reference(ws, min_col=col + j, min_row=row + 1, max_row=end),
                         title_from_data=True)
        series.graphicalProperties.line.solidFill = colour
        series.marker.symbol = "circle"
        chart.series.append(series)
    chart.set_categories(Reference(ws, min_col=col, min_row=row + 2, max_row=end))
    chart.y_axis.title = "Average metric score"
    chart.y_axis.number_format = "0.00"
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 1, 4   # the scores' own range
    _place(ws, chart, _CHART_ANCHORS[1])

    # 3. the largest movers' positions, per quarter
    movers = h.movers[h.movers["type"] == org_type]
    print_setup(ws, repeat_heading=False)
    ws.page_setup.fitToHeight = 1
    if len(quarters) < 2 or movers.empty:
        ws[_CHART_ANCHORS[2]] = "No organisation changed position: no movers to chart."
        return
    last_pair = movers[movers["quarter_to"] == quarters[-1]]
    codes = list(dict.fromkeys((last_pair if len(last_pair) else movers)["code"]))
    codes = codes[:_MOVERS_SHOWN]
    positions = frame.pivot(index="quarter", columns="code", values="position")
    table = pd.DataFrame({"Quarter": quarters,
                          **{c: positions[c].reindex(quarters).tolist() for c in codes}})
    row = end + 3
    end = _small_table(ws, "Largest movers: position", table, row, col)
    chart = LineChart()
    chart.title = "Largest movers: position"
    for j in range(1, len(codes) + 1):
        series = Series(Reference(ws, min_col=col + j, min_row=row + 1, max_row=end),
                        title_from_data=True)
        series.marker.symbol = "circle"
        chart.series.append(series)
    chart.set_categories(Reference(ws, min_col=col, min_row=row + 2, max_row=end))
    chart.y_axis.scaling.orientation = "maxMin"   # position 1 at the top
    chart.x_axis.crosses = "max"                  # and the quarters along the bottom
    chart.y_axis.title = "Position (1 = top)"
    _place(ws, chart, _CHART_ANCHORS[2])


def _place(ws: Worksheet, chart, anchor: str) -> None:
    chart.width, chart.height = 16, 8
    chart.legend.position = "b"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    ws.add_chart(chart, anchor)


def _small_table(ws: Worksheet, title: str, table: pd.DataFrame, row: int, col: int,
                 score: bool = False) -> int:
    """A titled table at (row, col): title, headings, values; returns its last row."""
    ws.cell(row=row, column=col, value=title).font = _BOLD
    for j, heading in enumerate(table.columns):
        ws.cell(row=row + 1, column=col + j, value=str(heading)).style = STYLE_HEADER
        letter = get_column_letter(col + j)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0,
                                                 11 if j == 0 else 10)
    ws.row_dimensions[row + 1].height = 30
    r = row + 1
    for r, values in enumerate(table.itertuples(index=False, name=None), start=row + 2):
        for j, value in enumerate(values):
            cell = ws.cell(row=r, column=col + j, value=_value(value))
            cell.style = STYLE_TEXT if j == 0 else (STYLE_SCORE if score else STYLE_CENTRED)
    return r


def _movers_sheet(ws: Worksheet, h: History) -> None:
    ws["A1"] = "The largest movers: position changes between successive quarters"
    ws["A1"].font = _TITLE
    ws["A2"] = _SIGNIFICANT_NOTE
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:M2")
    ws.row_dimensions[2].height = 30
    if h.movers.empty:
        ws["A4"] = ("No organisation changed position (or only one quarter was given)."
                    if len(h.quarters) > 1 else "Only one quarter was given: nothing moved.")
        print_setup(ws, repeat_heading=False)
        return
    movers = h.movers.rename(columns={"quarter_from": "From", "quarter_to": "To",
                                      "places_gained": "Places gained"})
    columns = ["From", "To", *[c for c in MOVERS_COLUMNS
                               if c not in ("quarter_from", "quarter_to", "places_gained")]]
    columns.insert(columns.index("position_new") + 1, "Places gained")
    last = _write_table(ws, movers, columns, 4, headings={"significant": "Significant change"})
    ws.column_dimensions["E"].width = 58
    for row in ws.iter_rows(min_row=5, max_row=last):
        for cell in row:
            if cell.column_letter in ("F", "G", "H"):
                cell.style = STYLE_CENTRED
    ws.freeze_panes = "E5"
    ws.auto_filter.ref = f"A4:{get_column_letter(len(columns))}{max(last, 5)}"
    print_setup(ws, repeat_heading=False)
    ws.print_title_rows = "4:4"
