"""Writing into a workbook: inputs into a template, results into the output sheets, atomically.

* :func:`fill_inputs` types organisations and metric values into a template's input sheets
  (used by ``demo`` and ``import-nhse``).
* :func:`write_results` rewrites **only** the output sheets (league tables, Metric scores,
  Cut-points) and the "last recalculated" / "settings used" cells of About and Settings. The
  sheets are cleared and written again, never deleted, so references and charts pointing at
  them keep working (except the Dashboard, replaced where it stands: its charts would pile
  up). Input sheets and any sheet that is not ours are never touched.

Saving is :mod:`.files` (atomic, keeping formulas' cached values).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping

import pandas as pd
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.workbook import Workbook
from openpyxl.worksheet.table import TableColumn
from openpyxl.worksheet.worksheet import Worksheet

from ..engine.catalogue import Catalogue, load_catalogue
from ..engine.inputs import normalise_type, parse_flag
from ..engine.pipeline import LeagueTables
from ..errors import InputError
from .cells import show
from .dashboard import write_dashboard
from .formatting import (apply_text_fit, fit_text, format_cut_points_sheet,
                         format_league_sheet, format_metric_scores_sheet, register_styles,
                         write_heading_row)
from .table_rows import CellRows, TableRows, put_value
from .layout import (metric_note, ABOUT_LAST_RECALCULATED, ABOUT_SETTINGS_ROW, ABOUT_SHEET, CUT_POINTS_SHEET,
                     INPUT_FIXED_COLUMNS, INPUT_ROWS, INPUT_SHEETS, LAST_RECALCULATED_KEY,
                     LEAGUE_SHEETS, LEAGUE_TABLE_COLUMNS, METRIC_SCORES_SHEET, SETTINGS_SHEET,
                     STYLE_HEADER, STYLE_SCORE, STYLE_TEXT)

__all__ = ["fill_inputs", "write_results", "set_setting", "CUT_POINTS_SOURCE_KEY"]

_TIMESTAMP_FORMAT = "yyyy-mm-dd hh:mm"
_LEFT = Alignment(horizontal="left")


# --------------------------------------------------------------------------- inputs

def _blank(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _flag_text(value: object) -> str | None:
    try:
        flag = parse_flag(None if _blank(value) else value)
    except ValueError:
        return str(value)  # written as typed; the reader will name the cell
    return None if flag is None else ("Yes" if flag else "No")


def _with_code_index(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.set_index("code") if "code" in frame.columns else frame.copy()
    out.index = out.index.map(lambda c: str(c).strip())
    return out


def _heading_map(ws: Worksheet) -> dict[str, int]:
    return {str(c.value).strip(): c.column for c in ws[1] if c.value not in (None, "")}


def _append_columns(ws: Worksheet, new_ids: list[str], catalogue: Catalogue, last_row: int):
    """Add metric columns after the last heading, with note, table column and number check."""

    by_column = catalogue.by_column()
    start = max(_heading_map(ws).values(), default=0) + 1
    kinds = []
    for offset, mid in enumerate(new_ids):
        cell = ws.cell(row=1, column=start + offset, value=mid)
        cell.style = STYLE_HEADER
        ws.column_dimensions[cell.column_letter].width = 11
        metric, kind = by_column.get(mid, (None, "value"))
        kinds.append(kind)
        if metric is not None:
            cell.comment = Comment(metric_note(metric, kind), "xl-league", 110, 300)
    _number_checks(ws, start, kinds, last_row)


def _number_checks(ws: Worksheet, first_col: int, kinds: list[str], last_row: int) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    for kind in ("value", "score"):
        cols = [first_col + i for i, k in enumerate(kinds) if k == kind]
        if not cols:
            continue
        low, high = ("1", "4") if kind == "score" else ("-1000000000", "1000000000")
        dv = DataValidation(type="decimal", operator="between", formula1=low, formula2=high,
                            allow_blank=True, errorStyle="warning")
        dv.error = ("A score is a number from 1 (best) to 4 (worst), or blank." if kind == "score"
                    else "Type a number (62 for 62 %), or leave it blank.")
        for col in cols:
            letter = get_column_letter(col)
            dv.add(f"{letter}2:{letter}{last_row}")
        ws.add_data_validation(dv)


def _resize_tables(ws: Worksheet, rows: int) -> None:
    """Stretch the sheet's Excel table(s) over the heading row and ``rows`` data rows.

    A table read from a file lists its columns: new headings are appended to that list. A
    table built in this session has none yet; openpyxl names them from the headings on save.
    """
    headings = {col: text for text, col in _heading_map(ws).items()}
    last = max(headings, default=1)
    ref = f"A1:{get_column_letter(last)}{max(rows, 1) + 1}"
    for table in ws.tables.values():
        table.ref = ref
        if table.autoFilter is not None:
            table.autoFilter.ref = ref
        columns = table.tableColumns
        if columns:
            next_id = max(c.id for c in columns) + 1
            for col in range(len(columns) + 1, last + 1):
                columns.append(TableColumn(id=next_id, name=headings.get(col, f"Column{col}")))
                next_id += 1


def fill_inputs(wb: Workbook, organisations: pd.DataFrame, values: pd.DataFrame,
                quarter: str | None = None, catalogue: Catalogue | None = None) -> None:
    """Type organisations and metric values into a template's input sheets (replacing rows).

    ``organisations``: ``code`` (index or column), ``name``, ``type``, ``region``, ``subtype``,
    ``in_deficit``, ``in_rsp``. ``values``: indexed by code, one column per metric ID. A values
    column missing from a sheet's headings (e.g. a supplied score ``OF1023``) is added to that
    sheet when any of its organisations has a value for it. ``quarter`` goes to Settings.
    """
    cat = catalogue or load_catalogue()
    orgs = _with_code_index(organisations)
    vals = _with_code_index(values) if len(values.columns) else pd.DataFrame(index=orgs.index)
    for frame, what in ((orgs, "organisations"), (vals, "metric values")):
        dup = frame.index[frame.index.duplicated()].unique().tolist()
        if dup:
            raise InputError(f"organisation code {dup[0]} appears more than once in the "
                             f"{what}: each code once only", organisation=dup[0])
    types = {}
    for code, raw in orgs.get("type", pd.Series(dtype=object)).items():
        key = normalise_type(raw)
        if key not in INPUT_SHEETS:
            raise InputError(f"organisation {code}: type {raw!r} is not one of "
                             f"{', '.join(INPUT_SHEETS)}", organisation=code)
        types[code] = key
    for org_type, sheet in INPUT_SHEETS.items():
        ws = wb[sheet]
        codes = [c for c in orgs.index if types.get(c) == org_type]
        sheet_vals = vals.reindex(codes)
        if ws.max_row >= 2:
            ws.delete_rows(2, ws.max_row - 1)
        headings = _heading_map(ws)
        last_row = max(INPUT_ROWS + 1, len(codes) + 1)
        new = [c for c in sheet_vals.columns
               if str(c) not in headings and sheet_vals[c].notna().any()]
        if new:
            _append_columns(ws, [str(c) for c in new], cat, last_row)
            headings = _heading_map(ws)
        fixed = dict(INPUT_FIXED_COLUMNS)
        for r, code in enumerate(codes, start=2):
            org = orgs.loc[code]
            for key, heading in fixed.items():
                if heading not in headings:
                    continue
                raw = code if key == "code" else org.get(key)
                value = _flag_text(raw) if key in ("in_deficit", "in_rsp") else (
                    None if _blank(raw) else str(raw))
                try:
                    put_value(ws, r, headings[heading], value)
                except IllegalCharacterError:
                    raise InputError(f"organisation {code}: its {heading.lower()} {show(value)} "
                                     "holds control characters a workbook cannot store (such "
                                     "as an escape code): remove them from the source data",
                                     organisation=code) from None
            for mid in sheet_vals.columns:
                value = sheet_vals.at[code, mid]
                if str(mid) in headings and not _blank(value):
                    ws.cell(row=r, column=headings[str(mid)], value=float(value))
        _resize_tables(ws, len(codes))
    if quarter is not None and SETTINGS_SHEET in wb.sheetnames:
        _set_setting(wb[SETTINGS_SHEET], "quarter", quarter)


def set_setting(wb: Workbook, key: str, value: object, help: str | None = None) -> None:
    """Type ``value`` against ``key`` on the Settings sheet (a row is added for a new key),
    with ``help`` in column C when given."""
    if SETTINGS_SHEET not in wb.sheetnames:
        return
    ws = wb[SETTINGS_SHEET]
    _set_setting(ws, key, value)
    if help:
        for row in ws.iter_rows(min_col=1, max_col=1):
            if str(row[0].value or "").strip() == key:
                ws.cell(row=row[0].row, column=3, value=help)


#: Settings key an import fills with how its cut-points were chosen (shown on About and
#: Cut-points), e.g. "inferred from NHS England's published segments ...: c1 in (2.06, 2.07] ...".
CUT_POINTS_SOURCE_KEY = "cut_points_source"


def _setting_text(wb: Workbook, key: str) -> str:
    if SETTINGS_SHEET not in wb.sheetnames:
        return ""
    for row in wb[SETTINGS_SHEET].iter_rows(min_col=1, max_col=2):
        if str(row[0].value or "").strip() == key:
            return str(row[1].value or "").strip()
    return ""


def _set_setting(ws: Worksheet, key: str, value: object) -> None:
    """Value of ``key`` (column A) into column B; appends the key when it is missing."""
    for row in ws.iter_rows(min_col=1, max_col=1):
        if str(row[0].value or "").strip() == key:
            put_value(ws, row[0].row, 2, value)
            return
    r = ws.max_row + 1
    ws.cell(row=r, column=1, value=key)
    put_value(ws, r, 2, value)


# --------------------------------------------------------------------------- results

def _cell_value(value: object) -> object:
    """pandas/numpy scalars → plain Python for openpyxl; NaN/NA → None."""
    if _blank(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    return value


def _yes_no(value: object) -> str | None:
    return None if _blank(value) else ("Yes" if bool(value) else "No")


def _output_sheet(wb: Workbook, name: str) -> Worksheet:
    """Our output sheet, cleared of its cells (created at the end if a user deleted it)."""
    if name not in wb.sheetnames:
        return wb.create_sheet(name)
    ws = wb[name]
    if ws.max_row >= 1:
        ws.delete_rows(1, ws.max_row)
    return ws


def _league_rows(results: LeagueTables, org_type: str) -> list[list[object]]:
    """The rows of one type's league table sheet, built column by column."""
    table = results.league[results.league["type"] == org_type]
    domains = results.domain_scores.reindex(index=table.index)
    columns: list[list[object]] = []
    for col in LEAGUE_TABLE_COLUMNS:
        if col.key.startswith("domain:"):
            domain = col.key.split(":", 1)[1]
            values = (domains[domain].tolist() if domain in domains.columns
                      else [None] * len(table))
        elif col.key == "in_deficit":
            values = [None if flag is None else flag + (" (derived)" if derived else "")
                      for flag, derived in zip(map(_yes_no, table["in_deficit"].tolist()),
                                               table["deficit_derived"].tolist())]
        elif col.key in ("override_applied", "in_rsp"):
            values = [_yes_no(v) for v in table[col.key].tolist()]
        else:
            values = table[col.key].tolist()
        columns.append([_cell_value(v) for v in values])
    return [list(row) for row in zip(*columns)]


