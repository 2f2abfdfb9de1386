"""Look and feel of the sheets: named styles, headings, widths, conditional formatting, print.

Shared by the template builder and the results writer so that a sheet rewritten by a
recalculation looks exactly like the template's. Every function here is idempotent: applying
it twice gives the same sheet. Cell styles are *named* styles registered once per workbook, so
writing a table assigns a style name per cell instead of building style objects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from .layout import (LEAGUE_TABLE_COLUMNS, OUTPUT_ROWS, SEGMENT_COLOURS, SEGMENT_KEYS,
                     STYLE_CENTRED, STYLE_HEADER, STYLE_SCORE, STYLE_TEXT, STYLE_WHOLE)

__all__ = ["register_styles", "write_heading_row", "format_league_sheet",
           "format_metric_scores_sheet", "format_cut_points_sheet", "segment_rules",
           "print_setup", "TextFit", "fit_text", "apply_text_fit", "WRAPPED_TEXT",
           "NHS_BLUE"]

NHS_BLUE = "005EB8"
_THIN = Side(style="thin", color="A6A6A6")


def _named_styles() -> list[NamedStyle]:
    heading = NamedStyle(STYLE_HEADER)
    heading.font = Font(bold=True, color="FFFFFF")
    heading.fill = PatternFill("solid", fgColor=NHS_BLUE)
    heading.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    heading.border = Border(bottom=_THIN)
    score = NamedStyle(STYLE_SCORE, number_format="0.00")
    score.alignment = Alignment(horizontal="right")
    whole = NamedStyle(STYLE_WHOLE, number_format="0")
    whole.alignment = Alignment(horizontal="right")
    text = NamedStyle(STYLE_TEXT)
    text.alignment = Alignment(horizontal="left")
    centred = NamedStyle(STYLE_CENTRED, number_format="0")
    centred.alignment = Alignment(horizontal="center")
    return [heading, score, whole, text, centred]


def register_styles(wb: Workbook) -> None:
    """Add xl-league's named styles to ``wb`` unless already there (a user may restyle them)."""
    present = set(wb.named_styles)
    for style in _named_styles():
        if style.name not in present:
            wb.add_named_style(style)


def write_heading_row(ws: Worksheet, headings: Sequence[str], widths: Sequence[float] | None = None,
                      height: float = 45) -> None:
    """Row 1 = ``headings`` in the heading style; optional column widths; frozen below."""
    for col, text in enumerate(headings, start=1):
        cell = ws.cell(row=1, column=col, value=text)
        cell.style = STYLE_HEADER
    if widths is not None:
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[1].height = height


def print_setup(ws: Worksheet, repeat_heading: bool = True) -> None:
    """Landscape A4, fit to one page wide, heading row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if repeat_heading:
        ws.print_title_rows = "1:1"
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4


def segment_rules() -> list[tuple[int, CellIsRule]]:
    """Conditional formatting rules colouring a segment cell 1 green … 4 red, 5 dark."""
    rules = []
    for seg, (fill, font) in SEGMENT_COLOURS.items():
        rules.append((seg, CellIsRule(operator="equal", formula=[str(seg)],
                                      fill=PatternFill("solid", fgColor=fill, bgColor=fill),
                                      font=Font(color=font, bold=seg == 5))))
    return rules


def format_league_sheet(ws: Worksheet, title: str) -> None:
    """Headings, widths, frozen panes, segment colours and print setup of a league table."""
    cols = LEAGUE_TABLE_COLUMNS
    write_heading_row(ws, [c.heading for c in cols], [c.width for c in cols])
    ws.freeze_panes = "D2"
    last = OUTPUT_ROWS + 1
    letters = [get_column_letter(i) for i, c in enumerate(cols, start=1) if c.key in SEGMENT_KEYS]
    sqref = " ".join(f"{col}2:{col}{last}" for col in letters)
    ws.conditional_formatting = ConditionalFormattingList()
    for _, rule in segment_rules():
        ws.conditional_formatting.add(sqref, rule)
    print_setup(ws)
    ws.oddHeader.center.text = title
    ws.oddFooter.center.text = "Page &P of &N"


def format_metric_scores_sheet(ws: Worksheet, metric_count: int) -> None:
    """Fixed columns, frozen panes, a green–amber–red scale over the scores, print setup."""
    ws.freeze_panes = "D2"
    for letter, width in zip("ABC", (11, 8, 40)):
        ws.column_dimensions[letter].width = width
    for col in range(4, 4 + metric_count):
        ws.column_dimensions[get_column_letter(col)].width = 9
    ws.conditional_formatting = ConditionalFormattingList()
    if metric_count:
        last_col = get_column_letter(3 + metric_count)
        ws.conditional_formatting.add(
            f"D2:{last_col}{OUTPUT_ROWS + 1}",
            ColorScaleRule(start_type="num", start_value=1, start_color="63BE7B",
                           mid_type="num", mid_value=2.5, mid_color="FFEB84",
                           end_type="num", end_value=4, end_color="F8696B"))
    print_setup(ws)
    ws.oddFooter.center.text = "Page &P of &N"


@dataclass(frozen=True)
class TextFit:
    """Column widths for a table's text columns, and the cells too long for them (they wrap,
    and their rows grow to hold every line)."""

    widths: dict[str, float]
    wrapped: list[tuple[int, int]]        # (row, column) of each cell that wraps
    heights: dict[int, float]             # row → points for its wrapped lines


def fit_text(rows: Sequence[Sequence[object]], widths: Mapping[str, tuple[float, float]],
             first_row: int = 2) -> TextFit:
    """Width of each text column (by letter) from its longest entry in ``rows`` (written from
    ``first_row``), between (minimum, maximum); an entry longer than the maximum wraps, so no
    name is cut off on screen or paper."""
    out = TextFit({}, [], {})
    for letter, (minimum, maximum) in widths.items():
        col = column_index_from_string(letter)
        texts = [(r, str(row[col - 1])) for r, row in enumerate(rows, start=first_row)
                 if len(row) >= col and row[col - 1] is not None]
        longest = max((len(text) for _, text in texts), default=0)
        out.widths[letter] = min(max(longest + 2, minimum), maximum)
        for r, text in texts:
            if len(text) + 2 > maximum:
                out.wrapped.append((r, col))
                lines = math.ceil(len(text) / (maximum - 2))
                out.heights[r] = max(out.heights.get(r, 15), 15 * lines)
    return out


def apply_text_fit(ws: Worksheet, fit: TextFit) -> None:
    """The widths and row heights of ``fit`` on ``ws`` (the wrapping is the cells' style, set
    where they are written: :data:`WRAPPED_TEXT`)."""
    for letter, width in fit.widths.items():
        ws.column_dimensions[letter].width = width
    for r, height in fit.heights.items():
        current = ws.row_dimensions[r].height or 15
        ws.row_dimensions[r].height = max(current, height)


#: The alignment of a text cell too long for its column.
WRAPPED_TEXT = Alignment(horizontal="left", wrap_text=True)


def format_cut_points_sheet(ws: Worksheet) -> None:
    """Widths and print setup of the Cut-points sheet."""
    for letter, width in zip("ABCDEFG", (30, 34, 20, 14, 11, 11, 11)):
        ws.column_dimensions[letter].width = width
    print_setup(ws, repeat_heading=False)
