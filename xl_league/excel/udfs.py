"""The Excel worksheet functions, as plain Python: each takes exactly what Excel passes.

Each function is a thin wrapper over the engine (scoring, averages, segments, override,
league), so a formula gives the same numbers as ``xl-league recalc``. They return 2-D lists
(rows of cells) that Excel 365 spills; a blank result cell is ``None`` (an
empty cell). A range Excel cannot use
gives a one-cell message such as ``#xl-league: values row 5: 'abc' is not a number``, never a
traceback (unexpected failures are logged, see :mod:`xl_league.excel.log`).

``workbook/league_tables.py`` registers them with xlwings under the names ``NOF_*``:

=====================  ===========================================================
NOF_METRIC_SCORES      scores 1–4 for a column of metric values
NOF_AVERAGE            average metric score and metrics scored, per row of scores
NOF_CUT_POINTS         national quartile cut-points of a column of averages
NOF_SEGMENTS           segment 1–4 for each average (quartiles or given cut-points)
NOF_ADJUSTED_SEGMENT   the financial override: in deficit ⇒ no better than 3
NOF_POSITIONS          league position within each trust type
NOF_LEAGUE_TABLE       the whole league table from an input range with headers
=====================  ===========================================================
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from contextvars import ContextVar
from typing import Any, Callable, TypeVar

import numpy as np
import pandas as pd

from ..engine import compute_league_tables, load_catalogue, load_methodology
from ..engine.averages import average_metric_scores, round_half_up
from ..engine.catalogue import Catalogue, Metric, catalogue_from_rows
from ..engine.inputs import normalise_type
from ..engine.league import league_positions
from ..engine.methodology import Methodology
from ..engine.override import apply_financial_override
from ..engine.pipeline import LEAGUE_CSV_COLUMNS
from ..engine.scoring import banded_scores, combined_scores, ranked_scores
from ..engine.scoring import peer_groups as metric_peer_groups
from ..engine.segments import quartile_cut_points, segment_of
from ..errors import InputError
from ..workbook_io.cells import RawCell
from ..workbook_io.layout import METRICS_SHEET, SETTINGS_SHEET
from ..workbook_io.settings import read_catalogue, read_settings
from .book_adapter import has_sheet, sheet_values
from .cells import (Vector, as_grid, as_vector, broadcast, excel_value, is_blank, numbers,
                    to_flag, to_number, to_text, trim_ranges)
from .log import excel_errors

__all__ = ["metric_scores", "average_scores", "cut_points", "segments", "adjusted_segments",
           "positions", "league_table", "workbook_rules", "clear_caches", "ORGANISATION_HEADERS",
           "AVERAGE_HEADERS", "CATEGORY"]

#: The category the functions are listed under in Excel's Insert Function dialog.
CATEGORY = "xl-league"

#: Headers NOF_LEAGUE_TABLE understands besides metric IDs (case and spaces/underscores free).
ORGANISATION_HEADERS = {
    "code": "code", "trust code": "code", "organisation code": "code", "ods code": "code",
    "name": "name", "trust name": "name", "organisation name": "name", "organisation": "name",
    "type": "type", "trust type": "type", "organisation type": "type",
    "region": "region", "subtype": "subtype", "sub-type": "subtype", "trust subtype": "subtype",
    "in deficit": "in_deficit", "deficit": "in_deficit",
    "trust in financial deficit": "in_deficit",
    "in rsp": "in_rsp", "rsp": "in_rsp", "recovery support programme": "in_rsp",
    "in recovery support programme": "in_rsp",
}
#: The header row NOF_AVERAGE returns when its scores range has a header row.
AVERAGE_HEADERS = ["average_score", "metrics_scored"]

_DIRECTIONS = {"higher": True, "h": True, "high": True, "higher is better": True,
               "lower": False, "l": False, "low": False, "lower is better": False}
_METRIC_ID = re.compile(r"^[A-Za-z]{2}\d{4}$")


@functools.lru_cache(maxsize=1)
def _packaged() -> tuple[Methodology, Catalogue]:
    meth = load_methodology()
    return meth, load_catalogue(meth)


#: The method and catalogue of the workbook a function is being calculated for (its Settings
#: and Metrics sheets); the packaged ones when there is no workbook (a plain Python call).
_RULES: ContextVar[tuple[Methodology, Catalogue] | None] = ContextVar("xl_league_rules",
                                                                       default=None)


#: The calling workbook's (Settings, Metrics) cell values as read (None: no workbook).
_SHEETS: ContextVar[Any] = ContextVar("xl_league_sheets", default=None)


def current_sheets() -> dict[str, list[list[Any]]]:
    """The Settings and Metrics sheets' values of the workbook being calculated for (empty
    when there is none), for a function that runs the whole recalculation."""
    key = _SHEETS.get()
    if key is None:
        return {}
    names = (SETTINGS_SHEET, METRICS_SHEET)
    return {n: [list(r) for r in rows] for n, rows in zip(names, key) if rows is not None}


def _methodology() -> Methodology:
    return (_RULES.get() or _packaged())[0]


def _catalogue() -> Catalogue:
    return (_RULES.get() or _packaged())[1]


def _freeze(value: Any) -> Any:
    """A hashable copy of an argument (ranges are nested lists)."""
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


class _LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get_or(self, key: Any, make: Callable[[], Any]) -> Any:
        if key in self:
            self.move_to_end(key)
            return self[key]
        value = make()
        self[key] = value
        while len(self) > self.size:
            self.popitem(last=False)
        return value


_RULES_CACHE = _LRU(8)      # (Settings values, Metrics values) → (methodology, catalogue)
_RESULTS = _LRU(256)        # (function, arguments, rules) → result rows


def clear_caches() -> None:
    """Forget every cached result and workbook method (tests; a changed package)."""
    _RULES_CACHE.clear()
    _RESULTS.clear()


def _grid_cells(rows: list[list[Any]]) -> dict[tuple[int, int], RawCell]:
    return {(r, c): RawCell(v) for r, row in enumerate(rows, start=1)
            for c, v in enumerate(row, start=1) if v is not None}


def workbook_rules(book: Any) -> tuple[tuple[Methodology, Catalogue], Any]:
    """The method (Settings sheet) and metric catalogue (Metrics sheet) of ``book``, read by
    the workbook I/O's own :func:`read_settings` / :func:`read_catalogue` — so a function
    computes what the Recalculate macro and ``xl-league recalc`` compute — and a key naming
    them. Cached on the two sheets' values. ``book`` None: the packaged ones.

    A bad Settings or Metrics cell is an :class:`InputError` naming it.
    """
    if book is None:
        return _packaged(), None
    settings = sheet_values(book, SETTINGS_SHEET) if has_sheet(book, SETTINGS_SHEET) else None
    metrics = sheet_values(book, METRICS_SHEET) if has_sheet(book, METRICS_SHEET) else None
    key = (_freeze(settings), _freeze(metrics))

    def read() -> tuple[tuple[Methodology, Catalogue], tuple[str, ...]]:
        problems: list = []
        meth, _ = read_settings(None if settings is None else _grid_cells(settings), problems)
        cat = read_catalogue(None if metrics is None else _grid_cells(metrics), meth, problems)
        return (meth, cat), tuple(str(p) for p in problems)

    rules, problems = _RULES_CACHE.get_or(key, read)
    if problems:
        raise InputError("; ".join(problems))
    return rules, key


_F = TypeVar("_F", bound=Callable[..., Any])


def workbook_function(func: _F) -> _F:
    """A worksheet function: trailing blank rows and columns of its ranges are dropped (a
    whole-column reference costs no more than the cells in use), the workbook's Settings
    and Metrics apply (keyword ``book``: the calling workbook, or None), and results are
    cached on the arguments and those two sheets. Messages, not exceptions, come back."""

    @functools.wraps(func)
    def run(*args: Any, book: Any = None, **kwargs: Any) -> Any:
        rules, rules_key = workbook_rules(book)
        args = tuple(trim_ranges(list(args)))
        key = (func.__name__, _freeze(args), _freeze(kwargs), rules_key)

        def compute() -> list[list[Any]]:
            token, sheets = _RULES.set(rules), _SHEETS.set(rules_key)
            try:
                return func(*args, **kwargs)
            finally:
                _RULES.reset(token)
                _SHEETS.reset(sheets)

        return [list(r) for r in _RESULTS.get_or(key, compute)]

    return excel_errors(run)  # type: ignore[return-value]


def _row(i: int, first_row: int = 1) -> int:
    return i + first_row


# --- NOF_METRIC_SCORES ----------------------------------------------------------------------

def _scoring_rule(direction: Any) -> bool | Metric:
    """'higher'/'lower' → higher-is-better; a metric ID → its catalogue entry."""
    text = to_text(direction, "direction")
    if not text:
        raise InputError("direction: blank; give 'higher', 'lower' or a metric ID such as "
                         "OF0013")
    key = text.lower()
    if key in _DIRECTIONS:
        return _DIRECTIONS[key]
    if _METRIC_ID.match(text):
        known = _catalogue().by_column()
        if text.upper() in known:
            return known[text.upper()][0]
        raise InputError(f"direction: {text!r} is not a metric in the {_catalogue().year} "
                         "catalogue")
    raise InputError(f"direction: {text!r} is not 'higher', 'lower' or a metric ID such as "
                     "OF0013")


def _peer_labels(peer_groups: Any, values: np.ndarray) -> list[str]:
    n = len(values)
    if is_blank_range(peer_groups):
        return ["all"] * n
    labels = [to_text(v, f"peer_groups row {_row(i)}")
              for i, v in enumerate(broadcast(as_vector(peer_groups, "peer_groups"), n,
                                              "peer_groups"))]
    for i, (label, v) in enumerate(zip(labels, values)):
        if label == "" and not np.isnan(v):
            raise InputError(f"peer_groups row {_row(i)}: blank, but the value is "
                             f"{v:g}; give every scored row its peer group (e.g. its trust type)")
    return labels


@workbook_function
def metric_scores(values: Any, direction: Any, peer_groups: Any = None) -> list[list[Any]]:
    """Metric scores 1.00 (best) to 4.00 (worst) for a column (or row) of metric values.

    ``direction``: ``"higher"`` or ``"lower"`` (is better) ranks the values within each peer
    group: score = 1 + 3·b/(n−1), b = how many are strictly better, ties share the better
    score. A metric ID (``"OF0013"``) takes the direction — or the bands (``"OF0079"``) —
    from the 2025/26 catalogue; for the combined finance score (``"OF1080"``) ``values`` is two
    columns: the plan score (OF1079) and the variance score (OF1081).
    ``peer_groups``: optional, the same size as ``values``. With ``"higher"``/``"lower"``: any
    labels; organisations with the same label are ranked together. With a metric ID: each
    organisation's trust type; the catalogue then decides who is compared with whom (the same
    type, or all trusts nationally, e.g. OF0082) and which types are scored at all — exactly
    as the engine does. Blank values get no score (a blank cell).
    """
    meth = _methodology()
    rule = _scoring_rule(direction)
    if isinstance(rule, Metric) and rule.scoring == "combined":
        return _combined(values, rule)
    if isinstance(rule, Metric) and rule.scoring == "supplied":
        raise InputError(f"direction: {rule.score_id} is a supplied score (typed in, 1 to 4); "
                         "there is nothing to compute")
    vector = as_vector(values, "values")
    raw = numbers(vector.cells, lambda i: f"values row {_row(i)}")
    if isinstance(rule, Metric) and rule.scoring == "banded":
        return vector.shape(list(banded_scores(raw, rule)))
    scores = np.full(len(raw), np.nan)
    if isinstance(rule, Metric) and not is_blank_range(peer_groups):
        groups = metric_peer_groups(rule, _types(peer_groups, raw), meth)
        higher = rule.higher_is_better
    else:
        labels = np.asarray(_peer_labels(peer_groups, raw), dtype=object)
        groups = [labels == label for label in dict.fromkeys(labels)]
        higher = rule.higher_is_better if isinstance(rule, Metric) else rule
    for group in groups:
        scores[group] = ranked_scores(raw[group], higher, meth.best_score, meth.worst_score)
    for band in (rule.floor if isinstance(rule, Metric) else ()):  # e.g. OF0057: <70:4
        scores[band.matches_array(raw)] = band.score
    return vector.shape(list(scores))


def _types(types: Any, values: np.ndarray, what: str = "peer_groups") -> pd.Series:
    """Trust types (acute, non-acute, ambulance, icb or NHS England's names) per row."""
    cells = broadcast(as_vector(types, what), len(values), what)
    kinds = []
    for i, (t, v) in enumerate(zip(cells, values)):
        key = normalise_type(t)
        if key is None and not is_blank(t):
            raise InputError(f"{what} row {_row(i)}: {to_text(t, what)!r} is not a trust type "
                             "(acute, non-acute, ambulance, icb)")
        if key is None and not np.isnan(v):
            raise InputError(f"{what} row {_row(i)}: blank; give the organisation's trust type")
        kinds.append(key or "")
    return pd.Series(kinds)


def _combined(values: Any, metric: Metric) -> list[list[Any]]:
    grid = as_grid(values, "values")
    if not grid or len(grid[0]) != 2:
        raise InputError(f"values: {metric.score_id} combines {' and '.join(metric.components)}; "
                         "select their two score columns side by side")
    first = numbers([r[0] for r in grid], lambda i: f"values row {_row(i)}, column 1")
    second = numbers([r[1] for r in grid], lambda i: f"values row {_row(i)}, column 2")
    meth = _methodology()
    for column, arr in ((1, first), (2, second)):
        bad = ~np.isnan(arr) & ((arr < meth.best_score) | (arr > meth.worst_score))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"values row {_row(i)}, column {column}: {arr[i]:g} is not a "
                             "score from 1 to 4")
    scores, _ = combined_scores(first, second, metric)
    return Vector([None] * len(scores)).shape(list(scores))


