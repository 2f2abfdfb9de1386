"""The "NHSE data" sheet: NHS England's trust-data CSV pasted into Excel → the input sheets.

The user pastes NHS England's long-format trust-data CSV (one row per trust × metric, header
``Quarter, Region, Trust_type, ..., Metric_ID, ..., Value, ...``) on the **NHSE data** sheet
from A1, then runs ``ImportNhseData``. :func:`import_nhse_data` reads the sheet with exactly
the rules of ``xl-league import-nhse`` — the rows go through :func:`xl_league.nhse.
read_nhse_trust_data` itself — fills the input sheets (and the quarter on Settings, and any
metric NHS England publishes beyond the catalogue on Metrics, as the command does) and
recalculates through :func:`xl_league.jobs.import_workbook`, the command's own path (cut-points
inferred from the published segments unless Settings has fixed ones). The same function serves
desktop Excel and xlwings Lite. Input sheets that already hold organisations are never overwritten: the macro
refuses and says so. Problems name the NHSE data sheet's row.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import Any

from ..errors import XlLeagueError
from ..jobs import import_workbook
from ..nhse import read_nhse_trust_data
from ..workbook_io.layout import (ABOUT_SHEET, INPUT_SHEETS, METRICS_SHEET, OUTPUT_SHEETS,
                                  SETTINGS_SHEET)
from .book_adapter import (copy_changes, copy_sheet, has_sheet, quiet_app, sheet_values,
                           write_rows)
from .cells import excel_error, is_blank
from .macros import (PROBLEMS_SHEET, MacroReport, _Refused, guarded, read_book_inputs,
                     show_problems)

__all__ = ["NHSE_SHEET", "import_nhse_data", "sheet_rows_as_csv"]

NHSE_SHEET = "NHSE data"


def _text(value: Any) -> str:
    """A cell as the CSV had it: whole numbers without ``.0``, dates as Excel shows Jun-25."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return f"{value:%b-%y}"
    return str(value)


def sheet_rows_as_csv(rows: list[list[Any]], path: Path) -> list[int]:
    """Write the sheet's non-blank rows to ``path`` as CSV; returns the sheet row of each CSV
    line (index 0 = line 1, the header). An Excel error in a cell is a problem named by cell."""
    problems = []
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            error = excel_error(v)
            if error:
                from openpyxl.utils import get_column_letter
                problems.append(f"'{NHSE_SHEET}'!{get_column_letter(c)}{r}: the cell holds the "
                                f"Excel error {error}: paste NHS England's CSV again (values "
                                "only)")
    if problems:
        raise _Refused(problems)
    kept = [(r, row) for r, row in enumerate(rows, start=1)
            if any(not is_blank(v) for v in row)]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        for _, row in kept:
            writer.writerow([_text(v) for v in row])
    return [r for r, _ in kept]


def _located(message: str, csv_path: Path, sheet_rows: list[int]) -> str:
    """``<file> line 12: ...`` → ``'NHSE data'!row 14: ...``."""
    def row(m: re.Match) -> str:
        line = int(m.group(1))
        r = sheet_rows[line - 1] if 0 < line <= len(sheet_rows) else line
        return f"'{NHSE_SHEET}' row {r}"
    message = re.sub(re.escape(str(csv_path)) + r" line (\d+)", row, message)
    return message.replace(str(csv_path), f"the '{NHSE_SHEET}' sheet")


def _organisations_typed(book: Any) -> list[str]:
    """The input sheets that already hold something below their header row."""
    return [name for name in INPUT_SHEETS.values() if has_sheet(book, name)
            and any(any(not is_blank(v) for v in row) for row in sheet_values(book, name)[1:])]


@guarded("the import of NHS England's data")
def import_nhse_data(book: Any, quarter: str | None = None,
                     scores: str = "published") -> MacroReport:
    """Fill the (empty) input sheets from NHS England's trust data pasted on the NHSE data
    sheet — the rules of ``xl-league import-nhse`` — then recalculate the workbook.

    ``quarter``: e.g. ``"Q2 2025/26"`` (default: the latest in the data). ``scores``:
    ``"published"`` keeps NHS England's OF1xxx scores; ``"raw"`` rescores from the values.
    """
    if not has_sheet(book, NHSE_SHEET):
        raise _Refused([f"there is no '{NHSE_SHEET}' sheet: add a sheet of that name and paste "
                        "NHS England's trust-data CSV there, header in row 1"])
    rows = sheet_values(book, NHSE_SHEET)
    if not any(any(not is_blank(v) for v in row) for row in rows):
        raise _Refused([f"'{NHSE_SHEET}'!A1: the sheet is empty: paste NHS England's "
                        "trust-data CSV here (header row first), then run the import again"])
    filled = _organisations_typed(book)
    if filled:
        raise _Refused([f"'{filled[0]}' already holds organisations: the import fills empty "
                        "input sheets only and never overwrites what is typed there. Use a "
                        "new copy of the workbook, or clear the input sheets' rows below the "
                        "headings first"])
    with tempfile.TemporaryDirectory(prefix="xl-league-nhse-") as folder:
        path = Path(folder) / "nhse-data.csv"
        sheet_rows = sheet_rows_as_csv(rows, path)
        try:
            imported = read_nhse_trust_data([path], quarter=quarter,
                                            scores=scores)  # type: ignore[arg-type]
        except XlLeagueError as exc:
            raise _Refused([_located(str(exc), path, sheet_rows)]) from None
    current = read_book_inputs(book)  # its Settings: cut-points typed there win
    meth = current.methodology
    typed = meth.fixed_cut_points if meth.cut_point_rule == "fixed" else None
    done = import_workbook(imported, typed or None, meth)
    kept = [n for n in (SETTINGS_SHEET, ABOUT_SHEET) if has_sheet(book, n)]
    before = {n: sheet_values(book, n) for n in kept}
    sheets = [*INPUT_SHEETS.values(), METRICS_SHEET, *(OUTPUT_SHEETS if done.results else ())]
    written = []
    with quiet_app(book):
        for name in sheets:
            copy_sheet(done.workbook, book, name)
            written.append(name)
        for name in kept:
            if copy_changes(done.workbook, book, name, before[name]):
                written.append(name)
        if done.results is None:
            write_rows(book, PROBLEMS_SHEET, [
                [f"NHS England's data for {imported.quarter} was imported into the input "
                 "sheets, but the league tables were not recalculated:"], [None],
                [done.problem], [None],
                ["Correct this (e.g. type NHS England's national cut-points on the Settings "
                 "sheet), then recalculate."]])
        else:
            show_problems(book, (), "the import of NHS England's data")
    counts = ", ".join(f"{n} {t}" for t, n in
                       imported.organisations["type"].value_counts(sort=False).items())
    summary = f"Imported {imported.quarter} from the '{NHSE_SHEET}' sheet: {counts}"
    summary += (f"; recalculated ({done.cut_points_source})" if done.results is not None
                else f"; not recalculated yet: {done.problem}")
    return MacroReport(True, summary, warnings=tuple(imported.warnings) + done.warnings,
                       sheets_written=tuple(written), results=done.results)
