"""Recalculate a workbook: read its inputs, run the engine, rewrite its output sheets.

:func:`recalc_workbook` reads the inputs straight from the file's XML (:mod:`.sheet_xml`),
refuses (before writing anything) when an input is wrong, when the engine objects, or when
saving in place would lose parts openpyxl cannot keep; otherwise :func:`write_outputs`
rewrites only the output sheets at the level of the zip package (:mod:`.package`: every other
part copied byte for byte) and saves atomically. Input sheets, the user's own sheets, defined
names, formatting, charts and images come through unchanged, and formulas in the sheets read
keep their cached values. A package that cannot be edited that way is written with openpyxl
(see :mod:`.cached_values` for how cached values are kept there).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from .. import __version__
from ..engine.methodology import Methodology
from ..engine.pipeline import LeagueTables, compute_league_tables
from ..errors import InputError, WorkbookError, XlLeagueError
from .cached_values import SHEETS_READ, read_cached_values
from .cells import load
from .layout import (ABOUT_SETTINGS_ROW, ABOUT_SHEET, CUT_POINTS_SHEET, LEAGUE_SHEETS,
                     LEAGUE_TABLE_COLUMNS, METRIC_SCORES_SHEET)
from .package import PackageUnsupported, write_outputs_to_package
from .reader import BookInputs, read_inputs_from_path
from .safety import WORKBOOK_SUFFIXES, check_file, unsupported_parts
from .skip_outputs import without_output_cells
from .writer import save_atomic, write_results

__all__ = ["recalc_workbook", "write_outputs", "RecalcResult", "WorkbookProblems", "run_engine",
           "engine_error_line", "settings_used", "read_results", "recorded_overrides",
           "parse_overrides", "with_recorded_overrides",
           "OVERRIDES_KEY"]

#: The About sheet's row recording a recalculation's command-line overrides, so that later
#: reads of the workbook (``xl-league table``, ``packs``) give the results it wrote.
OVERRIDES_KEY = "Command-line overrides"

#: progress(step description, steps done, total steps)
Progress = Callable[[str, int, int], None]
_MACRO_SUFFIXES = (".xlsm", ".xltm")


class WorkbookProblems(WorkbookError):
    """The inputs have problems; ``problems`` holds them, ``str()`` lists one per line."""

    def __init__(self, path: Path, problems: Sequence[WorkbookError]):
        self.path = path
        self.problems = tuple(problems)
        n = len(self.problems)
        lines = [str(p) for p in self.problems]
        lines.append(f"{path} was not recalculated and is unchanged: {n} problem"
                     f"{'s' if n != 1 else ''} to correct first")
        super().__init__("\n".join(lines))


@dataclass(frozen=True, eq=False)
class RecalcResult:
    """What a recalculation computed, where it wrote, and what the user should know."""

    results: LeagueTables
    written_to: Path
    warnings: tuple[str, ...]
    inputs: BookInputs


def run_engine(inputs: BookInputs, *, cut_points: Sequence[float] | None = None,
               replicates: int | None = None, seed: int | None = None) -> LeagueTables:
    """:func:`compute_league_tables` on a workbook's inputs, with command-line overrides."""
    meth: Methodology = inputs.methodology
    if cut_points:
        meth = meth.with_settings(cut_points=tuple(float(c) for c in cut_points))
    changes = {}
    if replicates is not None:
        changes["bootstrap_replicates"] = int(replicates)
    if seed is not None:
        changes["bootstrap_seed"] = int(seed)
    if changes:
        meth = dataclasses.replace(meth, **changes)
    return compute_league_tables(inputs.organisations, inputs.values, meth, inputs.catalogue)


def engine_error_line(exc: BaseException, inputs: BookInputs) -> str | None:
    """An engine error as one line naming the cell where possible; None if not a user error."""
    if isinstance(exc, InputError):
        ref = None
        if exc.organisation and exc.metric:
            ref = inputs.cell_of.get((exc.organisation, exc.metric))
        if ref is None and exc.organisation:
            ref = inputs.cell_of.get((exc.organisation, "code"))
        return f"{ref}: {exc}" if ref else str(exc)
    if isinstance(exc, XlLeagueError):
        return str(exc)
    return None


def _fmt(value: float) -> str:
    return f"{round(float(value), 4):g}"


def _overrides_text(cut_points, replicates, seed) -> str:
    parts = []
    if cut_points:
        parts.append("cutoffs=" + ",".join(_fmt(c) for c in cut_points))
    if replicates is not None:
        parts.append(f"replicates={int(replicates)}")
    if seed is not None:
        parts.append(f"seed={int(seed)}")
    return "; ".join(parts) or "none"