# --- NOF_AVERAGE ----------------------------------------------------------------------------

def _header_row(grid: list[list[Any]]) -> list[str] | None:
    """The first row's IDs when it is a header (text only), else None."""
    first = [c for c in grid[0] if not is_blank(c)]
    if not first or not all(isinstance(c, str) for c in first):
        return None
    if all(_is_number_text(c) for c in first):
        return None
    return [to_text(c, "header").upper() for c in grid[0]]


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _average_catalogue(header: list[str] | None, width: int) -> tuple[Catalogue, list[str]]:
    """The catalogue that says which columns count, and the column IDs."""
    meth = _methodology()
    if header is None:  # no header: every column counts, once, with no weights
        ids = [f"XL{i + 1:04d}" for i in range(width)]
        rows = [{"score_id": i, "scoring": "supplied", "types": " ".join(meth.types),
                 "in_average": "yes"} for i in ids]
        return catalogue_from_rows(meth.year, rows, meth.types), ids
    cat = _catalogue()
    for j, col in enumerate(header):
        if col not in cat:
            raise InputError(f"scores header column {j + 1}: {col!r} is not a metric score ID "
                             "(e.g. OF1023); use score IDs so the catalogue can tell which "
                             "scores count, or select the scores without the header")
    return cat, header


@workbook_function
def average_scores(scores: Any) -> list[list[Any]]:
    """Average metric score (2 dp) and the number of metrics scored, for each row of scores.

    Each row is one organisation; blank cells are metrics with no score and do not count.
    With a header row of score IDs (OF1023, ...) the catalogue decides which scores count
    (OF1079 and OF1081 do not: only the combined OF1080 does), and a header row comes back.
    """
    meth = _methodology()
    grid = as_grid(scores, "scores")
    if not grid:
        raise InputError("scores: the range is empty")
    header = _header_row(grid)
    body = grid[1:] if header else grid
    first_row = 2 if header else 1
    cat, ids = _average_catalogue(header, len(grid[0]))
    block = np.full((len(body), len(ids)), np.nan)
    for i, row in enumerate(body):
        for j, cell in enumerate(row):
            where = f"scores row {i + first_row}, column {j + 1}"
            v = to_number(cell, where)
            if v is None:
                continue
            if not meth.best_score <= v <= meth.worst_score:
                raise InputError(f"{where}: {v:g} is not a metric score from "
                                 f"{meth.best_score:g} to {meth.worst_score:g}")
            block[i, j] = v
    frame = pd.DataFrame(block, columns=ids)
    avg = average_metric_scores(frame, cat, meth.minimum_metrics)
    rounded = round_half_up(avg["average_score_unrounded"].to_numpy(), meth.average_decimals)
    out = [[excel_value(a), int(n)] for a, n in
           zip(np.atleast_1d(rounded), avg["metrics_scored"])]
    return ([AVERAGE_HEADERS] if header else []) + out


