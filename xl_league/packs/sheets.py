"""Laying a :class:`~xl_league.packs.content.PackContent` out as sheets (openpyxl).

Styles are registered once per workbook as named styles and applied by name; conditional
formatting colours segments; print setup and sheet protection (no password: it guards against
accidents, not people) are applied per sheet. The What-if sheet lives in
``whatif_formulas.py``; charts in ``charts.py``.
"""

from __future__ import annotations

import datetime as _dt
import math
from copy import copy
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from .charts import SEGMENT_COLOURS, domain_scores_chart, league_scatter, metric_scores_chart
from .content import LEAGUE_DETAIL, LEAGUE_PUBLISHED, PackContent
from .recorder import BookRecorder, RecordedCell, SheetRecorder

__all__ = ["SHEET_SUMMARY", "SHEET_METRICS", "SHEET_LEAGUE", "SHEET_WHATIF", "OGL_ATTRIBUTION",
           "add_styles", "add_chart", "define_name", "segment_formatting", "print_setup",
           "protect", "put",
           "put_formula", "write_summary", "write_metrics", "write_league", "LEAGUE_FIRST_ROW"]

SHEET_SUMMARY = "Summary"
SHEET_METRICS = "Metrics"
SHEET_LEAGUE = "League table"
SHEET_WHATIF = "What-if"
OGL_ATTRIBUTION = ("Contains public sector information licensed under the Open Government "
                   "Licence v3.0.")
LEAGUE_FIRST_ROW = 5  # first data row of the League table sheet (header on row 4)
LEAGUE_ROWS_PER_PAGE = 40  # printed: a readable type size (134 acute trusts: 4 pages)

NHS_BLUE, NHS_DARK_BLUE, NHS_PALE_GREY, NHS_MID_GREY = "005EB8", "003087", "E8EDEE", "425563"
_WHITE_TEXT = {1, 4, 5}
_thin = Side(style="thin", color="AEB7BD")
_box = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)


def _styles() -> list[NamedStyle]:
    centre = Alignment(horizontal="center", vertical="center")
    unlocked = Protection(locked=False)
    return [
        NamedStyle("xl_title", font=Font(bold=True, size=16, color=NHS_DARK_BLUE)),
        NamedStyle("xl_subtitle", font=Font(size=11, color=NHS_MID_GREY)),
        NamedStyle("xl_section", font=Font(bold=True, size=12, color=NHS_BLUE),
                   border=Border(bottom=Side(style="medium", color=NHS_BLUE))),
        NamedStyle("xl_header", font=Font(bold=True, color="FFFFFF"),
                   fill=PatternFill("solid", fgColor=NHS_BLUE),
                   alignment=Alignment(wrap_text=True, vertical="center", horizontal="center")),
        NamedStyle("xl_label", font=Font(bold=True)),
        NamedStyle("xl_text", alignment=Alignment(vertical="center")),
        NamedStyle("xl_fit", alignment=Alignment(vertical="center", shrink_to_fit=True)),
        NamedStyle("xl_wrap", alignment=Alignment(wrap_text=True, vertical="top")),
        NamedStyle("xl_note", font=Font(italic=True, size=9, color=NHS_MID_GREY)),
        NamedStyle("xl_centre", alignment=centre),
        NamedStyle("xl_score", number_format="0.00", alignment=centre),
        NamedStyle("xl_value", number_format="#,##0.00", alignment=centre),
        NamedStyle("xl_int", number_format="0", alignment=centre),
        NamedStyle("xl_cut", number_format="0.000", alignment=centre),
        NamedStyle("xl_big", number_format="0.00", font=Font(bold=True, size=14),
                   alignment=centre, border=_box),
        NamedStyle("xl_big_int", number_format="0", font=Font(bold=True, size=14),
                   alignment=centre, border=_box),
        NamedStyle("xl_input", number_format="0.00", alignment=centre, border=_box,
                   fill=PatternFill("solid", fgColor="FFF2CC"), protection=unlocked,
                   font=Font(bold=True, color=NHS_DARK_BLUE)),
        NamedStyle("xl_output", number_format="0.00", alignment=centre, border=_box,
                   fill=PatternFill("solid", fgColor=NHS_PALE_GREY), font=Font(bold=True)),
        NamedStyle("xl_output_int", number_format="0", alignment=centre, border=_box,
                   fill=PatternFill("solid", fgColor=NHS_PALE_GREY), font=Font(bold=True)),
    ]