def settings_used(results: LeagueTables, quarter: str | None, *,
                  cut_points: Sequence[float] | None = None, replicates: int | None = None,
                  seed: int | None = None) -> dict[str, object]:
    """The settings a run used, as shown on the About sheet (with any command-line overrides)."""
    meth = results.methodology
    counts = results.league["type"].value_counts()
    cuts = "; ".join(f"{row['pool']}: {_fmt(row['c1'])}, {_fmt(row['c2'])}, {_fmt(row['c3'])}"
                     for _, row in results.cut_points.iterrows())
    return {
        "Year": meth.year,
        "Quarter": quarter or "",
        "Organisations": ", ".join(f"{counts[t]} {t}" for t in results.types_present),
        "Cut-point rule": meth.cut_point_rule,
        "Cut-points": cuts,
        "Financial override": f"in deficit: no better than segment {meth.override_cap_segment}",
        "Deficit fallback": "Yes" if meth.deficit_fallback else "No",
        "Minimum metrics": meth.minimum_metrics,
        "Likely ranges": (f"{meth.bootstrap_replicates} resamples, seed {meth.bootstrap_seed}, "
                          f"{meth.bootstrap_confidence:.0%}" if meth.bootstrap_replicates
                          else "off (0 resamples)"),
        OVERRIDES_KEY: _overrides_text(cut_points, replicates, seed),
        "xl-league version": __version__,
    }


def parse_overrides(text: str) -> dict[str, object]:
    """``"cutoffs=2.05,2.33,2.62; replicates=500; seed=7"`` → :func:`run_engine` keywords."""
    out: dict[str, object] = {}
    for part in str(text or "").split(";"):
        key, _, value = part.strip().partition("=")
        try:
            if key == "cutoffs":
                out["cut_points"] = tuple(float(v) for v in value.split(","))
            elif key in ("replicates", "seed"):
                out[key] = int(value)
        except ValueError:
            continue  # an edited or damaged record is ignored; the Settings sheet applies
    return out


def recorded_overrides(source: Workbook | str | Path) -> dict[str, object]:
    """The command-line overrides of the workbook's last recalculation, from its About sheet.

    ``source``: an open workbook or a path. Returns keyword arguments for :func:`run_engine`
    (``cut_points``, ``replicates``, ``seed``); empty when there were none, or the workbook
    was never recalculated.
    """
    if isinstance(source, Workbook):
        return _overrides_in(source)
    with load(check_file(source), read_only=True, data_only=True) as wb:
        return _overrides_in(wb)


def _overrides_in(wb: Workbook) -> dict[str, object]:
    if ABOUT_SHEET not in wb.sheetnames:
        return {}
    for row in wb[ABOUT_SHEET].iter_rows(min_row=ABOUT_SETTINGS_ROW, max_col=2,
                                         values_only=True):
        if row and row[0] == OVERRIDES_KEY:
            return parse_overrides(str(row[1] or ""))
    return {}


def with_recorded_overrides(recorded: dict[str, object], *,
                            cut_points: Sequence[float] | None = None,
                            replicates: int | None = None, seed: int | None = None
                            ) -> dict[str, object]:
    """:func:`run_engine` keywords: those given win, the rest come from ``recorded``."""
    return {"cut_points": cut_points or recorded.get("cut_points"),
            "replicates": replicates if replicates is not None else recorded.get("replicates"),
            "seed": seed if seed is not None else recorded.get("seed")}


def _destination(src: Path, out: str | Path | None) -> Path:
    dest = Path(out) if out is not None else src
    suffix, src_suffix = dest.suffix.lower(), src.suffix.lower()
    if suffix not in WORKBOOK_SUFFIXES:
        raise WorkbookError(f"{dest}: the output must be an .xlsx workbook (or .xlsm for a "
                            "macro workbook)")
    if (suffix in _MACRO_SUFFIXES) != (src_suffix in _MACRO_SUFFIXES):
        raise WorkbookError(f"{dest}: a {src_suffix} workbook must be written as "
                            f"{src_suffix} too (Excel refuses a file whose name does not match "
                            "whether it holds macros)")
    return dest


