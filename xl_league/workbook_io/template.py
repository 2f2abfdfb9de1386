"""The blank template workbook users fill in: built by code, one source of truth.

``build_template()`` returns an openpyxl :class:`~openpyxl.workbook.Workbook` with the sheets::

    About, Dashboard, Settings, Metrics,
    Acute inputs, Non-acute inputs, Ambulance inputs, ICB inputs,
    Acute league table, Non-acute league table, Ambulance league table, ICB league table,
    Metric scores, Cut-points

``template_bytes()`` saves it deterministically (fixed timestamps in the document properties and
the zip entries), so the committed ``templates/nof-league-tables-template.xlsx`` changes only
when the builder does. Rebuild it with::

    python -m xl_league.workbook_io.template [PATH]
"""

from __future__ import annotations

import datetime as _dt
import io
import sys
import zipfile
from pathlib import Path

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from .. import __version__
from ..engine.catalogue import CATALOGUE_COLUMNS, Catalogue, load_catalogue
from ..engine.methodology import CUT_POINT_RULES, Methodology, load_methodology
from .dashboard import dashboard_placeholder
from .formatting import (format_cut_points_sheet, format_league_sheet,
                         format_metric_scores_sheet, print_setup, register_styles,
                         write_heading_row)
from .files import write_bytes_atomic
from .layout import (ABOUT_LAST_RECALCULATED, metric_note, ABOUT_SETTINGS_ROW, ABOUT_SHEET,
                     CUT_POINTS_SHEET, DASHBOARD_SHEET,
                     INPUT_FIXED_COLUMNS, INPUT_ROWS, INPUT_SHEETS, INPUT_TABLES,
                     LAST_RECALCULATED_KEY, LEAGUE_SHEETS, METRIC_SCORES_SHEET, METRICS_SHEET,
                     OGL_ATTRIBUTION, SETTINGS, SETTINGS_SHEET, TEMPLATE_FILENAME,
                     input_metric_columns)

__all__ = ["build_template", "template_bytes", "write_template",
           "add_input_validation", "settings_values", "main", "FIXED_TIMESTAMP"]

#: Timestamp written into the template's properties and zip entries (deterministic bytes).
FIXED_TIMESTAMP = _dt.datetime(2025, 4, 1, 0, 0, 0)
_NOT_YET = "not yet recalculated"
_INPUT_WIDTHS = {"code": 10, "name": 40, "region": 22, "subtype": 20, "in_deficit": 10,
                 "in_rsp": 9}
_HOW_TO = (
    "Type or paste each organisation's inputs into its type's input sheet (Acute, Non-acute, "
    "Ambulance, ICB inputs): one row per organisation, its ODS code first.",
    "Metric values go under their metric ID (e.g. OF0023); hover over a heading for the "
    "metric's name. Type percentages as numbers: 62 for 62 %. Leave a cell blank (or type - or "
    "n/a) when there is no value.",
    "A score column (e.g. OF1023, score from 1 best to 4 worst) may be added next to a value: "
    "a supplied score wins over the score computed from the value.",
    "In deficit and In RSP (Recovery Support Programme): Yes or No. A blank deficit flag is "
    "derived from the finance metrics when the Settings say so.",
    "Check the Settings (cut-point rule, fixed cut-points, likely-range resamples) and, if you "
    "must, the Metrics catalogue.",
    "Recalculate: xl-league recalc BOOK.xlsx (or the Recalculate button of the Excel front "
    "end). xl-league check BOOK.xlsx lists every problem in the inputs first.",
    "The Dashboard, the league table sheets, Metric scores and Cut-points are rewritten at each "
    "recalculation: do not type in them. Input sheets and your own sheets are never changed.",
)
_METHOD = (
    "Each metric is scored from 1 (best) to 4 (worst) within its peer group; the average "
    "metric score is the plain mean of an organisation's scores; segments 1 to 4 are cut at "
    "the quartiles of the averages (or fixed cut-points); an organisation in deficit can be no "
    "better than segment 3 (the financial override); segment 4 organisations in the Recovery "
    "Support Programme are shown as segment 5. League positions order each type by segment, "
    "then average."
)