def add_styles(wb: Workbook) -> None:
    """Register the pack's named styles on ``wb`` (once per workbook)."""
    for style in _styles():
        wb.add_named_style(style)


def define_name(wb: Workbook, name: str, ws: Worksheet, ref: str) -> None:
    """A workbook-level defined name for an absolute reference on ``ws`` (e.g. ``$B$5``)."""
    if isinstance(wb, BookRecorder):
        wb.defined_names[name] = f"{quote_sheetname(ws.title)}!{ref}"
        return
    wb.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(ws.title)}!{ref}")


#: Per workbook: named style → its style array (``cell.style = name`` searches every named
#: style of the workbook for each cell; a pack sets ~220 cell styles).
_STYLE_ARRAYS: "WeakKeyDictionary[Workbook, dict[str, object]]" = WeakKeyDictionary()


def _set_style(cell, style: str) -> None:
    if isinstance(cell, RecordedCell):
        cell.style = style
        return
    arrays = _STYLE_ARRAYS.setdefault(cell.parent.parent, {})
    if style in arrays:
        cell._style = copy(arrays[style])
    else:
        cell.style = style
        arrays[style] = copy(cell._style)


def put(ws: Worksheet, row: int, col: int, value, style: str | None = None):
    """A value into a cell; text is always text (openpyxl alone makes ``=…`` a formula, so an
    organisation named ``=HYPERLINK(…)`` would be a live formula in every pack)."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    if style:
        _set_style(cell, style)
    return cell


def put_formula(ws: Worksheet, row: int, col: int, formula: str, style: str | None = None):
    """A formula (``=…``) the pack itself writes, e.g. on the What-if sheet."""
    if not formula.startswith("="):
        raise ValueError(f"not a formula: {formula!r}")
    cell = ws.cell(row=row, column=col, value=formula)
    if style:
        _set_style(cell, style)
    return cell


def segment_formatting(ws: Worksheet, ref: str) -> None:
    """Colour cells holding a segment number 1–5 (conditional formatting, no per-cell styles)."""
    if isinstance(ws, SheetRecorder):
        ws.conditional_formatting.add(ref, "segment colours")
        return
    for seg, colour in SEGMENT_COLOURS.items():
        font = Font(bold=True, color="FFFFFF" if seg in _WHITE_TEXT else "000000")
        ws.conditional_formatting.add(ref, CellIsRule(
            operator="equal", formula=[str(seg)], fill=PatternFill("solid", fgColor=colour,
                                                                   bgColor=colour), font=font))


def score_colour_scale(ws: Worksheet, ref: str) -> None:
    """Green (1.00) → amber → red (4.00) behind metric scores."""
    if isinstance(ws, SheetRecorder):
        ws.conditional_formatting.add(ref, "score colour scale")
        return
    ws.conditional_formatting.add(ref, ColorScaleRule(
        start_type="num", start_value=1, start_color="C6E8D2",
        mid_type="num", mid_value=2.5, mid_color="FFF2CC",
        end_type="num", end_value=4, end_color="F4C7C3"))


def print_setup(ws: Worksheet, header: str, *, title_rows: str | None = None,
                landscape: bool = True, pages_tall: int = 0) -> None:
    """A4, fit to one page wide (and ``pages_tall`` pages tall; 0 = as many as it takes),
    header with the organisation, footer with page numbers, each clear of the sheet's rows."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = pages_tall
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    # header and footer sit 0.35" from the paper's edge; the rows start 0.95" down, so the
    # header line never overlaps the sheet's title (0.6" did, in LibreOffice and Excel)
    ws.page_margins.top = ws.page_margins.bottom = 0.95
    ws.page_margins.header = ws.page_margins.footer = 0.35
    ws.oddHeader.left.text = header
    ws.oddHeader.right.text = "&A"
    ws.oddFooter.left.text = "xl-league · NHS Oversight Framework"
    ws.oddFooter.right.text = "Page &P of &N"
    if title_rows:
        ws.print_title_rows = title_rows


def add_chart(sheet: Worksheet, anchor: str, build, /, **spec) -> None:
    """``sheet.add_chart(build(**spec), anchor)``; a recording keeps ``build`` and ``spec``."""
    if isinstance(sheet, SheetRecorder):
        sheet.add_chart((build.__name__, spec), anchor)
    else:
        sheet.add_chart(build(**spec), anchor)