def _write_rows(ws: Worksheet, rows: list[list[object]], styles: list[str], sink: TableRows,
                first_row: int = 2, fit: Mapping[str, tuple[float, float]] | None = None) -> None:
    """Values with a named style per column; ``fit``: text columns sized from their content,
    (narrowest, widest) in characters by column letter (longer entries wrap)."""
    wrapped: list[tuple[int, int]] = []
    if fit:
        sized = fit_text(rows, fit, first_row)
        apply_text_fit(ws, sized)
        wrapped = sized.wrapped
    sink.put(ws, first_row, rows, styles, wrapped)


#: League table text columns sized from their content: (narrowest, widest) in characters.
_TEXT_WIDTHS = {get_column_letter(i): bounds for i, c in enumerate(LEAGUE_TABLE_COLUMNS, start=1)
                for key, bounds in (("name", (30, 60)), ("region", (14, 28)),
                                    ("subtype", (14, 40))) if c.key == key}


def _write_league(wb: Workbook, results: LeagueTables, sink: TableRows) -> None:
    styles = [c.style for c in LEAGUE_TABLE_COLUMNS]
    for org_type, name in LEAGUE_SHEETS.items():
        ws = _output_sheet(wb, name)
        format_league_sheet(ws, name)
        _write_rows(ws, _league_rows(results, org_type), styles, sink, fit=_TEXT_WIDTHS)