# --- NOF_CUT_POINTS, NOF_SEGMENTS -----------------------------------------------------------

def _averages(averages: Any) -> tuple[Vector, np.ndarray]:
    vector = as_vector(averages, "averages")
    raw = numbers(vector.cells, lambda i: f"averages row {_row(i)}")
    return vector, np.asarray(round_half_up(raw, _methodology().average_decimals), dtype=float)


def _quartiles(avg: np.ndarray) -> tuple[float, float, float]:
    scored = int(np.count_nonzero(~np.isnan(avg)))
    if scored < 4:
        raise InputError(f"averages: only {scored} average(s); quartile cut-points need at "
                         "least 4 (select every organisation's average, or give cut-points)")
    return quartile_cut_points(avg, _methodology().quantile_method)


def _given_cut_points(cut_points: Any) -> tuple[float, float, float]:
    cells = as_vector(cut_points, "cut_points").cells
    cuts = [to_number(c, f"cut_points cell {i + 1}") for i, c in enumerate(cells)]
    given = [c for c in cuts if c is not None]
    if len(given) != 3 or any(b <= a for a, b in zip(given, given[1:])):
        raise InputError(f"cut_points: {given} must be three increasing numbers, e.g. "
                         "2.05, 2.33, 2.62")
    return given[0], given[1], given[2]


