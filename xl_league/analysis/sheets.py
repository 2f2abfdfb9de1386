"""Writing the analyses into a workbook as formatted sheets (openpyxl, no file I/O here).

Each writer creates its sheet, or replaces a sheet of the same name in place (same position
in the tab order), and touches nothing else: input sheets, output sheets and the user's own
sheets are left as they are. Saving is the caller's job (``workbook_io.files.save_atomic``).

Sheet names: ``What-if``, ``Compare``, ``Explain <code>`` and ``What it takes <code>``
(Excel's 31-character limit and forbidden characters respected).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..workbook_io.formatting import print_setup, register_styles, segment_rules
from ..workbook_io.layout import (STYLE_CENTRED, STYLE_HEADER, STYLE_SCORE, STYLE_TEXT,
                                  STYLE_WHOLE, TEMPLATE_SHEETS)
from ..errors import WorkbookError
from .compare import COMPARE_CSV_COLUMNS
from .explain import Explanation
from .what_it_takes import WHAT_IT_TAKES_COLUMNS
from .whatif import WHATIF_TABLE_COLUMNS, WhatIf

__all__ = ["write_whatif_sheet", "write_compare_sheet", "write_explain_sheet",
           "write_what_it_takes_sheet", "sheet_title", "WHATIF_SHEET", "COMPARE_SHEET"]

WHATIF_SHEET = "What-if"
COMPARE_SHEET = "Compare"
_BAD_CHARS = re.compile(r"[\[\]:*?/\\]")
_TITLE_FONT = Font(bold=True, size=13)
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")

# column → (heading, width, style); columns not listed get their own name, width 12, text.
_COLUMNS: dict[str, tuple[str, float, str]] = {
    "code": ("Code", 8, STYLE_TEXT), "name": ("Organisation", 40, STYLE_TEXT),
    "type": ("Type", 11, STYLE_TEXT),
    "position_old": ("Position (old)", 10, STYLE_CENTRED),
    "position_new": ("Position (new)", 10, STYLE_CENTRED),
    "segment_old": ("Segment (old)", 10, STYLE_CENTRED),
    "segment_new": ("Segment (new)", 10, STYLE_CENTRED),
    "cause": ("Cause", 24, STYLE_TEXT),
    "position_change": ("Places gained", 9, STYLE_WHOLE),
    "final_segment_old": ("Final segment (old)", 10, STYLE_CENTRED),
    "final_segment_new": ("Final segment (new)", 10, STYLE_CENTRED),
    "unadjusted_segment_old": ("Unadjusted segment (old)", 11, STYLE_CENTRED),
    "unadjusted_segment_new": ("Unadjusted segment (new)", 11, STYLE_CENTRED),
    "average_old": ("Average score (old)", 10, STYLE_SCORE),
    "average_new": ("Average score (new)", 10, STYLE_SCORE),
    "in_deficit_old": ("In deficit (old)", 9, STYLE_CENTRED),
    "in_deficit_new": ("In deficit (new)", 9, STYLE_CENTRED),
    "override_old": ("Override applied (old)", 10, STYLE_CENTRED),
    "override_new": ("Override applied (new)", 10, STYLE_CENTRED),
    "change_low": ("Change in average: low (95 %)", 11, STYLE_SCORE),
    "change_high": ("Change in average: high (95 %)", 11, STYLE_SCORE),
    "significant": ("Significant change in average", 12, STYLE_CENTRED),
    "position_before": ("Position before", 10, STYLE_CENTRED),
    "position_after": ("Position after", 10, STYLE_CENTRED),
    "movement": ("Places gained", 9, STYLE_WHOLE),
    "average_before": ("Average before", 10, STYLE_SCORE),
    "average_after": ("Average after", 10, STYLE_SCORE),
    "segment_before": ("Segment before", 10, STYLE_CENTRED),
    "segment_after": ("Segment after", 10, STYLE_CENTRED),
    "final_segment_before": ("Final segment before", 10, STYLE_CENTRED),
    "final_segment_after": ("Final segment after", 10, STYLE_CENTRED),
    "scores_changed": ("Metric scores changed", 22, STYLE_TEXT),
    "domain": ("Domain", 28, STYLE_TEXT), "metric": ("Metric", 9, STYLE_TEXT),
    "value_id": ("Value ID", 9, STYLE_TEXT), "raw_value": ("Value", 10, STYLE_TEXT),
    "score": ("Score", 8, STYLE_SCORE), "supplied": ("Score supplied", 9, STYLE_CENTRED),
    "rank": ("Rank in peer group", 9, STYLE_WHOLE), "peers": ("Peers", 7, STYLE_WHOLE),
    "counts": ("Counts in average", 9, STYLE_CENTRED),
    "contribution": ("Contribution to average", 12, STYLE_SCORE),
    "metrics_scored": ("Metrics scored", 9, STYLE_WHOLE),
    "domain_score": ("Domain score", 9, STYLE_SCORE),
    "domain_segment": ("Domain segment", 9, STYLE_CENTRED),
    "direction": ("Better", 8, STYLE_TEXT), "current_value": ("Value now", 10, STYLE_TEXT),
    "current_score": ("Score now", 8, STYLE_SCORE),
    "score_supplied": ("Score supplied", 9, STYLE_CENTRED),
    "comparison": ("Must be", 7, STYLE_CENTRED), "target_value": ("Target value", 10, STYLE_TEXT),
    "change_needed": ("Change needed", 10, STYLE_TEXT),
    "new_score": ("New score", 8, STYLE_SCORE), "new_average": ("New average", 9, STYLE_SCORE),
    "new_unadjusted_segment": ("New unadjusted segment", 11, STYLE_CENTRED),
    "new_segment": ("New segment", 9, STYLE_CENTRED),
    "new_position": ("New position", 9, STYLE_CENTRED),
    "reachable": ("Reachable", 9, STYLE_CENTRED), "note": ("Note", 60, STYLE_TEXT),
}
_SEGMENT_COLUMNS = {"segment_old", "segment_new", "final_segment_old", "final_segment_new",
                    "unadjusted_segment_old", "unadjusted_segment_new", "segment_before",
                    "segment_after", "final_segment_before", "final_segment_after",
                    "domain_segment", "new_segment", "new_unadjusted_segment"}


def sheet_title(text: str) -> str:
    """A valid sheet name: forbidden characters replaced, at most 31 characters."""
    return _BAD_CHARS.sub("_", text).strip("'")[:31]


def _fresh_sheet(wb: Workbook, title: str) -> Worksheet:
    """Create the sheet, or replace a sheet of that name at the same position."""
    title = sheet_title(title)
    if title in TEMPLATE_SHEETS:
        raise WorkbookError(f"refusing to replace the sheet '{title}': it belongs to the "
                            "template (inputs or results)")
    register_styles(wb)
    if title in wb.sheetnames:
        index = wb.sheetnames.index(title)
        wb.remove(wb[title])
        return wb.create_sheet(title, index)
    return wb.create_sheet(title)


def _value(value: object) -> object:
    """A cell value: None for missing, Yes/No for flags, plain numbers, text."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "Yes" if value else "No"
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return value


