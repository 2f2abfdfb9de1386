"""The workbook macros, each a function of a ``book`` (desktop xlwings, xlwings Lite, or the
openpyxl stand-in), so the same code serves every host and is tested without Excel.

:func:`recalculate`   the same result as ``xl-league recalc``: read the Settings, Metrics and
                      input sheets through the book, validate them with the workbook I/O
                      reader, run the engine, and write the output sheets (plus About's
                      "last recalculated"/"settings used" and Settings' last_recalculated,
                      as the command does) — input sheets are never written.
:func:`build_packs`   one plain .xlsx per organisation, into a folder beside the workbook.
:func:`what_if_setup`, :func:`what_if`   see :mod:`xl_league.excel.whatif`.

Problems (bad cells, the engine's objections, an unexpected failure) never raise: they are
written to the **Problems** sheet (created when needed, and told "no problems" after a clean
run) and returned in a :class:`MacroReport`, because xlwings Lite has no message boxes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine.pipeline import LeagueTables
from ..errors import XlLeagueError
from ..workbook_io.dashboard import looks_like_our_dashboard, not_our_dashboard
from ..workbook_io.layout import (ABOUT_SHEET, DASHBOARD_SHEET, INPUT_SHEETS, METRICS_SHEET,
                                  OUTPUT_SHEETS, SETTINGS_SHEET)
from ..run import Run, RunSettings, WorkbookProblems, open_run
from ..workbook_io.reader import BookInputs, read_inputs
from ..workbook_io.writer import write_results
from .book_adapter import (copy_changes, copy_sheet, has_sheet, quiet_app, sheet_names,
                           sheet_values, to_openpyxl, write_rows)
from .log import log_exception

__all__ = ["MacroReport", "recalculate", "build_packs", "read_book_inputs", "compute",
           "show_problems", "PROBLEMS_SHEET", "guarded", "run_macro"]

#: Where problems are shown: a sheet of its own, created when there is something to show.
PROBLEMS_SHEET = "Problems"
_READ_SHEETS = (SETTINGS_SHEET, METRICS_SHEET, *INPUT_SHEETS.values())


@dataclass(frozen=True)
class MacroReport:
    """What a macro did: ``ok``, a one-line ``summary``, ``problems`` (shown on the Problems
    sheet), ``warnings``, the sheets written, the engine's results and any files written."""

    ok: bool
    summary: str
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    sheets_written: tuple[str, ...] = ()
    results: LeagueTables | None = None
    files: tuple[Path, ...] = field(default=())


class _Refused(Exception):
    """Problems that stop a macro before it writes any result."""

    def __init__(self, problems: Sequence[str]):
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def show_problems(book: Any, problems: Sequence[str], what: str,
                  when: dt.datetime | None = None) -> None:
    """Write ``problems`` to the Problems sheet (one per row); no problems: say so, but only
    on a Problems sheet that already exists."""
    when = when or _now()
    if not problems:
        if has_sheet(book, PROBLEMS_SHEET):
            write_rows(book, PROBLEMS_SHEET, [[f"No problems: {what} finished at "
                                               f"{when:%Y-%m-%d %H:%M}."]])
        return
    n = len(problems)
    rows = [[f"{n} problem{'s' if n != 1 else ''} stopped {what} at {when:%Y-%m-%d %H:%M}; "
             "nothing was written. Correct them and run it again."], [None]]
    rows += [[p] for p in problems]
    write_rows(book, PROBLEMS_SHEET, rows)


def read_book_inputs(book: Any) -> BookInputs:
    """The book's inputs, read and checked by the workbook I/O reader (values and number
    formats of the input sheets, as Excel shows them)."""
    wb = to_openpyxl(book, _READ_SHEETS, with_formats=INPUT_SHEETS.values())
    return read_inputs(wb)


def compute(book: Any, settings: RunSettings | None = None, *, recorded: bool = False) -> Run:
    """Read the book and run it through the run layer; raises :class:`_Refused` with the
    problems.

    ``recorded``: settings not given take those the last recalculation recorded on the About
    sheet, as ``xl-league table`` and ``xl-league packs`` do, so results match what it wrote.
    """
    sheets = [*_READ_SHEETS, *([ABOUT_SHEET] if recorded and has_sheet(book, ABOUT_SHEET)
                               else [])]
    wb = to_openpyxl(book, sheets, with_formats=INPUT_SHEETS.values())
    try:
        return open_run(wb, settings, recorded=recorded)
    except WorkbookProblems as exc:
        raise _Refused([str(p) for p in exc.problems]) from None
    except XlLeagueError as exc:
        raise _Refused([str(exc)]) from None