@workbook_function
def cut_points(averages: Any) -> list[list[Any]]:
    """The national quartile cut-points c1, c2, c3 (one row) of a column of averages.

    QUARTILE.INC of the averages rounded to 2 dp — the 2025/26 rule when every trust's
    average is selected.
    """
    _, avg = _averages(averages)
    return [[excel_value(c) for c in _quartiles(avg)]]


@workbook_function
def segments(averages: Any, cut_points: Any = None) -> list[list[Any]]:
    """Segment 1 (best) to 4 for each average metric score (rounded to 2 dp first).

    Without ``cut_points`` the cut-points are the workbook's fixed ones when its Settings say
    ``fixed``, else the quartiles of the averages given (select every trust's average for the
    national 2025/26 rule); with three cut-points (c1, c2, c3) those are used. An average at or above a cut-point goes to the worse segment.
    """
    vector, avg = _averages(averages)
    meth = _methodology()
    if not is_blank_range(cut_points):
        cuts = _given_cut_points(cut_points)
    elif meth.cut_point_rule == "fixed" and meth.fixed_cut_points:
        cuts = tuple(meth.fixed_cut_points)  # the workbook's Settings: fixed cut-points
    else:
        cuts = _quartiles(avg)
    return vector.shape([_int(s) for s in segment_of(avg, cuts)])