def _comment(text: str) -> Comment:
    comment = Comment(text, "xl-league")
    comment.width, comment.height = 300, 110
    return comment


def settings_values(meth: Methodology, quarter: str | None = None) -> dict[str, object]:
    """The Settings sheet's values for a methodology (blank where there is no value)."""
    cps = list(meth.fixed_cut_points) + [None] * (3 - len(meth.fixed_cut_points))
    return {"year": meth.year, "quarter": quarter, "cut_point_rule": meth.cut_point_rule,
            "cut_point_1": cps[0], "cut_point_2": cps[1], "cut_point_3": cps[2],
            "deficit_fallback": "Yes" if meth.deficit_fallback else "No",
            "minimum_metrics": meth.minimum_metrics,
            "bootstrap_replicates": meth.bootstrap_replicates,
            "bootstrap_seed": meth.bootstrap_seed}


def _text_height(text: str, chars_per_line: int = 105) -> float:
    """Row height (points) for ``text`` wrapped in a 110-wide column (spreadsheets do not
    grow rows for wrapped text written by openpyxl)."""
    return 15.0 * (len(text) // chars_per_line + 1)


def _about(ws: Worksheet, meth: Methodology) -> None:
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 110
    ws["A1"] = "NHS Oversight Framework league tables"
    ws["A1"].font = Font(bold=True, size=16)
    ws["A2"] = f"Method: NHS Oversight Framework {meth.year}. Built with xl-league {__version__}."
    ws["A4"] = "How to use"
    ws["A4"].font = Font(bold=True, size=12)
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, text in enumerate(_HOW_TO, start=1):
        ws.cell(row=4 + i, column=1, value=i).alignment = Alignment(horizontal="right",
                                                                    vertical="top")
        ws.cell(row=4 + i, column=2, value=text).alignment = wrap
        ws.row_dimensions[4 + i].height = _text_height(text)
    ws["A13"], ws["B13"] = "Method", _METHOD
    ws["A14"], ws["B14"] = "Data", OGL_ATTRIBUTION
    ws["A16"], ws[ABOUT_LAST_RECALCULATED] = "Last recalculated", _NOT_YET
    ws["A18"] = "Settings used"
    for ref in ("A13", "A14", "A16", "A18"):
        ws[ref].font = Font(bold=True)
        ws[ref].alignment = Alignment(vertical="top")
    ws["B13"].alignment = wrap
    ws.row_dimensions[13].height = _text_height(_METHOD)
    ws.cell(row=ABOUT_SETTINGS_ROW, column=1, value="(shown after a recalculation)")


def _settings(ws: Worksheet, meth: Methodology) -> None:
    write_heading_row(ws, ["Setting", "Value", "Help"], [24, 22, 100], height=20)
    values = settings_values(meth)
    checks = {
        "rule": DataValidation(type="list", formula1='"' + ",".join(CUT_POINT_RULES) + '"',
                               allow_blank=False),
        "yes/no": DataValidation(type="list", formula1='"Yes,No"', allow_blank=False),
        "decimal": DataValidation(type="decimal", operator="between", formula1="0",
                                  formula2="5", allow_blank=True),
        "whole": DataValidation(type="whole", operator="between", formula1="0",
                                formula2="1000000", allow_blank=False),
    }
    for dv in checks.values():
        dv.error = "See the help in column C."
        dv.showErrorMessage = True
        ws.add_data_validation(dv)
    for row, setting in enumerate(SETTINGS, start=2):
        ws.cell(row=row, column=1, value=setting.key)
        ws.cell(row=row, column=2, value=values[setting.key])
        ws.cell(row=row, column=3, value=setting.help).alignment = Alignment(wrap_text=True,
                                                                            vertical="top")
        if setting.kind in checks:
            checks[setting.kind].add(f"B{row}")
    row = len(SETTINGS) + 2
    ws.cell(row=row, column=1, value=LAST_RECALCULATED_KEY)
    ws.cell(row=row, column=2, value=_NOT_YET)
    ws.cell(row=row, column=3, value="Written by each recalculation; do not type here.")
    ws.freeze_panes = "A2"


def _metrics(ws: Worksheet, cat: Catalogue) -> None:
    widths = {"score_id": 10, "value_id": 10, "name": 60, "domain": 28, "direction": 10,
              "scoring": 10, "rule": 40, "peer_group": 11, "types": 30, "in_average": 11,
              "plausible": 14}
    write_heading_row(ws, list(CATALOGUE_COLUMNS), [widths[c] for c in CATALOGUE_COLUMNS],
                      height=20)
    rows = cat.to_rows()
    for r, row in enumerate(rows, start=2):
        for c, key in enumerate(CATALOGUE_COLUMNS, start=1):
            ws.cell(row=r, column=c, value=row[key] or None)
    last = get_column_letter(len(CATALOGUE_COLUMNS))
    end = max(len(rows) + 1, 2)
    table = Table(displayName="MetricCatalogue", ref=f"A1:{last}{end}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=True)
    ws.add_table(table)
    lists = {"direction": "higher,lower", "scoring": "ranked,banded,combined,supplied",
             "peer_group": "type,national", "in_average": "yes,no"}
    for key, allowed in lists.items():
        dv = DataValidation(type="list", formula1=f'"{allowed}"', allow_blank=True)
        dv.error = f"Choose one of: {allowed.replace(',', ', ')}."
        col = get_column_letter(CATALOGUE_COLUMNS.index(key) + 1)
        dv.add(f"{col}2:{col}{INPUT_ROWS + 1}")
        ws.add_data_validation(dv)
    notes = {"plausible": "The raw values that make sense: '0 to 100' for a percentage, "
                          "'0 or more' for a count; a value outside is a problem named by "
                          "its cell. Blank: no check.",
             "types": "Organisation types the metric applies to, separated by spaces: "
                      "acute non-acute ambulance icb.",
             "rule": "banded: '>=0:1; >-1:2; >-2:3; else:4'. combined: components, matrix "
                     "and observed cells (see OF1080).",
             "in_average": "yes: the score counts in the average metric score."}
    for key, text in notes.items():
        ws.cell(row=1, column=CATALOGUE_COLUMNS.index(key) + 1).comment = _comment(text)
    ws.freeze_panes = "B2"


def add_input_validation(ws: Worksheet, first_metric_col: int, kinds: list[str],
                         last_row: int) -> None:
    """Yes/No lists on the flag columns and number checks on the metric columns.

    The number checks only warn (a user may type ``n/a``); ``kinds`` is "value" or "score" per
    metric column, in order from ``first_metric_col``.
    """
    flags = DataValidation(type="list", formula1='"Yes,No"', allow_blank=True)
    flags.error = "Type Yes or No, or leave it blank."
    flags.add(f"E2:F{last_row}")
    ws.add_data_validation(flags)
    number = DataValidation(type="decimal", operator="between", formula1="-1000000000",
                            formula2="1000000000", allow_blank=True, errorStyle="warning")
    number.error = "Type a number (62 for 62 %), or leave it blank."
    score = DataValidation(type="decimal", operator="between", formula1="1", formula2="4",
                           allow_blank=True, errorStyle="warning")
    score.error = "A score is a number from 1 (best) to 4 (worst), or blank."
    for offset, kind in enumerate(kinds):
        col = get_column_letter(first_metric_col + offset)
        (score if kind == "score" else number).add(f"{col}2:{col}{last_row}")
    for dv in (number, score):
        if dv.sqref.ranges:
            ws.add_data_validation(dv)


def _input_sheet(ws: Worksheet, org_type: str, cat: Catalogue) -> None:
    ids = input_metric_columns(cat, org_type)
    by_column = cat.by_column()
    headings = [h for _, h in INPUT_FIXED_COLUMNS] + ids
    widths = [_INPUT_WIDTHS[k] for k, _ in INPUT_FIXED_COLUMNS] + [11] * len(ids)
    write_heading_row(ws, headings, widths, height=20)
    first = len(INPUT_FIXED_COLUMNS) + 1
    for offset, mid in enumerate(ids):
        metric, kind = by_column[mid]
        ws.cell(row=1, column=first + offset).comment = _comment(metric_note(metric, kind))
    table = Table(displayName=INPUT_TABLES[org_type],
                  ref=f"A1:{get_column_letter(len(headings))}2")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    add_input_validation(ws, first, [by_column[m][1] for m in ids], INPUT_ROWS + 1)
    ws.freeze_panes = "C2"


def _cut_points(ws: Worksheet) -> None:
    write_heading_row(ws, ["Pool", "Rule", "Organisations", "Cut-point 1", "Cut-point 2",
                           "Cut-point 3"], height=20)
    ws["A2"] = "(shown after a recalculation)"
    format_cut_points_sheet(ws)
    ws.freeze_panes = "A2"


def build_template(methodology: Methodology | None = None,
                   catalogue: Catalogue | None = None) -> Workbook:
    """The blank template workbook for ``methodology`` (default 2025/26) and its catalogue."""
    meth = methodology or load_methodology()
    cat = catalogue or load_catalogue(meth)
    wb = Workbook()
    register_styles(wb)
    wb.properties.creator = "xl-league"
    wb.properties.title = f"NHS Oversight Framework {meth.year} league tables"
    wb.properties.created = wb.properties.modified = FIXED_TIMESTAMP
    about = wb.active
    about.title = ABOUT_SHEET
    _about(about, meth)
    dashboard_placeholder(wb.create_sheet(DASHBOARD_SHEET))
    _settings(wb.create_sheet(SETTINGS_SHEET), meth)
    _metrics(wb.create_sheet(METRICS_SHEET), cat)
    for org_type, name in INPUT_SHEETS.items():
        _input_sheet(wb.create_sheet(name), org_type, cat)
    for org_type, name in LEAGUE_SHEETS.items():
        ws = wb.create_sheet(name)
        format_league_sheet(ws, name)
        ws.sheet_properties.tabColor = "005EB8"
    scores = wb.create_sheet(METRIC_SCORES_SHEET)
    write_heading_row(scores, ["Type", "Code", "Organisation"])
    format_metric_scores_sheet(scores, 0)
    _cut_points(wb.create_sheet(CUT_POINTS_SHEET))
    print_setup(about, repeat_heading=False)
    for name in (SETTINGS_SHEET, METRICS_SHEET, *INPUT_SHEETS.values()):
        print_setup(wb[name])
    return wb


def template_bytes(wb: Workbook | None = None) -> bytes:
    """``wb`` (default: a fresh template) saved with fixed timestamps: the same bytes every time."""
    wb = wb if wb is not None else build_template()
    buffer = io.BytesIO()
    wb.save(buffer)  # openpyxl stamps "modified" with the current time: put it back below
    wb.properties.created = wb.properties.modified = FIXED_TIMESTAMP
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core if info.filename == "docProps/core.xml" else src.read(info.filename)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()


def write_template(path: str | Path, methodology: Methodology | None = None,
                   catalogue: Catalogue | None = None) -> Path:
    """Write the blank template to ``path`` (deterministic bytes, atomic replace)."""

    target = Path(path)
    write_bytes_atomic(template_bytes(build_template(methodology, catalogue)), target)
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m xl_league.workbook_io.template [PATH]``: (re)build the committed template."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else Path("templates") / TEMPLATE_FILENAME
    write_template(path)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