def _write_table(ws: Worksheet, frame: pd.DataFrame, columns: Sequence[str], first_row: int,
                 widths: bool = True, headings: dict[str, str] | None = None) -> int:
    """Heading row at ``first_row`` and the rows below; returns the last row written."""
    for j, col in enumerate(columns, start=1):
        heading, width, _style = _COLUMNS.get(col, (col, 12, STYLE_TEXT))
        heading = (headings or {}).get(col, heading)
        ws.cell(row=first_row, column=j, value=heading).style = STYLE_HEADER
        letter = get_column_letter(j)
        if widths and (ws.column_dimensions[letter].width or 0) < width:
            ws.column_dimensions[letter].width = width
    ws.row_dimensions[first_row].height = 45
    r = first_row
    for r, row in enumerate(frame[list(columns)].itertuples(index=False, name=None),
                            start=first_row + 1):
        for j, (col, v) in enumerate(zip(columns, row), start=1):
            cell = ws.cell(row=r, column=j, value=_value(v))
            cell.style = _COLUMNS.get(col, (col, 12, STYLE_TEXT))[2]
    last = max(r, first_row + 1)
    letters = [get_column_letter(j) for j, c in enumerate(columns, start=1)
               if c in _SEGMENT_COLUMNS]
    if letters and len(frame):
        sqref = " ".join(f"{c}{first_row + 1}:{c}{last}" for c in letters)
        for _, rule in segment_rules():
            ws.conditional_formatting.add(sqref, rule)
    return r


def _title(ws: Worksheet, text: str, row: int = 1) -> None:
    ws.cell(row=row, column=1, value=text).font = _TITLE_FONT


def _lines(ws: Worksheet, lines: Sequence[str], first_row: int) -> int:
    r = first_row - 1
    for r, line in enumerate(lines, start=first_row):
        ws.cell(row=r, column=1, value=line)
    return r