def is_blank_range(value: Any) -> bool:
    """An omitted optional argument, or a range of blank cells."""
    return all(is_blank(c) for row in as_grid(value, "argument") for c in row)


def _int(x: float) -> int | None:
    return None if np.isnan(x) else int(x)


# --- NOF_ADJUSTED_SEGMENT -------------------------------------------------------------------

def _segments(segments: Any, what: str = "segments") -> tuple[Vector, np.ndarray]:
    vector = as_vector(segments, what)
    seg = numbers(vector.cells, lambda i: f"{what} row {_row(i)}")
    bad = ~np.isnan(seg) & ~np.isin(seg, [1.0, 2.0, 3.0, 4.0])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{what} row {_row(i)}: {seg[i]:g} is not a segment 1, 2, 3 or 4")
    return vector, seg


@workbook_function
def adjusted_segments(segments: Any, in_deficit: Any) -> list[list[Any]]:
    """The financial override: an organisation in deficit is no better than segment 3.

    ``in_deficit``: Yes/No (or TRUE/FALSE, 1/0) per row, or one cell for all; blank = No.
    Segments 3 and 4 are unchanged; nobody is moved to 4.
    """
    vector, seg = _segments(segments)
    flags = broadcast(as_vector(in_deficit, "in_deficit"), len(seg), "in_deficit")
    deficit = np.array([bool(to_flag(f, f"in_deficit row {_row(i)}")) for i, f in
                        enumerate(flags)], dtype=bool)
    adjusted = apply_financial_override(seg, deficit, _methodology().override_cap_segment)
    return vector.shape([_int(s) for s in adjusted])


# --- NOF_POSITIONS --------------------------------------------------------------------------

@workbook_function
def positions(types: Any, segments: Any, averages: Any) -> list[list[Any]]:
    """League position within each trust type, by (adjusted segment, 2-dp average).

    Equal segment and average share a position and the next one skips (1, 2, 2, 4).
    Rows with no segment or no average get no position.
    """
    vector, seg = _segments(segments)
    n = len(seg)
    avg_vector = as_vector(averages, "averages")
    if len(avg_vector) != n:
        raise InputError(f"averages has {len(avg_vector)} cells but segments has {n}: select "
                         "ranges of the same size")
    _, avg = _averages(averages)
    keep = ~np.isnan(seg) & ~np.isnan(avg)
    kinds = _types(types, np.where(keep, 0.0, np.nan), "types")
    pos = np.full(n, np.nan)
    if keep.any():
        pos[keep] = league_positions(kinds[keep].reset_index(drop=True), seg[keep], avg[keep])
    return vector.shape([_int(p) for p in pos])


# --- NOF_LEAGUE_TABLE -----------------------------------------------------------------------

