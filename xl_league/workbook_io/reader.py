"""Reading a workbook's inputs: every problem at once, each naming sheet!cell, value and fix.

:func:`read_inputs` returns a :class:`BookInputs` whatever the cells hold: bad cells become
``problems`` (one :class:`~xl_league.errors.CellError` per cell, or a
:class:`~xl_league.errors.WorkbookError` for a missing sheet), never an exception, so that
``xl-league check`` can list them all. Only a file that cannot be opened at all raises.

Reading rules, decided once:

* blank, ``-``, ``–``, ``n/a``, ``N/A``, ``NA``, ``*`` and ``..`` mean "no value" (no problem);
* numbers stored as text are numbers (``"62.5"``, ``"62.5%"`` → 62.5, ``"1,234"`` → 1234);
* a number in a cell *formatted as a percentage* is what the cell shows: 0.62 shown as
  ``62%`` reads as 62 (metric values are in percent units, 62 for 62 %);
* an unformatted fraction (0.62) in a percentage metric whose other values are percentages
  (median over 1, and 62 nearer to it than 0.62) is a problem: "type 62 for 62 %";
* Excel error values (``#N/A``, ``#DIV/0!``, ...) and text are problems;
* a formula's cached value is read (from a file: beside its formula, in the same streaming
  pass; from an open workbook: a second, values-only load, made only when some cell read
  holds a formula); a formula never calculated is a problem, not a blank.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, range_boundaries
from openpyxl.workbook import Workbook

from ..engine.catalogue import Catalogue, Metric
from ..engine.methodology import Methodology
from ..errors import CellError, WorkbookError
from ..vocabulary import FIXED_COLUMN_ALIASES
from .cells import (RawCell, cached_values, load, parse_flag_cell, parse_number, parse_text,
                    sheet_cells, show)
from .layout import INPUT_FIXED_COLUMNS, INPUT_SHEETS, METRICS_SHEET, SETTINGS_SHEET, sheet_ref
from .safety import check_file
from .settings import read_catalogue, read_settings
from .sheet_xml import SheetLayout, read_sheet_grids

__all__ = ["BookInputs", "read_inputs", "read_inputs_from_path", "SHEETS_READ"]

_ID = re.compile(r"^[A-Z]{2}\d{4}$")
_PERCENT_NAME = re.compile(r"percent|%|\brate\b|standard|performance", re.IGNORECASE)
_FIXED_ALIASES = FIXED_COLUMN_ALIASES
_FIXED_LABEL = dict(INPUT_FIXED_COLUMNS)


@dataclass(frozen=True, eq=False)
class BookInputs:
    """Everything a recalculation needs from a workbook, plus what is wrong with it.

    ``organisations``: indexed by code; name, type, region, subtype, in_deficit, in_rsp.
    ``values``: indexed by code (every organisation), float columns named by metric ID, only
    columns with at least one value. ``cell_of[(code, column)]`` is ``"'Sheet'!F12"`` for
    ``column`` a metric ID or one of code, name, region, subtype, in_deficit, in_rsp.
    """

    organisations: pd.DataFrame
    values: pd.DataFrame
    methodology: Methodology
    catalogue: Catalogue
    quarter: str | None
    problems: tuple[WorkbookError, ...]
    warnings: tuple[str, ...]
    cell_of: Mapping[tuple[str, str], str] = field(default_factory=dict)
    has_formulas: bool = False
    #: Per input sheet read from a file: merged ranges, hidden rows and columns.
    layouts: Mapping[str, SheetLayout] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem_lines(self) -> list[str]:
        return [str(p) for p in self.problems]


@dataclass
class _Sheets:
    """Raw cells of the sheets read, with formula cells resolved to cached values."""

    cells: dict[str, dict[tuple[int, int], RawCell]]
    missing: list[str]
    layouts: dict[str, SheetLayout] = field(default_factory=dict)


#: The sheets read, in order.
SHEETS_READ = (SETTINGS_SHEET, METRICS_SHEET, *INPUT_SHEETS.values())


def _grab(wb: Workbook, path: Path | None) -> _Sheets:
    names = list(SHEETS_READ)
    cells: dict[str, dict[tuple[int, int], RawCell]] = {}
    missing = []
    for name in names:
        if name in wb.sheetnames:
            cells[name] = sheet_cells(wb[name])
        else:
            missing.append(name)
    layouts = {n: _layout_of_worksheet(wb[n]) for n in INPUT_SHEETS.values() if n in cells}
    formulas = {name: {k for k, c in grid.items() if c.formula} for name, grid in cells.items()}
    if any(formulas.values()):
        cached: dict[str, dict] = {}
        if path is not None:
            with load(path, read_only=True, data_only=True) as values_wb:
                for name, wanted in formulas.items():
                    if wanted:
                        cached[name] = cached_values(values_wb[name], wanted)
        for name, wanted in formulas.items():
            for key in wanted:
                cell = cells[name][key]
                value, data_type = cached.get(name, {}).get(key, (None, "n"))
                cell.value, cell.data_type = value, data_type
                # A cached empty text (t="str") is a real blank; no cached value is not.
                cell.uncalculated = value is None and data_type not in ("s", "str")
                if path is None:
                    cell.uncalculated = True
    return _Sheets(cells, missing, layouts)


def _layout_of_worksheet(ws) -> SheetLayout:
    """An open worksheet's merged ranges and hidden rows and columns."""
    merged = tuple(str(r) for r in ws.merged_cells.ranges) if hasattr(ws, "merged_cells") else ()
    rows = tuple(sorted(r for r, d in getattr(ws, "row_dimensions", {}).items() if d.hidden))
    cols = tuple(sorted(column_index_from_string(c) for c, d in
                        getattr(ws, "column_dimensions", {}).items() if d.hidden))
    return SheetLayout(merged, rows, cols)