def recalc_workbook(path: str | Path, out: str | Path | None = None, *,
                    cut_points: Sequence[float] | None = None, replicates: int | None = None,
                    seed: int | None = None, progress: Progress | None = None) -> RecalcResult:
    """Recompute every output sheet of the workbook at ``path``; save to ``out`` or in place.

    Raises :class:`WorkbookProblems` (one line per problem) when inputs are wrong, and
    :class:`WorkbookError` when the engine objects (naming the cell where it can) or when
    saving in place would drop parts openpyxl cannot keep (suggesting ``-o``); in every such
    case nothing is written. ``cut_points``, ``replicates`` and ``seed`` override the
    workbook's Settings for this run (they are shown on the About sheet, not saved in Settings).
    """
    steps = ("reading the inputs", "calculating", "writing the results", "saving")

    def step(i: int) -> None:
        if progress is not None:
            progress(steps[i], i, len(steps))

    src = check_file(path)
    dest = _destination(src, out)
    in_place = dest.resolve() == src.resolve()
    lost = unsupported_parts(src)
    warnings: list[str] = []
    if lost and in_place:
        raise WorkbookError(
            f"{src} holds parts that openpyxl would drop on saving: {'; '.join(lost)}. "
            f"Nothing was written: write the results to another file instead "
            f"(xl-league recalc {src.name} -o OTHER{src.suffix})")
    if lost:
        warnings.append(f"{dest} does not keep these parts of {src.name}: {'; '.join(lost)}")
    step(0)
    inputs = read_inputs_from_path(src)
    if inputs.problems:
        raise WorkbookProblems(src, inputs.problems)
    step(1)
    try:
        results = run_engine(inputs, cut_points=cut_points, replicates=replicates, seed=seed)
    except XlLeagueError as exc:
        raise WorkbookError(engine_error_line(exc, inputs)) from None
    step(2)
    shown = settings_used(results, inputs.quarter, cut_points=cut_points,
                          replicates=replicates, seed=seed)
    write_outputs(src, dest, results, shown, saving=lambda: step(3))
    warnings.extend(inputs.warnings)
    step_done = len(steps)
    if progress is not None:
        progress("done", step_done, step_done)
    return RecalcResult(results=results, written_to=dest, warnings=tuple(warnings),
                        inputs=inputs)


def write_outputs(src: Path, dest: Path, results: LeagueTables,
                  shown: dict[str, object], *, saving: Callable[[], None] | None = None) -> None:
    """Write the output sheets of ``src`` to ``dest``: at the level of the zip package (every
    part xl-league does not own copied unchanged), or with openpyxl for a package that cannot
    be edited safely that way (:class:`~.package.PackageUnsupported`)."""
    try:
        write_outputs_to_package(src, dest, results, shown, saving=saving)
    except PackageUnsupported:
        _write_with_openpyxl(src, dest, results, shown)


def _write_with_openpyxl(src: Path, dest: Path, results: LeagueTables,
                         shown: dict[str, object]) -> None:
    """Load the workbook (without its old output cells), rewrite, save keeping the cached
    values of the sheets read."""
    with load(src, source=without_output_cells(src),
              keep_vba=src.suffix.lower() in _MACRO_SUFFIXES, rich_text=True) as wb:
        kept_values = read_cached_values(src, SHEETS_READ)
        write_results(wb, results, shown)
        save_atomic(wb, dest, cached_values=kept_values)


def read_results(path: str | Path) -> dict[str, pd.DataFrame]:
    """The output sheets of an already recalculated workbook, as DataFrames.

    Keys: the organisation types present (league tables, columns named like
    :attr:`LeagueTables.league` plus domain names), ``"metric scores"`` and ``"cut-points"``.
    """
    src = check_file(path)
    by_heading = {c.heading: c.key.split(":", 1)[-1] for c in LEAGUE_TABLE_COLUMNS}
    out: dict[str, pd.DataFrame] = {}
    with load(src, read_only=True, data_only=True) as wb:
        for org_type, name in LEAGUE_SHEETS.items():
            if name not in wb.sheetnames:
                continue
            frame = _sheet_frame(wb[name])
            if len(frame):
                out[org_type] = frame.rename(columns=by_heading)
        for key, name in (("metric scores", METRIC_SCORES_SHEET), ("cut-points",
                                                                   CUT_POINTS_SHEET)):
            if name in wb.sheetnames:
                out[key] = _sheet_frame(wb[name])
    return out


def _sheet_frame(ws) -> pd.DataFrame:
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return pd.DataFrame()
    heads = [h for h in rows[0] if h is not None]
    body = []
    for row in rows[1:]:
        if not row or all(v is None for v in row):
            break  # the first table ends at its first wholly blank row (unranked rows stay)
        body.append(list(row[:len(heads)]))
    return pd.DataFrame(body, columns=heads)
