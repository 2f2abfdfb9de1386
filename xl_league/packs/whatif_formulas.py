"""The What-if sheet: native Excel formulas that redo the NOF arithmetic for one organisation.

The recipient types new metric scores (or flips the deficit / Recovery Support Programme
flags) in the yellow cells; the average metric score, metrics scored, unadjusted segment,
financial override, adjusted and final segments, provisional league position and distance to
the next segment recalculate live in plain Excel — no macros, no add-in, functions that exist
since Excel 2010 only (:data:`EXCEL_2010_FUNCTIONS`).

What is frozen into the pack as values: the national cut-points that applied to the
organisation (``LeagueTables.cuts_for``), the override cap, the segments that become segment 5
in the Recovery Support Programme, the minimum metrics, and the league itself (every other
organisation's adjusted segment and 2-dp average, on the League table sheet). The rules the
formulas follow are the engine's, exactly:

* average = mean of the scores that count in the average, ``ROUND(…, 2)`` (halves away from
  zero, as the engine's half-up rounding for positive numbers); blank when fewer than the
  minimum metrics are scored;
* unadjusted segment = 1 + the number of cut-points at or below the average (the engine's
  1e-9 tolerance included);
* adjusted segment = the override cap when in deficit and better than the cap;
* final segment = segment 5 when in the Recovery Support Programme and the adjusted segment
  is one of the qualifying segments;
* provisional position = 1 + the other organisations with a better (segment, average) pair:
  a better segment, or the same segment and a lower 2-dp average (competition ranking);
* distance to the next segment = how far the average must fall below the next better
  cut-point (at 2 dp), from the unadjusted segment.

The ``*_formula`` functions are pure (strings in, a formula string out) and tested directly.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .content import MetricRow, PackContent
from .sheets import (cut_format, define_name, print_setup, protect, put, put_formula,
                     score_colour_scale, segment_formatting, text_width)

__all__ = ["EXCEL_2010_FUNCTIONS", "average_formula", "segment_formula", "adjusted_formula",
           "override_formula", "final_formula", "position_formula", "distance_formula",
           "domain_formula", "change_formula", "write_whatif", "whatif_metrics", "NAMES"]

#: Every function the pack's formulas may use: all exist in Excel 2010 with no ``_xlfn.`` prefix.
EXCEL_2010_FUNCTIONS = frozenset({
    "AND", "AVERAGE", "CEILING", "COUNT", "COUNTIFS", "IF", "INDEX", "ISNUMBER", "MATCH", "MAX",
    "MIN", "OR", "ROUND", "SUMPRODUCT",
})
TOLERANCE = "0.000000001"  # the engine's 1e-9: a cut-point equal to the average counts as met

#: Defined names the sheet creates (inputs, frozen figures, outputs).
NAMES = {
    "scores": "WhatIfScores", "deficit": "WhatIfDeficit", "rsp": "WhatIfRSP",
    "cuts": "CutPoints", "cap": "OverrideCap", "rsp_segments": "RSPSegments",
    "rsp_segment": "RSPSegment", "minimum": "MinimumMetrics", "own": "OwnCode",
    "average": "WhatIfAverage", "scored": "WhatIfMetricsScored",
    "unadjusted": "WhatIfUnadjusted", "override": "WhatIfOverride",
    "segment": "WhatIfSegment", "final": "WhatIfFinal", "position": "WhatIfPosition",
    "distance": "WhatIfDistance",
    "codes": "LeagueCodes", "averages": "LeagueAverages", "segments": "LeagueSegments",
}


def average_formula(scores: str, minimum: str) -> str:
    return f'=IF(COUNT({scores})>={minimum},ROUND(AVERAGE({scores}),2),"")'


def segment_formula(average: str, cuts: str) -> str:
    return f'=IF({average}="","",1+SUMPRODUCT(--({average}>={cuts}-{TOLERANCE})))'


def adjusted_formula(unadjusted: str, deficit: str, cap: str) -> str:
    return (f'=IF({unadjusted}="","",IF(AND({deficit}="Yes",{unadjusted}<{cap}),{cap},'
            f'{unadjusted}))')


def override_formula(unadjusted: str, deficit: str, cap: str) -> str:
    return f'=IF({unadjusted}="","",IF(AND({deficit}="Yes",{unadjusted}<{cap}),"Yes","No"))'


def final_formula(adjusted: str, rsp: str, rsp_segments: str, rsp_segment: str) -> str:
    return (f'=IF({adjusted}="","",IF(AND({rsp}="Yes",ISNUMBER(MATCH({adjusted},{rsp_segments},'
            f'0))),{rsp_segment},{adjusted}))')


def position_formula(adjusted: str, average: str, own: str, codes: str, segments: str,
                     averages: str) -> str:
    """1 + others ahead: better segment, or same segment and lower 2-dp average."""
    return (f'=IF({adjusted}="","",1+SUMPRODUCT(({codes}<>{own})*ISNUMBER({averages})*'
            f'(({segments}<{adjusted})+({segments}={adjusted})*({average}-{averages}>0.005))))')


def distance_formula(average: str, unadjusted: str, cuts: str) -> str:
    """Average minus the largest 2-dp average below the next better cut-point (not below 0)."""
    return (f'=IF({unadjusted}="","",IF({unadjusted}<=1,"",ROUND(MAX({average}-(CEILING('
            f'INDEX({cuts},{unadjusted}-1)*100-{TOLERANCE},1)/100-0.01),0),2)))')


def domain_formula(scores: str) -> str:
    return f'=IF(COUNT({scores})=0,"",AVERAGE({scores}))'


def change_formula(new: str, now: str) -> str:
    return f'=IF(AND(ISNUMBER({new}),ISNUMBER({now})),{new}-{now},"")'


def whatif_metrics(c: PackContent) -> list[MetricRow]:
    """The metrics that count in the average, grouped by domain (the domains' order)."""
    order = {d.domain: i for i, d in enumerate(c.domains)}
    counted = [m for m in c.metrics if m.in_average]
    return sorted(counted, key=lambda m: order.get(m.domain, len(order)))


FIRST_ROW = 6  # first metric row (header on row 5)


def write_whatif(wb: Workbook, ws: Worksheet, c: PackContent) -> None:
    """Inputs on the left (metric scores, flags), live results and frozen figures on the right."""
    n = NAMES
    put(ws, 1, 1, f"What if? · {c.name} ({c.code})", "xl_title")
    ws.row_dimensions[1].height = 24
    put(ws, 2, 1, "Type new metric scores (1.00 best to 4.00 worst; blank = no score) or change "
        "the Yes/No flags in the yellow cells. The results on the right recalculate at once.",
        "xl_subtitle")
    put(ws, 3, 1, f"Plain Excel formulas with the {c.year} method; the national cut-points and "
        "the rest of the league are frozen as published, so the position is provisional.",
        "xl_note")
    metrics = whatif_metrics(c)
    for col, width in {"A": 10, "B": text_width((m.name for m in metrics), least=30, most=80),
                       "C": text_width((m.domain for m in metrics), least=12, most=30),
                       "D": 10, "E": 12, "F": 9, "G": 3, "H": 40,
                       "I": 11, "J": 11, "K": 9, "L": 9}.items():
        ws.column_dimensions[col].width = width

    header = 5
    for col, text in enumerate(("Metric ID", "Metric", "Domain", "Score now", "What-if score",
                                "Change"), start=1):
        put(ws, header, col, text, "xl_header")
    ws.row_dimensions[header].height = 30
    r = header
    domain_rows: dict[str, list[int]] = {}
    for m in metrics:
        r += 1
        put(ws, r, 1, m.score_id, "xl_text")
        put(ws, r, 2, m.name, "xl_fit")
        put(ws, r, 3, m.domain, "xl_fit")
        put(ws, r, 4, m.score, "xl_score")
        put(ws, r, 5, m.score, "xl_input")
        put_formula(ws, r, 6, change_formula(f"E{r}", f"D{r}"), "xl_score").number_format = \
            '+0.00;-0.00;""'  # blank when unchanged
        domain_rows.setdefault(m.domain, []).append(r)
    last = r
    scores_ref = f"$E${FIRST_ROW}:$E${max(last, FIRST_ROW)}"
    define_name(wb, n["scores"], ws, scores_ref)

    r = last + 2
    put(ws, r, 2, "In financial deficit", "xl_label")
    put(ws, r, 4, "Yes" if c.in_deficit else "No", "xl_centre")
    put(ws, r, 5, "Yes" if c.in_deficit else "No", "xl_input")
    define_name(wb, n["deficit"], ws, f"$E${r}")
    deficit_row = r
    r += 1
    put(ws, r, 2, "In Recovery Support Programme", "xl_label")
    put(ws, r, 4, "Yes" if c.in_rsp else "No", "xl_centre")
    put(ws, r, 5, "Yes" if c.in_rsp else "No", "xl_input")
    define_name(wb, n["rsp"], ws, f"$E${r}")
    rsp_row = r
    r += 1
    put(ws, r, 2, "Metrics shown but not in the average (e.g. the two finance components of the "
        "combined finance score) are on the Metrics sheet.", "xl_note")

    scores_dv = DataValidation(
        type="decimal", operator="between", formula1=str(c.best_score),
        formula2=str(c.worst_score), allow_blank=True, showErrorMessage=True,
        errorTitle="Metric score", error=f"Type a score from {c.best_score:.2f} (best) to "
        f"{c.worst_score:.2f} (worst), or clear the cell for no score.")
    scores_dv.add(scores_ref)
    flag_dv = DataValidation(type="list", formula1='"Yes,No"', allow_blank=False,
                             showErrorMessage=True, errorTitle="Yes or No",
                             error="Choose Yes or No.")
    flag_dv.add(f"E{deficit_row}")
    flag_dv.add(f"E{rsp_row}")
    ws.add_data_validation(scores_dv)
    ws.add_data_validation(flag_dv)
    changed = Font(bold=True, color="C00000")
    ws.conditional_formatting.add(
        f"E{FIRST_ROW}:E{last}",
        FormulaRule(formula=[f"OR(ISNUMBER(E{FIRST_ROW})<>ISNUMBER(D{FIRST_ROW}),"
                             f"AND(ISNUMBER(E{FIRST_ROW}),E{FIRST_ROW}<>D{FIRST_ROW}))"],
                    font=changed, fill=PatternFill("solid", fgColor="FCE4D6",
                                                   bgColor="FCE4D6")))
    ws.conditional_formatting.add(
        f"E{deficit_row}:E{rsp_row}",
        FormulaRule(formula=[f"E{deficit_row}<>D{deficit_row}"], font=changed,
                    fill=PatternFill("solid", fgColor="FCE4D6", bgColor="FCE4D6")))
    score_colour_scale(ws, f"D{FIRST_ROW}:D{last}")

    # Frozen figures (values), below the results.
    results_rows = 8
    frozen = header + 1 + results_rows + 2 + len(c.domains) + 2
    put(ws, frozen, 8, f"Frozen from the {c.year} results", "xl_header")
    put(ws, frozen, 9, "Value", "xl_header")
    put(ws, frozen, 10, None, "xl_header")
    put(ws, frozen, 11, None, "xl_header")
    put(ws, frozen, 12, None, "xl_header")
    fr = frozen + 1
    put(ws, fr, 8, "National cut-points c1, c2, c3", "xl_label")
    for i, cut in enumerate(c.cut_points):
        put(ws, fr, 9 + i, cut, "xl_cut").number_format = cut_format(c.cut_points)
    define_name(wb, n["cuts"], ws, f"$I${fr}:$K${fr}")
    put(ws, fr + 1, 8, "Financial override: no better than segment", "xl_label")
    put(ws, fr + 1, 9, c.override_cap, "xl_int")
    define_name(wb, n["cap"], ws, f"$I${fr + 1}")
    put(ws, fr + 2, 8, "Recovery Support Programme: segment", "xl_label")
    put(ws, fr + 2, 9, c.rsp_segment, "xl_int")
    define_name(wb, n["rsp_segment"], ws, f"$I${fr + 2}")
    put(ws, fr + 3, 8, "… when the adjusted segment is", "xl_label")
    for i, seg in enumerate(c.rsp_applies_to_segments):
        put(ws, fr + 3, 9 + i, seg, "xl_int")
    last_col = chr(ord("I") + max(len(c.rsp_applies_to_segments), 1) - 1)
    define_name(wb, n["rsp_segments"], ws, f"$I${fr + 3}:${last_col}${fr + 3}")
    put(ws, fr + 4, 8, "Minimum metrics for an average", "xl_label")
    put(ws, fr + 4, 9, c.minimum_metrics, "xl_int")
    define_name(wb, n["minimum"], ws, f"$I${fr + 4}")
    put(ws, fr + 5, 8, "Organisation code", "xl_label")
    put(ws, fr + 5, 9, c.code, "xl_centre")
    define_name(wb, n["own"], ws, f"$I${fr + 5}")
    put(ws, fr + 6, 8, "Other organisations: League table sheet (segment, average).", "xl_note")

    # Live results.
    put(ws, header, 8, "Result", "xl_header")
    put(ws, header, 9, "Now", "xl_header")
    put(ws, header, 10, "What-if", "xl_header")
    ranked_others = c.ranked_in_type - (1 if c.position is not None else 0)
    results = [
        ("Average metric score", c.average_score, "average", "xl_output",
         average_formula(n["scores"], n["minimum"])),
        ("Metrics scored", c.metrics_scored, "scored", "xl_output_int",
         f"=COUNT({n['scores']})"),
        ("Unadjusted segment", c.unadjusted_segment, "unadjusted", "xl_output_int",
         segment_formula(n["average"], n["cuts"])),
        ("Financial override applies", "Yes" if c.override_applied else "No", "override",
         "xl_output_int", override_formula(n["unadjusted"], n["deficit"], n["cap"])),
        ("Adjusted segment (league segment)", c.segment, "segment", "xl_output_int",
         adjusted_formula(n["unadjusted"], n["deficit"], n["cap"])),
        ("Final segment", c.final_segment, "final", "xl_output_int",
         final_formula(n["segment"], n["rsp"], n["rsp_segments"], n["rsp_segment"])),
        (f"Provisional position (of {ranked_others + 1})", c.position, "position",
         "xl_output_int", position_formula(n["segment"], n["average"], n["own"], n["codes"],
                                           n["segments"], n["averages"])),
        ("Distance to the next segment", c.distance_to_next_segment, "distance", "xl_output",
         distance_formula(n["average"], n["unadjusted"], n["cuts"])),
    ]
    assert len(results) == results_rows
    r = header
    for label, now, key, style, formula in results:
        r += 1
        put(ws, r, 8, label, "xl_label")
        put(ws, r, 9, now, "xl_score" if style == "xl_output" else "xl_int")
        put_formula(ws, r, 10, formula, style)
        define_name(wb, n[key], ws, f"$J${r}")
    segment_formatting(ws, f"I{header + 3}:J{header + 3} I{header + 5}:J{header + 6}")

    r += 2
    put(ws, r, 8, "Domain score", "xl_header")
    put(ws, r, 9, "Now", "xl_header")
    put(ws, r, 10, "What-if", "xl_header")
    first_dom = r + 1
    for d in c.domains:
        r += 1
        rows = domain_rows.get(d.domain)
        put(ws, r, 8, d.domain, "xl_text")
        put(ws, r, 9, d.score, "xl_score")
        if rows:
            put_formula(ws, r, 10, domain_formula(f"E{rows[0]}:E{rows[-1]}"), "xl_output")
    if c.domains:
        score_colour_scale(ws, f"I{first_dom}:J{r}")

    ws.freeze_panes = ws.cell(row=header + 1, column=1)
    ws.sheet_view.showGridLines = False
    print_setup(ws, f"{c.code} {c.name}")
    protect(ws)