def _header_key(cell: Any, column: int, known: dict) -> str:
    text = to_text(cell, f"inputs header column {column}")
    norm = " ".join(text.replace("_", " ").lower().split())
    if norm in ORGANISATION_HEADERS:
        return ORGANISATION_HEADERS[norm]
    if text.upper() in known:
        return text.upper()
    raise InputError(f"inputs header column {column}: {text!r} is neither Code, Name, Type, "
                     "Region, Subtype, In deficit, In RSP nor a metric ID of the "
                     f"{_catalogue().year} catalogue (e.g. OF0023)")


def inputs_frames(inputs: Any, org_type: str | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An input range with a header row → (organisations, values) for the engine.

    Without a Type column, ``org_type`` is every row's type (a template input sheet)."""
    grid = as_grid(inputs, "inputs")
    if len(grid) < 2:
        raise InputError("inputs: select the header row (Code, Name, Type, In deficit, In RSP, "
                         "metric IDs) and at least one organisation")
    known = _catalogue().by_column()
    keys = [_header_key(c, j + 1, known) for j, c in enumerate(grid[0])]
    seen = [k for k in keys if keys.count(k) > 1]
    if seen:
        raise InputError(f"inputs: the header {seen[0]!r} appears more than once")
    if "code" not in keys:
        raise InputError("inputs: no Code column in the header row")
    if "type" not in keys and not org_type:
        raise InputError("inputs: no Type column in the header row; add one, or give org_type "
                         "when every row is one type (e.g. an input sheet of the template)")
    orgs: dict[str, list] = {k: [] for k in keys if k in ORGANISATION_HEADERS.values()}
    metrics = [k for k in keys if k not in orgs]
    vals: dict[str, list] = {m: [] for m in metrics}
    for i, row in enumerate(grid[1:], start=2):
        if all(is_blank(c) for c in row):
            continue  # spare rows at the bottom of a generous selection
        for key, cell in zip(keys, row):
            where = f"{key if key in vals else key.replace('_', ' ')} row {i}"
            if key in vals:
                vals[key].append(to_number(cell, where))
            elif key in ("in_deficit", "in_rsp"):
                orgs[key].append(to_flag(cell, where))
            else:
                orgs[key].append(to_text(cell, where))
    if not orgs["code"]:
        raise InputError("inputs: no organisation rows below the header")
    organisations = pd.DataFrame(orgs)
    if "type" not in organisations.columns:
        organisations["type"] = org_type
    values = pd.DataFrame(vals, dtype=float)
    values = values.loc[:, values.notna().any()]  # an empty column: no values, as the reader
    values = values.assign(code=organisations["code"])
    return organisations, values


@workbook_function
def league_table(inputs: Any, cut_points: Any = None, replicates: Any = None,
                 org_type: Any = None) -> list[list[Any]]:
    """The league table (a header row, then one row per organisation) from an input range.

    ``inputs``: a header row — Code, Name, Type, In deficit, In RSP, then metric IDs (raw
    values OF0023 and/or scores OF1023) — and one row per organisation. ``cut_points``:
    optional fixed c1, c2, c3 (else national quartiles). ``replicates``: bootstrap replicates
    for the likely ranges (default the methodology's; 0 = off, faster). ``org_type``: one
    type's table only (acute, non-acute, ambulance, icb). Columns are those of
    ``xl-league table --format csv``. Without a Type column (a template input sheet, one
    type), ``org_type`` is every row's type — give the national ``cut_points`` then, or the
    quartiles are those of these rows only.
    """
    meth = _methodology()
    if not is_blank_range(cut_points):
        meth = meth.with_settings(cut_points=_given_cut_points(cut_points))
    if not is_blank_range(replicates):
        n = to_number(as_vector(replicates, "replicates").cells[0], "replicates")
        if n is None or n < 0 or not float(n).is_integer():
            raise InputError(f"replicates: {n} must be a whole number, 0 or more")
        meth = meth.with_settings(bootstrap_replicates=int(n))
    only = None if is_blank_range(org_type) else to_text(as_vector(org_type, "org_type").cells[0],
                                                          "org_type")
    organisations, values = inputs_frames(inputs, only)
    result = compute_league_tables(organisations, values, meth, _catalogue())
    table = result.league if only is None else result.table(only)
    rows = table[LEAGUE_CSV_COLUMNS].astype(object).to_numpy().tolist()
    return [list(LEAGUE_CSV_COLUMNS)] + [[excel_value(v) for v in row] for row in rows]