def _write_metric_scores(wb: Workbook, results: LeagueTables, sink: TableRows) -> None:
    ws = _output_sheet(wb, METRIC_SCORES_SHEET)
    scores = results.metric_scores
    ids = [c for c in scores.columns if scores[c].notna().any()]
    write_heading_row(ws, ["Type", "Code", "Organisation", *ids])
    for offset, sid in enumerate(ids):
        if sid in results.catalogue:
            metric = results.catalogue[sid]
            ws.cell(row=1, column=4 + offset).comment = Comment(
                f"{sid}: {metric.name}\n{metric.domain}", "xl-league", 90, 300)
    league = results.league
    block = scores.reindex(index=league.index, columns=ids).to_numpy(dtype=float)
    rows = [[org_type, code, name, *(None if math.isnan(v) else v for v in values.tolist())]
            for org_type, code, name, values in zip(league["type"].tolist(), league.index,
                                                    league["name"].tolist(), block)]
    format_metric_scores_sheet(ws, len(ids))
    _write_rows(ws, rows, [STYLE_TEXT] * 3 + [STYLE_SCORE] * len(ids), sink,
                fit={"C": (30, 60)})


def _write_cut_points(wb: Workbook, results: LeagueTables, sink: TableRows) -> None:
    ws = _output_sheet(wb, CUT_POINTS_SHEET)
    headings = ["Pool", "Rule", "Organisations", "Cut-point 1", "Cut-point 2", "Cut-point 3"]
    write_heading_row(ws, headings, height=20)
    cuts = results.cut_points
    rows = [[_cell_value(rec[k]) for k in ("pool", "rule", "organisations", "c1", "c2", "c3")]
            for _, rec in cuts.iterrows()]
    styles = [STYLE_TEXT, STYLE_TEXT, "Normal", STYLE_SCORE, STYLE_SCORE, STYLE_SCORE]
    _write_rows(ws, rows, styles, sink)
    r = len(rows) + 3
    for c, text in enumerate(["Domain", *headings], start=1):
        ws.cell(row=r, column=c, value=text).style = STYLE_HEADER
    dom = results.domain_cut_points
    drows = [[_cell_value(rec[k]) for k in ("domain", "pool", "rule", "organisations",
                                            "c1", "c2", "c3")] for _, rec in dom.iterrows()]
    _write_rows(ws, drows, [STYLE_TEXT, *styles], sink, first_row=r + 1)
    r += len(drows) + 2
    for text in ("Segment 1: average metric score below cut-point 1; segment 2: from "
                 "cut-point 1 to below cut-point 2; segment 3: from cut-point 2 to below "
                 "cut-point 3; segment 4: cut-point 3 or above.",
                 "The average is rounded to 2 decimal places first; an average equal to a "
                 "cut-point goes to the worse segment.",
                 *([f"Cut-points: {source}."] if (source := _setting_text(
                     wb, CUT_POINTS_SOURCE_KEY)) else [])):
        ws.cell(row=r, column=1, value=text)
        r += 1
    format_cut_points_sheet(ws)
    ws.freeze_panes = "A2"


