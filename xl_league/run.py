"""The run layer: the one path from a workbook to results.

open safely → read the inputs → problems and warnings → this run's settings (the workbook's
Settings sheet, the settings its last recalculation recorded on About, and any overrides given
now) → the engine → results. Every command, macro, worksheet function and analysis goes
through :func:`open_run` (or :func:`run_inputs` when it already holds the inputs), so they all
agree with each other and with what ``xl-league recalc`` wrote::

    >>> from xl_league.run import RunSettings, open_run
    >>> run = open_run("q2.xlsx", RunSettings.parse(cut_points="2.065,2.345,2.665"))  # doctest: +SKIP
    >>> run.results.table("non-acute")                                                 # doctest: +SKIP

Errors: :class:`WorkbookProblems` (every input problem, one per line) and
:class:`~xl_league.errors.WorkbookError` (an engine objection, naming the cell where it can).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl.workbook import Workbook

from . import __version__
from .engine.pipeline import LeagueTables, compute_league_tables
from .errors import InputError, MethodologyError, WorkbookError, XlLeagueError
from .run_settings import RunSettings
from .workbook_io.cells import load
from .workbook_io.layout import ABOUT_SETTINGS_ROW, ABOUT_SHEET, SETTINGS_SHEET
from .workbook_io.reader import BookInputs, read_inputs
from .workbook_io.safety import check_file

__all__ = ["Run", "RunSettings", "WorkbookProblems", "open_run", "run_inputs",
           "recorded_settings", "check_book", "Check", "engine_error_line", "about_rows"]


class WorkbookProblems(WorkbookError):
    """The inputs have problems; ``problems`` holds them, ``str()`` lists one per line."""

    def __init__(self, where: str | Path, problems: Sequence[WorkbookError | str], *,
                 last_line: str | None = None):
        self.path = where
        self.problems = tuple(problems)
        n = len(self.problems)
        lines = [str(p) for p in self.problems]
        lines.append(last_line or f"{where}: {n} problem(s) to correct first (xl-league check "
                                  "lists them)")
        super().__init__("\n".join(lines))


@dataclass(frozen=True, eq=False)
class Run:
    """One run over a workbook: its inputs, the settings used, the engine's results."""

    inputs: BookInputs
    settings: RunSettings
    results: LeagueTables

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.inputs.warnings

    @property
    def methodology(self):
        """The methodology this run used: the workbook's Settings with the run's on top."""
        return self.results.methodology

    def about_rows(self) -> dict[str, object]:
        """The settings used, as the About sheet records them (see :func:`about_rows`)."""
        return about_rows(self.results, self.inputs.quarter, self.settings)


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


def run_inputs(inputs: BookInputs, settings: RunSettings | None = None) -> LeagueTables:
    """The engine on a workbook's inputs with this run's settings; an engine objection is a
    :class:`WorkbookError` naming the cell where it can."""
    meth = (settings or RunSettings()).apply(inputs.methodology)
    try:
        return compute_league_tables(inputs.organisations, inputs.values, meth,
                                     inputs.catalogue)
    except MethodologyError as exc:  # a setting the data cannot satisfy: say where it is
        raise WorkbookError(f"'{SETTINGS_SHEET}' sheet: {exc}") from None
    except XlLeagueError as exc:
        raise WorkbookError(engine_error_line(exc, inputs) or str(exc)) from None


def recorded_settings(source: Workbook | str | Path) -> RunSettings:
    """The settings the workbook's last recalculation recorded on its About sheet (none when
    it was never recalculated, or the rows were removed)."""
    if isinstance(source, Workbook):
        return _recorded_in(source)
    with load(check_file(source), read_only=True, data_only=True) as wb:
        return _recorded_in(wb)


def _recorded_in(wb: Workbook) -> RunSettings:
    if ABOUT_SHEET not in wb.sheetnames:
        return RunSettings()
    rows = wb[ABOUT_SHEET].iter_rows(min_row=ABOUT_SETTINGS_ROW, max_col=2, values_only=True)
    return RunSettings.from_about_rows((r[0], r[1]) for r in rows if r and len(r) >= 2)


def open_run(source: Workbook | str | Path, settings: RunSettings | None = None, *,
             recorded: bool = True, path: str | Path | None = None) -> Run:
    """Read a workbook (a path, or an open openpyxl workbook loaded from ``path``) and run it.

    ``settings`` given now win; with ``recorded`` the rest come from the settings the last
    recalculation recorded on the About sheet (what ``table``, ``packs`` and the analyses
    want: they show what the recalculation wrote); a recalculation itself passes
    ``recorded=False`` (the Settings sheet and this run's overrides only).
    Raises :class:`WorkbookProblems` when inputs are wrong.
    """
    given = settings or RunSettings()
    if isinstance(source, Workbook):
        inputs = read_inputs(source, path=path)
        where: str | Path = Path(path) if path is not None else "the workbook"
    else:
        where = check_file(source)
        inputs = read_inputs(where)
    if inputs.problems:
        raise WorkbookProblems(where, inputs.problems)
    effective = given.over(recorded_settings(source)) if recorded else given
    return Run(inputs, effective, run_inputs(inputs, effective))


@dataclass(frozen=True)
class Check:
    """What :func:`check_book` found: problems (a recalculation would refuse) and warnings
    (it would go ahead and say these), one line each."""

    problems: tuple[str, ...]
    warnings: tuple[str, ...]

    def lines(self) -> list[str]:
        return [*self.problems, *(f"warning: {w}" for w in self.warnings)]


def check_book(source: str | Path) -> Check:
    """Every problem in the workbook, one line each, and everything a recalculation would warn
    about.

    A workbook whose cells are clean is run through the engine (without likely ranges, so it
    is quick) to catch what only the calculation sees, named by cell.
    """
    try:
        inputs = read_inputs(source)
    except WorkbookError as exc:
        return Check((str(exc),), ())
    if not inputs.problems:
        try:
            run_inputs(inputs, RunSettings(replicates=0))
        except WorkbookError as exc:
            return Check((str(exc),), inputs.warnings)
    return Check(tuple(inputs.problem_lines()), inputs.warnings)


def _fmt(value: float) -> str:
    return f"{round(float(value), 4):g}"


def about_rows(results: LeagueTables, quarter: str | None,
               settings: RunSettings | None = None) -> dict[str, object]:
    """The settings a run used, as the About sheet records them: what was used (for people)
    and this run's own settings as key/value rows (read back by :func:`recorded_settings`)."""
    meth = results.methodology
    counts = results.league["type"].value_counts()
    cuts = "; ".join(f"{row['pool']}: {_fmt(row['c1'])}, {_fmt(row['c2'])}, {_fmt(row['c3'])}"
                     for _, row in results.cut_points.iterrows())
    rows: dict[str, object] = {
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
    }
    rows.update((settings or RunSettings()).about_rows())
    rows["xl-league version"] = __version__
    return rows