def protect(ws: Worksheet) -> None:
    """Protect formulas and figures (no password); columns and rows may still be resized."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _widths(ws: Worksheet, widths: dict[str, float]) -> None:
    for col, w in widths.items():
        ws.column_dimensions[col].width = w


def cut_format(cuts) -> str:
    """One number format showing every cut-point exactly, at 2 to 4 decimals (2.065, 2.345,
    2.660: never 2.065 / 2.345 / 2.66)."""
    for decimals in (2, 3, 4):
        if all(abs(round(float(x), decimals) - float(x)) < 1e-9 for x in cuts):
            break
    return "0." + "0" * decimals


def text_width(texts, *, least: float, most: float) -> float:
    """A column width (characters) for the longest of ``texts``, between ``least`` and ``most``
    (longer text shrinks to fit: the cells use the ``xl_fit`` style)."""
    longest = max((len(str(t)) for t in texts if t), default=0)
    return float(min(most, max(least, round(longest * 1.05 + 2))))


def _title(ws: Worksheet, title: str, subtitle: str) -> None:
    put(ws, 1, 1, title, "xl_title")
    put(ws, 2, 1, subtitle, "xl_subtitle")
    ws.row_dimensions[1].height = 24


def _period(c: PackContent) -> str:
    return f"NHS Oversight Framework {c.year}" + (f" · {c.quarter}" if c.quarter else "")


def _yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


# --------------------------------------------------------------------------- Summary

def write_summary(wb: Workbook, ws: Worksheet, c: PackContent, league_ws: Worksheet,
                  segment_blocks: list[tuple[int, int, int]],
                  average_range: tuple[float, float] | None = None,
                  trend_quarters: int | None = None) -> None:
    """Headline figures, likely ranges, cut-points, domains, two charts and the attribution."""
    _title(ws, f"{c.name} ({c.code})", f"{_period(c)} · {c.type_label} league table"
           + (f" · {c.region}" if c.region else ""))
    put(ws, 3, 1, "Figures recalculated by xl-league from the source workbook with NHS "
        "England's published method; where they differ from NHS England's tables, NHS "
        "England's are authoritative.", "xl_note")
    _widths(ws, {"A": 34, "B": 12, "C": 12, "D": 12, "E": 40, "F": 2})

    put(ws, 5, 1, "Where you stand", "xl_section")
    for col in range(2, 6):
        put(ws, 5, col, None, "xl_section")
    seg_target = (f"average must fall to {c.next_segment_target:.2f} or below to reach segment "
                  f"{c.unadjusted_segment - 1}" if c.next_segment_target is not None
                  else ("already in segment 1" if c.unadjusted_segment == 1 else ""))
    deficit_note = ("flag was blank: derived from the finance metrics" if c.deficit_derived
                    else "as given in the source workbook")
    rows = [
        ("League position", c.position, "xl_big_int", "Position",
         f"of {c.ranked_in_type} {c.type_label.lower()}s ranked (by segment, then average)"
         if c.position is not None else
         f"not ranked: fewer than {c.minimum_metrics} metric score(s), so no average"),
        ("Average metric score", c.average_score, "xl_big", "AverageScore",
         f"mean of {c.metrics_scored} metric scores, 2 dp; 1.00 best, 4.00 worst"),
        ("Metrics scored", c.metrics_scored, "xl_int", "MetricsScored",
         "metrics that count in the average"),
        ("Unadjusted segment", c.unadjusted_segment, "xl_int", "UnadjustedSegment",
         "from the average and the national cut-points below"),
        ("In financial deficit", _yes_no(c.in_deficit), "xl_centre", "InDeficit", deficit_note),
        ("Financial override applied", _yes_no(c.override_applied), "xl_centre",
         "OverrideApplied", f"a trust in deficit can be no better than segment {c.override_cap}"),
        ("Adjusted segment (league segment)", c.segment, "xl_big_int", "AdjustedSegment",
         "the segment the league table ranks by"),
        ("In Recovery Support Programme", _yes_no(c.in_rsp), "xl_centre", "InRSP",
         f"shown as segment {c.rsp_segment} when in segments "
         f"{', '.join(map(str, c.rsp_applies_to_segments))}"),
        ("Final segment", c.final_segment, "xl_big_int", "FinalSegment",
         "as published (5 = Recovery Support Programme)"),
        ("Distance to the next segment", c.distance_to_next_segment, "xl_score",
         "DistanceToNextSegment", seg_target),
    ]
    r = 6
    segment_cells = []
    for label, value, style, name, note in rows:
        put(ws, r, 1, label, "xl_label")
        put(ws, r, 2, value, style)
        put(ws, r, 3, note, "xl_note")
        define_name(wb, name, ws, f"$B${r}")
        if name.endswith("Segment") and not name.startswith("Distance"):
            segment_cells.append(f"B{r}")
        r += 1
    segment_formatting(ws, " ".join(segment_cells))

    r += 1
    put(ws, r, 1, "Likely ranges (95 %)", "xl_section")
    put(ws, r, 2, "from", "xl_section")
    put(ws, r, 3, "to", "xl_section")
    for col in (4, 5):
        put(ws, r, col, None, "xl_section")
    for label, lo, hi, style, name in (
            ("Average metric score", c.score_low, c.score_high, "xl_score", "LikelyAverage"),
            ("League position", c.rank_low, c.rank_high, "xl_int", "LikelyPosition")):
        r += 1
        put(ws, r, 1, label, "xl_label")
        put(ws, r, 2, lo, style)
        put(ws, r, 3, hi, style)
        define_name(wb, name, ws, f"$B${r}:$C${r}")
    r += 1
    put(ws, r, 1, "How far the figures could move if a different mix of this organisation's "
        "own metric scores were drawn (bootstrap).", "xl_note")

    r += 2
    put(ws, r, 1, "National cut-points", "xl_section")
    for col, text in ((2, "c1"), (3, "c2"), (4, "c3"), (5, None)):
        put(ws, r, col, text, "xl_section")
    r += 1
    put(ws, r, 1, "Average at or above", "xl_label")
    for i, cut in enumerate(c.cut_points):
        put(ws, r, 2 + i, cut, "xl_cut").number_format = cut_format(c.cut_points)
    put(ws, r, 5, f"falls in segment 2, 3, 4 ({c.cut_point_rule}: {c.cut_point_pool})", "xl_note")
    define_name(wb, "SummaryCutPoints", ws, f"$B${r}:$D${r}")

    r += 2
    put(ws, r, 1, "Domain", "xl_header")
    for col, text in ((2, "Your score"), (3, "Peer median"), (4, "Domain segment")):
        put(ws, r, col, text, "xl_header")
    ws.row_dimensions[r].height = 30
    first_domain = r + 1
    for d in c.domains:
        r += 1
        put(ws, r, 1, d.domain, "xl_text")
        put(ws, r, 2, d.score, "xl_score")
        put(ws, r, 3, d.peer_median, "xl_score")
        put(ws, r, 4, d.segment, "xl_int")
    last_domain = r
    if c.domains:
        segment_formatting(ws, f"D{first_domain}:D{last_domain}")
        score_colour_scale(ws, f"B{first_domain}:C{last_domain}")
        define_name(wb, "DomainScores", ws, f"$A${first_domain}:$D${last_domain}")
    r += 1
    put(ws, r, 1, f"Peer median = median domain score of all {c.organisations_in_type} "
        f"{c.type_label.lower()}s.", "xl_note")

    r += 2
    put(ws, r, 1, "In this pack", "xl_section")
    for col in range(2, 6):
        put(ws, r, col, None, "xl_section")
    trend = (() if trend_quarters is None else
             (("Trend", f"{trend_quarters} quarters: position, average with its likely range, "
               "segments, with charts"),))
    for sheet, what in (*trend,
                        (SHEET_METRICS, "every metric: your value, score, peer quartiles and "
                         "rank in your peer group, with a chart"),
                        (SHEET_LEAGUE, f"the {c.type_label.lower()} league table (values)"),
                        (SHEET_WHATIF, "type new scores or flip the deficit flag; average, "
                         "segments and position update live")):
        r += 1
        put(ws, r, 1, sheet, "xl_label")
        put(ws, r, 2, what, "xl_text")
    r += 2
    put(ws, r, 1, "Notes", "xl_section")
    for col in range(2, 6):
        put(ws, r, col, None, "xl_section")
    r += 1  # one wrapped cell across A:E, so every pack of a type has the same rows
    put(ws, r, 1, "\n".join(c.notes) or "None for this organisation.", "xl_wrap")
    ws.merge_cells(f"A{r}:E{r}")
    ws.row_dimensions[r].height = 15 * max(1, sum(math.ceil(len(n) / 100) for n in c.notes))
    r += 2
    put(ws, r, 1, OGL_ATTRIBUTION, "xl_label")
    r += 1
    from .. import __version__
    put(ws, r, 1, f"Prepared with xl-league {__version__} on {_dt.date.today():%d %B %Y}. "
        "Scores run from 1.00 (best) to 4.00 (worst).", "xl_note")

    if segment_blocks:
        add_chart(ws, "G5", league_scatter, league_ws=league_ws, segment_blocks=segment_blocks,
                  own_row=LEAGUE_FIRST_ROW + c.league_index, position_col=1, average_col=4,
                  own_name=c.code, type_label=c.type_label, average_range=average_range,
                  organisations=c.organisations_in_type)
    if c.domains:
        add_chart(ws, "G24", domain_scores_chart, ws=ws, first_row=first_domain,
                  last_row=last_domain, cat_col=1, own_col=2, peer_col=3, own_name=c.code)
    ws.sheet_view.showGridLines = False
    print_setup(ws, f"{c.code} {c.name}")
    protect(ws)


# --------------------------------------------------------------------------- Metrics

_METRIC_HEADERS = [("Metric ID", "A", 10), ("Metric", "B", 64), ("Domain", "C", 26),
                   ("Better when", "D", 9), ("Your value", "E", 11),
                   ("Peer lower quartile", "F", 11), ("Peer median", "G", 11),
                   ("Peer upper quartile", "H", 11), ("Your score", "I", 10),
                   ("Peer median score", "J", 10), ("Rank in peer group", "K", 10),
                   ("Peers scored", "L", 9), ("Counts in average", "M", 10),
                   ("How scored", "N", 15)]


def write_metrics(wb: Workbook, ws: Worksheet, c: PackContent) -> None:
    _title(ws, f"Metrics · {c.name} ({c.code})",
           f"{_period(c)} · peer group = {c.type_label.lower()}s unless the metric is scored "
           "nationally")
    put(ws, 3, 1, "Scores: 1.00 best, 4.00 worst. Peer quartiles are of the raw values "
        "(QUARTILE.INC); rank 1 = best score in the peer group.", "xl_note")
    header_row = 4
    for i, (text, col, width) in enumerate(_METRIC_HEADERS, start=1):
        put(ws, header_row, i, text, "xl_header")
        ws.column_dimensions[col].width = width
    ws.column_dimensions["B"].width = text_width((m.name for m in c.metrics), least=30, most=80)
    ws.column_dimensions["C"].width = text_width((m.domain for m in c.metrics), least=12,
                                                 most=30)
    ws.row_dimensions[header_row].height = 44
    styles = ["xl_text", "xl_fit", "xl_fit", "xl_centre", "xl_value", "xl_value", "xl_value",
              "xl_value", "xl_score", "xl_score", "xl_int", "xl_int", "xl_centre", "xl_centre"]
    r = header_row
    for m in c.metrics:
        r += 1
        how = "supplied" if m.supplied else m.scoring
        if m.peer_group == "national" and not m.supplied:
            how += ", national"
        values = [m.score_id, m.name, m.domain, m.direction, m.value, m.peer_lower_quartile,
                  m.peer_median, m.peer_upper_quartile, m.score, m.peer_median_score, m.rank,
                  m.peers, _yes_no(m.in_average), how]
        for col, (v, style) in enumerate(zip(values, styles), start=1):
            put(ws, r, col, v, style)  # blank cells styled too: every pack of a type alike
    first, last = header_row + 1, r
    if c.metrics:
        score_colour_scale(ws, f"I{first}:J{last}")
        define_name(wb, "MetricTable", ws, f"$A${first}:$N${last}")
        add_chart(ws, f"B{last + 3}", metric_scores_chart, ws=ws, first_row=first,
                  last_row=last, cat_col=1, own_col=9, peer_col=10, own_name=c.code)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    print_setup(ws, f"{c.code} {c.name}", title_rows=f"{header_row}:{header_row}")
    protect(ws)


# --------------------------------------------------------------------------- League table

def write_league(wb: Workbook, ws: Worksheet, c: PackContent, rows: list[list],
                 include_peer_detail: bool, *, body: bool = True) -> list[tuple[int, int, int]]:
    """The type's league table as values; returns the segment blocks for the scatter chart.

    ``body=False`` lays out everything but the rows of the table (they are the same in every
    pack of the type: ``clone.py`` records the rest)."""
    columns = LEAGUE_PUBLISHED + (LEAGUE_DETAIL if include_peer_detail else [])
    _title(ws, f"{c.type_label} league table", f"{_period(c)} · {len(rows)} organisations · "
           f"{c.name} ({c.code}) highlighted")
    put(ws, 3, 1, "Ranked by adjusted segment, then average metric score (2 dp); equal pairs "
        "share a position." + ("" if include_peer_detail else
                               " Other organisations' detail is left out of this pack."),
        "xl_note")
    header_row = LEAGUE_FIRST_ROW - 1
    keys = [k for k, _ in columns]
    widths = {"position": 8, "code": 7, "average_score": 9, "segment": 9, "final_segment": 9,
              "metrics_scored": 8, "in_deficit": 8, "override_applied": 8, "score_low": 9,
              "score_high": 9, "rank_low": 9, "rank_high": 9, "unadjusted_segment": 11}
    for key, least, most in (("name", 24, 56), ("region", 10, 26), ("subtype", 10, 30)):
        if key in keys:
            widths[key] = text_width((row[keys.index(key)] for row in rows), least=least,
                                     most=most)
    style_of = {"position": "xl_int", "average_score": "xl_score", "segment": "xl_int",
                "final_segment": "xl_int", "metrics_scored": "xl_int",
                "unadjusted_segment": "xl_int", "in_deficit": "xl_centre",
                "override_applied": "xl_centre", "score_low": "xl_score",
                "score_high": "xl_score", "rank_low": "xl_int", "rank_high": "xl_int",
                "code": "xl_centre", "name": "xl_fit", "region": "xl_fit",
                "subtype": "xl_fit"}
    styles = [style_of.get(k) for k, _ in columns]
    for i, (key, text) in enumerate(columns, start=1):
        put(ws, header_row, i, text, "xl_header")
        ws.column_dimensions[get_column_letter(i)].width = widths.get(key, 11)
    ws.row_dimensions[header_row].height = 44
    for r, row in enumerate(rows if body else (), start=LEAGUE_FIRST_ROW):
        for col, (v, style) in enumerate(zip(row, styles), start=1):
            if v is not None and v != "":
                put(ws, r, col, v, style)
    last = LEAGUE_FIRST_ROW + len(rows) - 1
    last_col = get_column_letter(len(columns))
    seg_cols = [get_column_letter(i) for i, (k, _) in enumerate(columns, start=1)
                if k in ("segment", "final_segment", "unadjusted_segment")]
    segment_formatting(ws, " ".join(f"{col}{LEAGUE_FIRST_ROW}:{col}{last}" for col in seg_cols))
    ws.conditional_formatting.add(
        f"A{LEAGUE_FIRST_ROW}:{last_col}{last}",
        FormulaRule(formula=[f'$B{LEAGUE_FIRST_ROW}="{c.code}"'], font=Font(bold=True),
                    fill=PatternFill("solid", fgColor="CFE2F3", bgColor="CFE2F3")))
    define_name(wb, "LeagueCodes", ws, f"$B${LEAGUE_FIRST_ROW}:$B${last}")
    define_name(wb, "LeagueAverages", ws, f"$D${LEAGUE_FIRST_ROW}:$D${last}")
    define_name(wb, "LeagueSegments", ws, f"$E${LEAGUE_FIRST_ROW}:$E${last}")
    ws.freeze_panes = ws.cell(row=LEAGUE_FIRST_ROW, column=4)
    print_setup(ws, f"{c.code} {c.name}", title_rows=f"{header_row}:{header_row}",
                landscape=include_peer_detail,
                pages_tall=max(1, math.ceil((len(rows) + header_row) / LEAGUE_ROWS_PER_PAGE)))
    protect(ws)
    return segment_blocks(rows)


def segment_blocks(rows: list[list]) -> list[tuple[int, int, int]]:
    """(segment, first_row, last_row) runs of equal adjusted segment among ranked rows."""
    seg_idx = [k for k, _ in LEAGUE_PUBLISHED].index("segment")
    pos_idx = [k for k, _ in LEAGUE_PUBLISHED].index("position")
    blocks: list[tuple[int, int, int]] = []
    for r, row in enumerate(rows, start=LEAGUE_FIRST_ROW):
        seg = row[seg_idx]
        if seg is None or row[pos_idx] is None:
            continue
        if blocks and blocks[-1][0] == seg and blocks[-1][2] == r - 1:
            blocks[-1] = (seg, blocks[-1][1], r)
        else:
            blocks.append((seg, r, r))
    return blocks