def _write_about(wb: Workbook, when: _dt.datetime, settings_used: Mapping[str, object],
                 notes: tuple[str, ...]) -> None:
    if ABOUT_SHEET not in wb.sheetnames:
        return
    ws = wb[ABOUT_SHEET]
    cell = ws[ABOUT_LAST_RECALCULATED]
    cell.value = when
    cell.number_format = _TIMESTAMP_FORMAT
    cell.alignment = _LEFT
    if ws.max_row >= ABOUT_SETTINGS_ROW:
        ws.delete_rows(ABOUT_SETTINGS_ROW, ws.max_row - ABOUT_SETTINGS_ROW + 1)
    r = ABOUT_SETTINGS_ROW
    source = _setting_text(wb, CUT_POINTS_SOURCE_KEY)
    shown = dict(settings_used) | ({"Cut-points source": source} if source else {})
    for key, value in shown.items():
        ws.cell(row=r, column=1, value=str(key))
        put_value(ws, r, 2, _cell_value(value)).alignment = _LEFT
        r += 1
    if notes:
        r += 1
        ws.cell(row=r, column=1, value="Notes").font = Font(bold=True)
        for note in notes:
            r += 1
            put_value(ws, r, 2, note)


def write_results(wb: Workbook, results: LeagueTables, settings_used: Mapping[str, object],
                  *, recalculated_at: _dt.datetime | None = None,
                  rows: TableRows | None = None) -> None:
    """Rewrite the output sheets of ``wb`` from ``results``; nothing else is changed.

    Writes each league table sheet (header only for a type with no organisations), Metric
    scores, Cut-points, the Dashboard (replaced, see :mod:`.dashboard`), About's "last
    recalculated" and "settings used" (plus the run's notes), and the Settings sheet's
    ``last_recalculated`` value. The tables' rows go to ``rows`` (openpyxl cells unless told).
    """
    sink = rows if rows is not None else CellRows()
    when = recalculated_at or _dt.datetime.now().replace(microsecond=0)
    register_styles(wb)
    _write_league(wb, results, sink)
    _write_metric_scores(wb, results, sink)
    _write_cut_points(wb, results, sink)
    write_dashboard(wb, results, settings_used, rows=sink)
    _write_about(wb, when, settings_used, results.notes)
    if SETTINGS_SHEET in wb.sheetnames:
        ws = wb[SETTINGS_SHEET]
        _set_setting(ws, LAST_RECALCULATED_KEY, when)
        for row in ws.iter_rows(min_col=1, max_col=2):
            if row[0].value == LAST_RECALCULATED_KEY:
                row[1].number_format = _TIMESTAMP_FORMAT
                row[1].alignment = _LEFT