def _merged_heading(layout: SheetLayout, col: int) -> str | None:
    """The merged range of the heading row that hides column ``col``'s heading."""
    for ref in layout.merged:
        min_col, min_row, max_col, _max_row = range_boundaries(ref)
        if min_row == 1 and min_col < col <= max_col:
            return ref
    return None


def _metric_label(metric: Metric | None, mid: str) -> str:
    return f"{mid} ({metric.name})" if metric is not None else mid


def _formula_problem(sheet: str, ref: str, cell: RawCell) -> CellError:
    return CellError(sheet, ref, f"holds a formula ({cell.formula}) that has never been "
                                 "calculated: open and save the workbook in Excel, or type the "
                                 "value")


class _InputReader:
    """Reads the four input sheets into organisation records and metric values."""

    def __init__(self, catalogue: Catalogue, types: tuple[str, ...]):
        self.catalogue = catalogue
        self.by_column = catalogue.by_column()
        self.types = types
        self.problems: list[WorkbookError] = []
        self.warnings: list[str] = []
        self.orgs: dict[str, dict] = {}
        self.values: dict[str, dict[str, float]] = {}
        self.cell_of: dict[tuple[str, str], str] = {}
        self.seen_at: dict[str, tuple[str, str, int]] = {}
        self.has_formulas = False
        self.read_as_text: list[tuple[str, object, float]] = []  # (cell, typed, read as)
        self.layouts: Mapping[str, SheetLayout] = {}

    def problem(self, sheet: str, row: int, col: int, message: str) -> None:
        self.problems.append(CellError(sheet, f"{get_column_letter(col)}{row}", message))

    def _headings(self, sheet: str, org_type: str, grid) -> tuple[dict[str, int], dict[int, str]]:
        fixed: dict[str, int] = {}
        metrics: dict[int, str] = {}
        first_at: dict[str, int] = {}
        aliases = {a: key for key, names in _FIXED_ALIASES.items() for a in names}
        for (row, col), cell in sorted(grid.items(), key=lambda kv: kv[0][1]):
            if row != 1:
                continue
            text = str(cell.value).strip() if cell.value is not None else ""
            if not text:
                continue
            ref = f"{get_column_letter(col)}1"
            key = aliases.get(text.lower())
            if key is not None:
                fixed.setdefault(key, col)
                continue
            mid = text.upper()
            if mid in first_at:
                self.problem(sheet, 1, col, f"{mid} is also the heading of column "
                                            f"{get_column_letter(first_at[mid])}: keep one of "
                                            "the two columns")
                continue
            if not _ID.match(mid):
                self.warnings.append(f"{sheet_ref(sheet, ref)}: column {show(text)} is not a "
                                     "metric ID, so it is ignored")
                continue
            if mid not in self.by_column:
                self.problem(sheet, 1, col, f"{show(text)} is not a metric in the Metrics sheet: "
                                            "use a metric ID listed there (e.g. OF0023), or "
                                            "add the metric to the Metrics sheet")
                continue
            first_at[mid] = col
            metrics[col] = mid
        return fixed, metrics

    def read_sheet(self, sheet: str, org_type: str, grid: dict[tuple[int, int], RawCell]):
        fixed, metrics = self._headings(sheet, org_type, grid)
        if "code" not in fixed:
            if grid:
                self.problem(sheet, 1, 1, "there is no Code column: row 1 must hold the "
                                          "headings Code, Name, Region, Subtype, In deficit, "
                                          "In RSP, then metric IDs (copy them from a new "
                                          "template: xl-league new)")
            return
        known_cols = set(fixed.values()) | set(metrics)
        headed = {c for (r, c), cell in grid.items()
                  if r == 1 and cell.value is not None and str(cell.value).strip()}
        stray = sorted({c for (r, c), cell in grid.items() if r > 1 and c not in headed
                        and cell.value is not None and str(cell.value).strip()})
        layout = self.layouts.get(sheet, SheetLayout())
        for col in stray:
            letter = get_column_letter(col)
            merged = _merged_heading(layout, col)
            if merged:
                self.problem(sheet, 1, col, f"the heading row is merged across {merged}, which "
                                            f"hides the heading of column {letter}, so its "
                                            "values would be left out: unmerge "
                                            f"{merged} and type the metric ID in {letter}1")
                continue
            self.warnings.append(f"{sheet_ref(sheet, letter + '1')}: column "
                                 f"{letter} has values but no heading, so it "
                                 "is ignored")
        rows: dict[int, dict[int, RawCell]] = {}
        for (r, c), cell in grid.items():
            if r > 1 and c in known_cols:
                rows.setdefault(r, {})[c] = cell
        not_applicable: dict[int, int] = {}
        for r in sorted(rows):
            self._read_row(sheet, org_type, r, rows[r], fixed, metrics, not_applicable)
        for col, count in not_applicable.items():
            metric = self.by_column[metrics[col]][0]
            self.warnings.append(
                f"{sheet_ref(sheet, get_column_letter(col) + '1')}: "
                f"{_metric_label(metric, metrics[col])} does not apply to {org_type} "
                f"organisations (only {', '.join(metric.types)}): its {count} value(s) are "
                "ignored")

    def _read_row(self, sheet, org_type, r, row, fixed, metrics, not_applicable) -> None:
        if all(str(c.value if c.value is not None else "").strip() == ""
               and not c.uncalculated for c in row.values()):
            return  # wholly blank row
        code_col = fixed["code"]
        ref = f"{get_column_letter(code_col)}{r}"
        code_cell = row.get(code_col)
        code = None
        if code_cell is not None and code_cell.value is None and not code_cell.uncalculated:
            code_cell = None
        if code_cell is not None:
            if code_cell.formula and code_cell.uncalculated:
                self.problems.append(_formula_problem(sheet, ref, code_cell))
                return
            parsed = parse_text(code_cell, "organisation code")
            if parsed.problem:
                self.problem(sheet, r, code_col, parsed.problem)
                return
            code = parsed.value.upper() if parsed.value else None
        if code is None:
            self.problem(sheet, r, code_col, f"the code is blank but row {r} has data: type the "
                                             "organisation's ODS code, or clear the row")
            return
        if code in self.seen_at:
            first_sheet, first_ref, first_row = self.seen_at[code]
            if first_sheet == sheet:
                message = (f"{code} is already in row {first_row}: each organisation once "
                           "only, so delete or correct one of the rows")
            else:
                message = (f"{code} is also in {sheet_ref(first_sheet, first_ref)}: an "
                           "organisation has one type, so it belongs in one input sheet only; "
                           "delete one of the rows")
            self.problem(sheet, r, code_col, message)
            return
        self.seen_at[code] = (sheet, ref, r)
        org = {"type": org_type, "name": "", "region": "", "subtype": "", "in_deficit": None,
               "in_rsp": None}
        self.cell_of[(code, "code")] = sheet_ref(sheet, ref)
        for key, col in fixed.items():
            if key == "code":
                continue
            cell_ref = f"{get_column_letter(col)}{r}"
            self.cell_of[(code, key)] = sheet_ref(sheet, cell_ref)
            cell = row.get(col)
            if cell is None:
                continue
            if cell.formula and cell.uncalculated:
                self.problems.append(_formula_problem(sheet, cell_ref, cell))
                continue
            if cell.formula:
                self.has_formulas = True
            if cell.value is None:
                continue
            if key in ("in_deficit", "in_rsp"):
                parsed = parse_flag_cell(cell, _FIXED_LABEL[key])
            else:
                parsed = parse_text(cell, _FIXED_LABEL[key].lower())
            if parsed.problem:
                self.problem(sheet, r, col, parsed.problem)
            elif parsed.value is not None:
                org[key] = parsed.value
        self.orgs[code] = org
        values = self.values.setdefault(code, {})
        for col, mid in metrics.items():
            cell = row.get(col)
            cell_ref = f"{get_column_letter(col)}{r}"
            self.cell_of[(code, mid)] = sheet_ref(sheet, cell_ref)
            if cell is None:
                continue
            if cell.formula:
                self.has_formulas = True
                if cell.uncalculated:
                    self.problems.append(_formula_problem(sheet, cell_ref, cell))
                    continue
            if cell.value is None:
                continue  # a formula whose value is empty text
            metric, kind = self.by_column[mid]
            parsed = parse_number(cell, _metric_label(metric, mid),
                                  percent_cells=kind == "value")
            if parsed.problem:
                self.problem(sheet, r, col, parsed.problem)
                continue
            if parsed.value is None:
                continue
            if not metric.applies_to(org_type):
                not_applicable[col] = not_applicable.get(col, 0) + 1
                continue
            if parsed.read_as_text:
                self.read_as_text.append((sheet_ref(sheet, cell_ref), cell.value, parsed.value))
            if kind == "value" and not metric.is_plausible(parsed.value):
                self.problem(sheet, r, col, f"{show(parsed.value)} for "
                                            f"{_metric_label(metric, mid)} is outside its "
                                            f"plausible range ({metric.plausible_text}): check "
                                            "the value and its units (the Metrics sheet's "
                                            "plausible column sets the range)")
                continue
            if kind == "score" and not 1 <= parsed.value <= 4:
                self.problem(sheet, r, col, f"score {show(parsed.value)} for "
                                            f"{_metric_label(metric, mid)} is outside 1 to 4: "
                                            "type a score from 1 (best) to 4 (worst), or leave "
                                            "it blank")
                continue
            values[mid] = parsed.value

    def layout_warnings(self) -> None:
        """Merged cells and hidden rows below the headings: read, but the user should know."""
        for sheet, layout in self.layouts.items():
            body = [r for r in layout.merged if range_boundaries(r)[1] > 1]
            if body:
                shown = ", ".join(body[:5]) + (" …" if len(body) > 5 else "")
                self.warnings.append(f"'{sheet}' has merged cells ({shown}): only the first "
                                     "cell of each keeps its value, so unmerge them and type "
                                     "each cell's value")
            if layout.hidden_rows and any(code for code, (s, _ref, _r) in self.seen_at.items()
                                          if s == sheet):
                rows = layout.hidden_rows
                shown = ", ".join(str(r) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
                self.warnings.append(f"'{sheet}' has hidden rows ({shown}): they are read "
                                     "like any other row; unhide them to see what is counted")

    def text_number_warning(self) -> None:
        """Numbers typed as text were read under the vocabulary's one rule: say where."""
        if not self.read_as_text:
            return
        n = len(self.read_as_text)
        examples = "; ".join(f"{ref} {show(typed)} as {number:g}"
                             for ref, typed, number in self.read_as_text[:3])
        more = f" and {n - 3} more" if n > 3 else ""
        self.warnings.append(f"{n} number{'s' if n != 1 else ''} typed as text read as "
                             f"number{'s' if n != 1 else ''} (spaces, thousands commas and a "
                             f"trailing % dropped): {examples}{more}")

    def fraction_problems(self) -> None:
        """Fractions (0.62) typed among percentages (62.0) of a percentage metric."""
        columns: dict[str, dict[str, float]] = {}
        for code, vals in self.values.items():
            for mid, v in vals.items():
                columns.setdefault(mid, {})[code] = v
        for mid, col in columns.items():
            metric, kind = self.by_column[mid]
            if kind != "value" or not _PERCENT_NAME.search(metric.name) or len(col) < 4:
                continue
            numbers = np.array(list(col.values()))
            for code, v in col.items():
                if not 0 < v <= 1:
                    continue
                others = numbers[numbers != v] if (numbers == v).sum() == 1 else numbers
                m = float(np.median(others))
                if m > 1 and abs(100 * v - m) < abs(v - m):
                    ref = self.cell_of[(code, mid)]
                    sheet, cell = ref[1:].split("'!")
                    pct = f"{round(100 * v, 6):g}"
                    self.problems.append(CellError(
                        sheet, cell, f"{show(v)} for {_metric_label(metric, mid)} looks like a "
                                     f"fraction, but the other values are percentages: type "
                                     f"{pct} for {pct} %"))


def _sort_key(error: WorkbookError, order: list[str]) -> tuple:
    if not isinstance(error, CellError):
        return (-1, 0, 0)
    m = re.match(r"([A-Z]+)(\d+)", error.cell)
    col = sum((ord(ch) - 64) * 26 ** i for i, ch in enumerate(reversed(m.group(1)))) if m else 0
    row = int(m.group(2)) if m else 0
    sheet = order.index(error.sheet) if error.sheet in order else len(order)
    return (sheet, row, col)


def _read(sheets: _Sheets) -> BookInputs:
    problems: list[WorkbookError] = []
    for name in sheets.missing:
        problems.append(WorkbookError(
            f"the workbook has no '{name}' sheet: add it back (copy it from a new template: "
            "xl-league new BLANK.xlsx), or rename the sheet that holds it"))
    meth, quarter = read_settings(sheets.cells.get(SETTINGS_SHEET), problems)
    catalogue = read_catalogue(sheets.cells.get(METRICS_SHEET), meth, problems)
    reader = _InputReader(catalogue, meth.types)
    reader.layouts = sheets.layouts
    for org_type, name in INPUT_SHEETS.items():
        if name in sheets.cells:
            reader.read_sheet(name, org_type, sheets.cells[name])
    reader.fraction_problems()
    reader.layout_warnings()
    reader.text_number_warning()
    problems.extend(reader.problems)
    organisations = pd.DataFrame.from_dict(reader.orgs, orient="index",
                                           columns=["name", "type", "region", "subtype",
                                                    "in_deficit", "in_rsp"])
    organisations.index.name = "code"
    for col in ("in_deficit", "in_rsp"):
        organisations[col] = pd.array(list(organisations[col]), dtype="boolean")
    values = pd.DataFrame.from_dict(reader.values, orient="index", dtype=float)
    values = values.reindex(organisations.index)
    values.index.name = "code"
    headed = [c for c in values.columns]
    blank = [c for c in headed if values[c].isna().all()]
    values = values.drop(columns=blank)
    warnings = list(reader.warnings)
    # metric columns of the sheets that hold organisations (an unused type's sheet is no news)
    used = set(organisations["type"]) if "type" in organisations.columns else set()
    all_columns = {mid for t, name in INPUT_SHEETS.items() if name in sheets.cells and t in used
                   for (r, _c), cell in sheets.cells[name].items() if r == 1
                   for mid in [str(cell.value).strip().upper()] if mid in catalogue.by_column()}
    empty = sorted(all_columns - set(values.columns))
    if empty and len(organisations):
        warnings.append(f"no values for {', '.join(empty)}: left out of the calculation")
    if organisations.empty and not any(isinstance(p, CellError) for p in problems):
        problems.append(WorkbookError(
            "the input sheets have no organisations: type (or paste) one row per organisation "
            "into its type's input sheet, code first"))
    order = [SETTINGS_SHEET, METRICS_SHEET, *INPUT_SHEETS.values()]
    problems.sort(key=lambda e: _sort_key(e, order))
    return BookInputs(organisations=organisations, values=values.astype(float),
                      methodology=meth, catalogue=catalogue, quarter=quarter,
                      problems=tuple(problems), warnings=tuple(warnings),
                      cell_of=dict(reader.cell_of), has_formulas=reader.has_formulas,
                      layouts={name: sheets.layouts[name] for name in INPUT_SHEETS.values()
                               if name in sheets.layouts})


def read_inputs(source: Workbook | str | Path, *, path: str | Path | None = None) -> BookInputs:
    """Read the inputs of a workbook (an open openpyxl workbook, or a path to one).

    Given a path, see :func:`read_inputs_from_path`. Given a workbook (one built in memory,
    or a macro workbook open in Excel), pass ``path`` (the file it was loaded from) so
    formulas' cached values can be read. Raises :class:`WorkbookError` only when the file
    cannot be opened; everything wrong inside it is in ``problems``.
    """
    if isinstance(source, Workbook):
        return _read(_grab(source, Path(path) if path is not None else None))
    return read_inputs_from_path(source)


def read_inputs_from_path(path: str | Path) -> BookInputs:
    """The inputs of the workbook file at ``path``, checked (:func:`~.safety.check_file`) and
    read in one streaming pass over the sheets' XML (:mod:`.sheet_xml`): no openpyxl load,
    formulas' cached values read beside their formulas."""
    file = check_file(path)
    grids = read_sheet_grids(file, SHEETS_READ)
    return _read(_Sheets(grids.cells, grids.missing, grids.layouts))