def guarded(what: str) -> Callable[[Callable[..., MacroReport]], Callable[..., MacroReport]]:
    """Turn refusals and unexpected failures of a macro into a report and the Problems sheet."""

    def decorate(func: Callable[..., MacroReport]) -> Callable[..., MacroReport]:
        def wrapper(book: Any, *args: Any, **kwargs: Any) -> MacroReport:
            try:
                return func(book, *args, **kwargs)
            except _Refused as refused:
                problems = refused.problems
            except XlLeagueError as exc:
                problems = (str(exc),)
            except Exception as exc:  # noqa: BLE001 — a macro reports, it does not crash
                path = log_exception(func.__name__)
                problems = (f"unexpected {type(exc).__name__}: {exc} (details in {path})",)
            with quiet_app(book):
                show_problems(book, problems, what)
            n = len(problems)
            return MacroReport(False, f"{what}: {n} problem{'s' if n != 1 else ''}, see the "
                                      f"{PROBLEMS_SHEET} sheet", problems=problems)

        wrapper.__name__ = func.__name__
        wrapper.__doc__ = func.__doc__
        wrapper.__wrapped__ = func  # type: ignore[attr-defined]
        return wrapper

    return decorate


@guarded("the recalculation")
def recalculate(book: Any, *, cut_points: Sequence[float] | None = None,
                replicates: int | None = None, seed: int | None = None,
                recalculated_at: dt.datetime | None = None) -> MacroReport:
    """Recompute every output sheet of ``book`` — the same result as ``xl-league recalc``.

    ``cut_points``, ``replicates``, ``seed`` override the Settings sheet for this run.
    """
    run = compute(book, RunSettings(cut_points, replicates, seed))  # type: ignore[arg-type]
    inputs, results = run.inputs, run.results
    _check_dashboard(book)
    when = recalculated_at or _now()
    kept = [n for n in (ABOUT_SHEET, SETTINGS_SHEET) if has_sheet(book, n)]
    before = {n: sheet_values(book, n) for n in kept}
    out = to_openpyxl(book, kept, read=before)
    write_results(out, results, run.about_rows(), recalculated_at=when)
    written = []
    with quiet_app(book):
        for name in OUTPUT_SHEETS:
            copy_sheet(out, book, name)
            written.append(name)
        for name in kept:
            if copy_changes(out, book, name, before[name]):
                written.append(name)
        show_problems(book, (), "the recalculation", when)
    warnings = list(inputs.warnings) + list(results.notes)
    counts = results.league["type"].value_counts()
    summary = ("Recalculated " + ", ".join(f"{counts[t]} {t}" for t in results.types_present)
               + f" at {when:%H:%M}")
    return MacroReport(True, summary, warnings=tuple(warnings), sheets_written=tuple(written),
                       results=results)


def _check_dashboard(book: Any) -> None:
    """A sheet called Dashboard that xl-league did not write is the user's: the recalculation
    is refused before anything is written, as ``xl-league recalc`` refuses it."""
    name = next((n for n in sheet_names(book) if n.lower() == DASHBOARD_SHEET.lower()), None)
    if name is not None and not looks_like_our_dashboard(book.sheets[name].range("A1").value):
        raise XlLeagueError(not_our_dashboard(name))


def packs_folder(book: Any) -> Path:
    """``<workbook folder>/<workbook name> packs``."""
    full = Path(getattr(book, "fullname", "") or "")
    if not full.name or not full.parent.is_dir():
        raise XlLeagueError("the workbook has not been saved to a folder yet: save it first, "
                            "so the packs can be written beside it")
    return full.parent / f"{full.stem} packs"


@guarded("building the packs")
def build_packs(book: Any, out_dir: str | Path | None = None, *,
                codes: Sequence[str] | None = None) -> MacroReport:
    """One pack (plain .xlsx) per organisation — or per ``codes`` — in ``out_dir`` (default:
    a "<workbook> packs" folder beside the workbook). The workbook itself is not changed.
    Like ``xl-league packs``, it uses the overrides of the last recalculation (About sheet)."""
    from ..packs import write_packs

    folder = Path(out_dir) if out_dir is not None else packs_folder(book)
    run = compute(book, recorded=True)
    inputs, results = run.inputs, run.results
    paths = write_packs(results, folder, codes=list(codes) if codes else None,
                        quarter=inputs.quarter)
    with quiet_app(book):
        show_problems(book, (), "building the packs")
    return MacroReport(True, f"{len(paths)} packs written to {folder}",
                       warnings=tuple(inputs.warnings), results=results, files=tuple(paths))


def run_macro(book: Any, macro: Callable[..., MacroReport], *args: Any) -> MacroReport:
    """Run ``macro`` on ``book`` with "xl-league: working…" on the status bar, and clear the
    status bar afterwards (``False`` hands it back to Excel) whatever happens. Where the host
    has no status bar (xlwings Lite) the macro just runs."""
    app = getattr(book, "app", None)

    def status(value: str | bool) -> None:
        try:
            app.status_bar = value  # type: ignore[union-attr]
        except Exception:  # noqa: BLE001 — a status bar is a nicety, not part of the result
            pass

    status(f"xl-league: {macro.__name__.replace('_', ' ')}…")
    try:
        return macro(book, *args)
    finally:
        status(False)
