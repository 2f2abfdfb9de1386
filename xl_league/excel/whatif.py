"""The What-if macros: change one organisation's inputs on a scratch sheet, see the effect.

The **What-if** sheet (created when needed; the input sheets are never touched)::

    A3  Organisation code | B3  <type a code>
    A4  Inputs below for  | B4  <code the rows belong to>  C4 name  D4 type
    A6  Input | Description | Current | What-if        F6  Result | Current | What-if | Change
    A7  In deficit ...                                   F7  Average metric score ...
    A9  OF0023 ...

:func:`what_if_setup` copies the organisation's current inputs into both the Current and the
What-if columns. The user edits the What-if column (a blank cell = no value, so that metric is
not scored; "Yes"/"No" for the flags) and runs :func:`what_if`, which recalculates the whole
national picture with the changed inputs — cut-points and every other organisation's place
included, exactly as the engine would — and shows before and after side by side.
Cut-points fixed by the last recalculation's overrides (About sheet) apply here too; likely
ranges are left out (0 resamples) so the answer comes back at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..engine.pipeline import LeagueTables
from ..errors import CellError, WorkbookError
from ..workbook_io.cells import Parsed, RawCell, parse_flag_cell, parse_number, show
from ..workbook_io.reader import BookInputs
from ..run import RunSettings, run_inputs
from .book_adapter import has_sheet, quiet_app, sheet, sheet_values, write_rows
from .macros import (MacroReport, _Refused, compute, guarded, show_problems)

__all__ = ["WHAT_IF_SHEET", "CODE_CELL", "what_if_setup", "what_if", "what_if_rows",
           "RESULT_ROWS"]

WHAT_IF_SHEET = "What-if"
CODE_CELL = "B3"
_HEADER_ROW = 6          # first row of both blocks (their headings)
_RESULT_COLUMN = "F"
_FLAGS = {"In deficit": "in_deficit", "In RSP": "in_rsp"}
#: (label, league column) of the result block, top to bottom.
RESULT_ROWS: tuple[tuple[str, str], ...] = (
    ("Average metric score", "average_score"), ("Metrics scored", "metrics_scored"),
    ("Unadjusted segment", "unadjusted_segment"), ("In deficit", "in_deficit"),
    ("Financial override applied", "override_applied"), ("Segment", "segment"),
    ("Final segment", "final_segment"), ("Position", "position"),
    ("Organisations of this type", "_of"), ("Distance to next segment",
                                            "distance_to_next_segment"),
    ("Cut-point 1", "_c1"), ("Cut-point 2", "_c2"), ("Cut-point 3", "_c3"),
)


def _blank(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))


def _plain(v: Any) -> Any:
    if _blank(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, bool):
        return "Yes" if v else "No"
    return v


def what_if_rows(inputs: BookInputs, code: str) -> list[tuple[str, str, Any]]:
    """(input, description, current value) for the organisation: its flags, then each metric
    input of its type — the raw value of a ranked or banded metric, and the score where one is
    supplied (a supplied score wins over the raw value)."""
    org = inputs.organisations.loc[code]
    rows: list[tuple[str, str, Any]] = [
        ("In deficit", "Yes / No; blank = derived from the finance metrics",
         _plain(org["in_deficit"])),
        ("In RSP", "Yes / No: in the Recovery Support Programme", _plain(org["in_rsp"]))]
    values = inputs.values.loc[code] if code in inputs.values.index else pd.Series(dtype=float)
    for metric in inputs.catalogue.for_type(org["type"]):
        ids = []
        if metric.value_id and metric.scoring in ("ranked", "banded"):
            ids.append((metric.value_id, metric.name))
        if metric.scoring == "supplied" or metric.score_id in inputs.values.columns:
            ids.append((metric.score_id, f"score 1-4: {metric.name}"))
        for mid, text in ids:
            rows.append((mid, text, _plain(values.get(mid))))
    return rows


def _result_column(results: LeagueTables, code: str) -> list[Any]:
    rec = results.league.loc[code]
    cuts = results.cuts_for(code)
    extra = {"_of": int((results.league["type"] == rec["type"]).sum()),
             "_c1": cuts[0], "_c2": cuts[1], "_c3": cuts[2]}
    out = []
    for _label, key in RESULT_ROWS:
        value = extra[key] if key in extra else rec[key]
        if key == "in_deficit" and not _blank(value):
            value = ("Yes" if value else "No") + (" (derived)" if rec["deficit_derived"] else "")
        out.append(_plain(value))
    return out


def _change(before: Any, after: Any) -> Any:
    if isinstance(before, (int, float)) and isinstance(after, (int, float)) and \
            not isinstance(before, bool) and before != after:
        return round(after - before, 4)
    if before != after:
        return "changed"
    return None


def _results_block(before: LeagueTables, after: LeagueTables | None, code: str) -> list[list]:
    now = _result_column(before, code)
    new = _result_column(after, code) if after is not None else now
    rows = [["Result", "Current", "What-if", "Change"]]
    for (label, _), b, a in zip(RESULT_ROWS, now, new):
        rows.append([label, b, a, _change(b, a)])
    return rows


def _code(value: Any) -> str:
    return "" if _blank(value) else str(value).strip().upper()


@guarded("the what-if set-up")
def what_if_setup(book: Any, code: str | None = None) -> MacroReport:
    """Copy the organisation's current inputs (code in 'What-if'!B3, or ``code``) to the
    What-if sheet, with its current results."""
    target = sheet(book, WHAT_IF_SHEET)
    if code is None:
        code = _code(target.range(CODE_CELL).value)
    code = _code(code)
    if not code:
        raise _Refused([f"'{WHAT_IF_SHEET}'!{CODE_CELL}: type the code of the organisation to "
                        "try changes on (e.g. RX1), then run the what-if set-up again"])
    run = compute(book, RunSettings(replicates=0), recorded=True)
    inputs, results = run.inputs, run.results
    if code not in inputs.organisations.index:
        raise _Refused([f"'{WHAT_IF_SHEET}'!{CODE_CELL}: {code} is not in the input sheets: "
                        "type the code of an organisation listed there"])
    org = inputs.organisations.loc[code]
    layout: list[list[Any]] = [
        ["What-if: change this organisation's inputs in the What-if column, then run the "
         "what-if (xl-league recalculates every organisation)."],
        ["A blank What-if cell means no value (the metric is not scored). The input sheets "
         "are not changed."],
        ["Organisation code", code],
        ["Inputs below for", code, org["name"], org["type"]],
        [None],
        ["Input", "Description", "Current", "What-if"],
    ]
    layout += [[mid, text, value, value] for mid, text, value in what_if_rows(inputs, code)]
    block = _results_block(results, None, code)
    for i, row in enumerate(block):
        r = _HEADER_ROW - 1 + i
        while len(layout) <= r:
            layout.append([None])
        layout[r] = (layout[r] + [None] * 5)[:5] + row
    with quiet_app(book):
        write_rows(book, WHAT_IF_SHEET, layout)
        show_problems(book, (), "the what-if set-up")
    return MacroReport(True, f"What-if set up for {code}: change the What-if column, then run "
                             "the what-if", sheets_written=(WHAT_IF_SHEET,), results=results)


def _scenario(inputs: BookInputs, code: str, rows: Sequence[Sequence[Any]]
              ) -> tuple[BookInputs, list[str]]:
    """The inputs with the What-if column applied; problems name the What-if cells."""
    orgs = inputs.organisations.copy()
    values = inputs.values.copy()
    by_column = inputs.catalogue.by_column()
    problems: list[str] = []
    for r, row in enumerate(rows, start=_HEADER_ROW + 1):
        key = _code(row[0] if row else None)
        if not key:
            continue
        cell = RawCell(row[3] if len(row) > 3 else None)
        ref = f"D{r}"
        label = {k.upper(): k for k in _FLAGS}.get(key)
        if label is not None:
            parsed = parse_flag_cell(cell, label)
            if parsed.problem:
                problems.append(str(CellError(WHAT_IF_SHEET, ref, parsed.problem)))
            else:
                orgs[_FLAGS[label]] = orgs[_FLAGS[label]].astype("boolean")
                orgs.loc[code, _FLAGS[label]] = (pd.NA if parsed.value is None
                                                 else bool(parsed.value))
            continue
        if key not in by_column:
            problems.append(str(CellError(WHAT_IF_SHEET, f"A{r}", f"'{row[0]}' is not In "
                                          "deficit, In RSP or a metric ID of the Metrics sheet: "
                                          "run the what-if set-up again")))
            continue
        metric, kind = by_column[key]
        parsed = (parse_number(cell, f"{key} ({metric.name})", percent_cells=False)
                  if cell.value is not None else Parsed(None))
        if parsed.problem is None and kind == "score" and parsed.value is not None \
                and not 1 <= parsed.value <= 4:
            parsed = dataclasses.replace(parsed, problem=f"score {show(parsed.value)} for {key} "
                                         "is outside 1 to 4: type a score from 1 (best) to 4 "
                                         "(worst), or leave it blank")
        if parsed.problem:
            problems.append(str(CellError(WHAT_IF_SHEET, ref, parsed.problem)))
            continue
        if key not in values.columns:
            values[key] = np.nan
        values.loc[code, key] = np.nan if parsed.value is None else float(parsed.value)
    values = values.loc[:, values.notna().any()]
    orgs["in_rsp"] = orgs["in_rsp"].fillna(False)
    return dataclasses.replace(inputs, organisations=orgs, values=values), problems


@guarded("the what-if")
def what_if(book: Any) -> MacroReport:
    """Recalculate with the What-if column in place of the organisation's inputs; show its
    average, segments and position before and after (F6 onwards of the What-if sheet)."""
    if not has_sheet(book, WHAT_IF_SHEET):
        return what_if_setup(book)
    grid = sheet_values(book, WHAT_IF_SHEET)
    cell = lambda r, c: grid[r - 1][c - 1] if r <= len(grid) and c <= len(grid[r - 1]) else None  # noqa: E731
    code, rows_for = _code(cell(3, 2)), _code(cell(4, 2))
    if not code or code != rows_for:
        return what_if_setup(book)  # a new code: copy its inputs first
    # as recalculated last (recorded cut-points), without likely ranges: an answer at once
    run = compute(book, RunSettings(replicates=0), recorded=True)
    inputs, before = run.inputs, run.results
    if code not in inputs.organisations.index:
        return what_if_setup(book)
    scenario, problems = _scenario(inputs, code, grid[_HEADER_ROW:])
    if problems:
        raise _Refused(problems)
    try:
        after = run_inputs(scenario, run.settings)
    except WorkbookError as exc:  # an engine objection to the changed inputs
        raise _Refused([f"with the What-if values: {exc}"]) from None
    block = _results_block(before, after, code)
    with quiet_app(book):
        book.sheets[WHAT_IF_SHEET].range(f"{_RESULT_COLUMN}{_HEADER_ROW}").value = block
        show_problems(book, (), "the what-if")
    new = dict(zip((k for _, k in RESULT_ROWS), _result_column(after, code)))
    return MacroReport(True, f"What-if for {code}: average {new['average_score']}, segment "
                             f"{new['segment']}, position {new['position']} of {new['_of']}",
                       sheets_written=(WHAT_IF_SHEET,), results=after)
