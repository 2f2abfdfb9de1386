"""Import NHS England's trust data pasted into the workbook (no files: xlwings Lite).

The user pastes NHS England's long-format trust-data CSV (``Quarter, Region, Trust_type, …,
Metric_ID, …, Value, …``, header row first) into a sheet named **NHSE data** and runs
:func:`import_nhse_data`. The rows go through the same importer as ``xl-league import-nhse``
(:func:`xl_league.nhse.read_nhse_trust_data`: latest quarter, published scores) and the same
workbook steps as :func:`xl_league.jobs.import_nhse` (a template for the imported catalogue,
inputs filled, recalculated when it can be), then the input sheets, Metrics, the output
sheets and the changed cells of Settings and About are written into the book.

Like the command, which never overwrites a workbook, it fills only **empty** input sheets:
organisations already typed there are never replaced. The Settings typed in the book (e.g.
the national cut-points a single type's file needs) are kept.

The importer reads CSV files, so the pasted rows are handed to it as one, in a temporary
folder of Python's own (in Lite: the browser's in-memory file system, never the user's), and
its messages name the sheet's rows instead of that file.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..nhse import NhseImport, read_nhse_trust_data
from ..workbook_io.layout import (ABOUT_SHEET, INPUT_SHEETS, METRICS_SHEET, OUTPUT_SHEETS,
                                  SETTINGS_SHEET)
from ..jobs import import_workbook
from .book_adapter import (copy_changes, copy_sheet, has_sheet, quiet_app, sheet_values,
                           write_rows)
from .macros import PROBLEMS_SHEET, MacroReport, _Refused, guarded, read_book_inputs, \
    show_problems

__all__ = ["NHSE_SHEET", "import_nhse_data", "pasted_rows"]

NHSE_SHEET = "NHSE data"


def _text(value: Any) -> str:
    """A cell as the CSV's text: whole numbers without '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return (value.date() if value.time() == dt.time() else value).isoformat()
    return str(value)


def pasted_rows(book: Any) -> tuple[int, list[list[str]]]:
    """(sheet row of the header, the rows from the header on as text) of the NHSE data sheet."""
    if not has_sheet(book, NHSE_SHEET):
        raise _Refused([f"no '{NHSE_SHEET}' sheet: add a sheet named {NHSE_SHEET}, paste NHS "
                        "England's trust-data CSV into it (header row first, from A1), then "
                        "run the import again"])
    grid = sheet_values(book, NHSE_SHEET)
    first = next((r for r, row in enumerate(grid) if any(v not in (None, "") for v in row)),
                 None)
    if first is None:
        raise _Refused([f"'{NHSE_SHEET}' is empty: paste NHS England's trust-data CSV into it "
                        "(header row first), then run the import again"])
    rows = [[_text(v) for v in row] for row in grid[first:]]
    while rows and not any(rows[-1]):
        rows.pop()
    return first + 1, rows


def _read_pasted(book: Any) -> NhseImport:
    header_row, rows = pasted_rows(book)
    with tempfile.TemporaryDirectory(prefix="xl-league-") as folder:
        path = Path(folder) / "nhse-data.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
        try:
            return read_nhse_trust_data(path)
        except InputError as exc:  # name the sheet's row, not the temporary file's line
            where = re.compile(re.escape(str(path)) + r"(?: line (\d+))?")
            text = where.sub(lambda m: f"'{NHSE_SHEET}'" + (
                f" row {int(m.group(1)) + header_row - 1}" if m.group(1) else ""), str(exc))
            raise _Refused([text]) from None


@guarded("the NHS England import")
def import_nhse_data(book: Any) -> MacroReport:
    """Fill the (empty) input sheets from the trust data pasted on the NHSE data sheet and
    recalculate, with the rules of ``xl-league import-nhse``."""
    current = read_book_inputs(book)
    if len(current.organisations):
        raise _Refused([f"the input sheets already hold {len(current.organisations)} "
                        "organisations: the import fills empty input sheets only, so nothing "
                        "typed there is lost. Start from a blank template (xl-league new), or "
                        "delete the rows below the headings of the input sheets first"])
    imported = _read_pasted(book)
    meth = current.methodology
    typed = meth.fixed_cut_points if meth.cut_point_rule == "fixed" else None
    done = import_workbook(imported, typed or None, meth)
    wb, results, problem = done.workbook, done.results, done.problem
    kept = [n for n in (SETTINGS_SHEET, ABOUT_SHEET) if has_sheet(book, n)]
    before = {n: sheet_values(book, n) for n in kept}
    sheets = [*INPUT_SHEETS.values(), METRICS_SHEET]
    if results is not None:
        sheets += OUTPUT_SHEETS
    written = []
    with quiet_app(book):
        for name in sheets:
            copy_sheet(wb, book, name)
            written.append(name)
        for name in kept:
            if copy_changes(wb, book, name, before[name]):
                written.append(name)
        if results is None:
            write_rows(book, PROBLEMS_SHEET, [
                [f"The NHS England data for {imported.quarter} was imported into the input "
                 "sheets, but the league tables were not recalculated:"], [None], [problem],
                [None], ["Correct this (e.g. type NHS England's national cut-points on the "
                         "Settings sheet), then run recalculate_league_tables."]])
        else:
            show_problems(book, (), "the NHS England import")
    orgs = imported.organisations
    counts = ", ".join(f"{n} {t}" for t, n in orgs["type"].value_counts(sort=False).items())
    summary = f"Imported {imported.quarter}: {counts}"
    summary += (" and recalculated" if results is not None
                else f"; not recalculated yet: {problem}")
    return MacroReport(True, summary, warnings=tuple(imported.warnings) + done.warnings,
                       sheets_written=tuple(written), results=results)