def write_whatif_sheet(wb: Workbook, whatif: WhatIf) -> Worksheet:
    """The "What-if" sheet: the change, the result before/after, the re-ranked table, notes."""
    ws = _fresh_sheet(wb, WHATIF_SHEET)
    w = whatif
    _title(ws, f"What if: {w.code} {w.name} ({w.org_type})")
    ws.cell(row=3, column=1, value="Changed").font = _BOLD
    changes = w.changes.rename(columns={"what": "What", "before": "Before", "after": "After"})
    r = _write_table(ws, changes, ["What", "Before", "After"], 4, widths=False)
    r += 2
    ws.cell(row=r, column=1, value="Result").font = _BOLD
    summary = w.summary.reset_index().rename(
        columns={"index": "Result", "before": "Before", "after": "After"})
    summary["Result"] = summary["Result"].str.replace("_", " ").str.capitalize()
    r = _write_table(ws, summary, ["Result", "Before", "After"], r + 1, widths=False)
    r += 2
    ws.cell(row=r, column=1, value=f"{w.org_type} league table re-ranked").font = _BOLD
    table_row = r + 1
    r = _write_table(ws, w.table, WHATIF_TABLE_COLUMNS, table_row)
    for rr in range(table_row + 1, r + 1):
        if ws.cell(row=rr, column=1).value == w.code:
            for j in range(1, len(WHATIF_TABLE_COLUMNS) + 1):
                ws.cell(row=rr, column=j).font = _BOLD
    others = w.others_affected
    notes = [f"Other organisations whose metric scores changed: {', '.join(others)}"
             if others else "No other organisation's metric scores changed.", *w.notes]
    _lines(ws, notes, r + 2)
    print_setup(ws, repeat_heading=False)
    return ws


def write_compare_sheet(wb: Workbook, df: pd.DataFrame, title: str = "") -> Worksheet:
    """The "Compare" sheet: one row per organisation (headings in row 1), filterable."""
    ws = _fresh_sheet(wb, COMPARE_SHEET)
    columns = [c for c in COMPARE_CSV_COLUMNS if c in df.columns]
    last = _write_table(ws, df, columns, 1)
    ws.freeze_panes = "D2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(last, 2)}"
    print_setup(ws)
    if title:
        ws.oddHeader.center.text = title
    return ws


def write_explain_sheet(wb: Workbook, explanation: Explanation) -> Worksheet:
    """The "Explain <code>" sheet: the plain-words lines, the metric and domain tables."""
    e = explanation
    ws = _fresh_sheet(wb, f"Explain {e.code}")
    _title(ws, f"{e.code} {e.name}: why this segment and position")
    r = _lines(ws, e.lines, 3)
    r = _write_table(ws, e.metrics, list(e.metrics.columns), r + 2,
                     headings={"name": "Metric name", "metric": "Score ID"})
    _write_table(ws, e.domains, list(e.domains.columns), r + 2, widths=False)
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 28)
    print_setup(ws, repeat_heading=False)
    return ws


def write_what_it_takes_sheet(wb: Workbook, df: pd.DataFrame) -> Worksheet:
    """The "What it takes <code>" sheet: the goal, then one row per metric."""
    a = df.attrs
    ws = _fresh_sheet(wb, f"What it takes {a.get('code', '')}".strip())
    _title(ws, f"What it would take: {a.get('code', '')} {a.get('name', '')}")
    ws.cell(row=2, column=1,
            value=f"Now segment {a.get('segment', '')}, position {a.get('position', '')}. "
                  f"Goal: {a.get('goal', '')}, one metric at a time, everyone else as they are.")
    if a.get("done"):
        ws.cell(row=2, column=1, value=f"Now segment {a.get('segment', '')}, position "
                                       f"{a.get('position', '')}: {a.get('goal', '')}, so there "
                                       "is nothing better to reach.")
        print_setup(ws, repeat_heading=False)
        return ws
    _write_table(ws, df, WHAT_IT_TAKES_COLUMNS, 4,
                 headings={"name": "Metric name", "metric": "Score ID"})
    for row in ws.iter_rows(min_row=5, min_col=len(WHAT_IT_TAKES_COLUMNS),
                            max_col=len(WHAT_IT_TAKES_COLUMNS)):
        for cell in row:
            cell.alignment = _WRAP
    ws.freeze_panes = "C5"
    print_setup(ws, repeat_heading=False)
    return ws
