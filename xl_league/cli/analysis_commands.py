"""The analysis commands: whatif, what-it-takes, compare, explain, history.

Each reads its workbook(s) through the run layer (:func:`xl_league.run.open_run`: the
workbook's Settings, the settings its last recalculation recorded, and any ``--cutoffs`` given
now), so their "before" agrees with ``xl-league table`` and with what ``recalc`` wrote; makes
one library call (:mod:`xl_league.analysis`, pure) and prints rich text, CSV or JSON.
``-o OUT.xlsx`` writes the result as a sheet into OUT (an existing workbook gets the sheet added
or replaced; a new OUT is a copy of the input workbook with the sheet), saved atomically; input
sheets are never modified.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._shared import (book_argument, cutoffs_option, emit, format_option, org_option,
                      run_settings, warn)

if TYPE_CHECKING:  # pragma: no cover
    from ..run import Run

__all__ = ["COMMANDS", "write_sheet"]

_MACRO_SUFFIXES = (".xlsm", ".xltm")
_BOOK_SUFFIXES = (".xlsx", ".xlsm")


def _parse_sets(_ctx, _param, values: tuple[str, ...]) -> dict[str, float | None]:
    """METRIC=VALUE → {METRIC: value}; an empty value or a missing marker (n/a, -, *, ...)
    clears the metric (None: no value and no score)."""
    from ..vocabulary import is_missing_text

    out: dict[str, float | None] = {}
    for item in values:
        metric, sep, number = item.partition("=")
        if not sep or not metric.strip():
            raise click.BadParameter(f"{item!r}: write METRIC=VALUE, e.g. OF0013=78.5 (or "
                                     "METRIC= to clear it)")
        if is_missing_text(number):
            out[metric.strip().upper()] = None
            continue
        try:
            out[metric.strip().upper()] = float(number)
        except ValueError:
            raise click.BadParameter(f"{item!r}: {number.strip()!r} is not a number, e.g. "
                                     "OF0013=78.5 (or OF0013= to clear it)") from None
    return out


_out_option = click.option("-o", "--output", "out", type=click.Path(dir_okay=False,
                                                                     path_type=Path),
                           metavar="OUT.xlsx",
                           help="Also write the result as a sheet into OUT.xlsx.")


def _run(path: Path, cutoffs: Any = None) -> "Run":
    """The workbook as ``xl-league table`` sees it, with ``--cutoffs`` on top."""
    from ..run import open_run

    return open_run(path, run_settings(cutoffs))


def _named(run: "Run", call: Callable[[], Any]) -> Any:
    """Run an analysis, naming the workbook cell in an engine error where it can."""
    from ..errors import WorkbookError, XlLeagueError
    from ..run import engine_error_line

    try:
        return call()
    except XlLeagueError as exc:
        raise WorkbookError(engine_error_line(exc, run.inputs) or str(exc)) from None


def write_sheet(out: Path, base: Path, write: Callable[[Any], object]) -> Path:
    """Write a sheet into ``out`` (existing) or into a copy of ``base`` saved as ``out``.

    Loads with openpyxl (VBA kept for .xlsm), calls ``write(wb)``, saves atomically. Refuses
    to overwrite a workbook holding parts openpyxl would drop; names lost parts when copying.
    """
    from ..errors import WorkbookError
    from ..workbook_io.cached_values import SHEETS_READ, read_cached_values
    from ..workbook_io.cells import load
    from ..workbook_io.files import save_atomic
    from ..workbook_io.safety import unsupported_parts

    out = Path(out)
    if out.suffix.lower() not in _BOOK_SUFFIXES:
        raise WorkbookError(f"{out}: the output must be an .xlsx workbook (or .xlsm)")
    source = out if out.exists() else Path(base)
    macro = source.suffix.lower() in _MACRO_SUFFIXES
    if macro != (out.suffix.lower() in _MACRO_SUFFIXES):
        raise WorkbookError(f"{out}: a {source.suffix} workbook must be written as "
                            f"{source.suffix} too (Excel refuses a file whose name does not "
                            "match whether it holds macros)")
    lost = unsupported_parts(source)
    if lost and source == out:
        raise WorkbookError(f"{out} holds parts that openpyxl would drop on saving: "
                            f"{'; '.join(lost)}. Nothing was written: write to a new file "
                            "with -o NEW.xlsx instead")
    if lost:
        warn(f"{out} does not keep these parts of {source.name}: {'; '.join(lost)}")
    kept = read_cached_values(source, SHEETS_READ)  # input formulas keep their values
    with load(source, keep_vba=macro, rich_text=True) as wb:
        sheet = write(wb)
        save_atomic(wb, out, cached_values=kept)
    click.echo(f"Wrote sheet '{getattr(sheet, 'title', '')}' to {out}", err=True)
    return out


@click.command("whatif")
@book_argument()
@org_option
@click.option("--set", "sets", multiple=True, callback=_parse_sets, metavar="METRIC=VALUE",
              help="A new value for the organisation: a raw value (OF0013=78.5) or a supplied "
                   "score (OF1067=2); empty or n/a (OF0082=) clears the metric: no value, no "
                   "score. Repeat for several.")
@click.option("--deficit", type=click.Choice(["yes", "no"], case_sensitive=False),
              help="Set the organisation's in-deficit flag.")
@click.option("--rsp", type=click.Choice(["yes", "no"], case_sensitive=False),
              help="Set the organisation's Recovery Support Programme flag.")
@click.option("--recompute-cut-points", is_flag=True,
              help="Re-derive the cut-points after the change (default: keep them fixed).")
@cutoffs_option()
@format_option(help="text: tables; csv: the re-ranked table; json: all.")
@_out_option
def whatif_command(book: Path, org: str, sets: dict[str, float | None], deficit: str | None,
                   rsp: str | None, recompute_cut_points: bool, cutoffs, fmt: str,
                   out: Path | None) -> None:
    """What if ORG's values were different? Before/after and the whole table re-ranked.

    Example: xl-league whatif BOOK.xlsx --org RXG --set OF0082=4.5 --deficit no
    """
    from ..analysis import render
    from ..analysis.sheets import write_whatif_sheet
    from ..analysis.whatif import whatif

    run = _run(book, cutoffs)
    flag = {None: None, "yes": True, "no": False}
    result = _named(run, lambda: whatif(
        run.inputs.organisations, run.inputs.values, org=org, set_values=sets,
        deficit=flag[deficit and deficit.lower()], rsp=flag[rsp and rsp.lower()],
        methodology=run.methodology, catalogue=run.inputs.catalogue,
        recompute_cut_points=recompute_cut_points))
    emit(fmt, result, render.whatif_csv, render.whatif_json, render.whatif_renderables)
    if out is not None:
        write_sheet(out, book, lambda wb: write_whatif_sheet(wb, result))


@click.command("what-it-takes")
@book_argument()
@org_option
@click.option("--target", type=click.Choice(["segment", "position"]), default="segment",
              show_default=True, help="The next better (unadjusted) segment, or position.")
@cutoffs_option()
@format_option()
@_out_option
def what_it_takes_command(book: Path, org: str, target: str, cutoffs, fmt: str,
                          out: Path | None) -> None:
    """The smallest improvement in each metric that moves ORG up, everyone else fixed.

    Example: xl-league what-it-takes BOOK.xlsx --org RXG --target position
    """
    from ..analysis import render
    from ..analysis.sheets import write_what_it_takes_sheet
    from ..analysis.what_it_takes import what_it_takes

    run = _run(book, cutoffs)
    frame = _named(run, lambda: what_it_takes(
        run.inputs.organisations, run.inputs.values, org=org, target=target,  # type: ignore[arg-type]
        methodology=run.methodology, catalogue=run.inputs.catalogue))
    emit(fmt, frame, render.what_it_takes_csv, render.what_it_takes_json,
          render.what_it_takes_renderables)
    if out is not None:
        write_sheet(out, book, lambda wb: write_what_it_takes_sheet(wb, frame))


@click.command("compare")
@book_argument("old")
@book_argument("new")
@cutoffs_option("--cutoffs-old", help="Fixed cut-points for OLD, overriding its Settings.")
@cutoffs_option("--cutoffs-new", help="Fixed cut-points for NEW, overriding its Settings.")
@format_option(help="csv: one row per organisation.")
@_out_option
def compare_command(old: Path, new: Path, cutoffs_old, cutoffs_new, fmt: str,
                    out: Path | None) -> None:
    """Quarter on quarter: who moved, and was it the financial override or the scores?

    Example: xl-league compare Q1.xlsx Q2.xlsx --format csv
    """
    from ..analysis import render
    from ..analysis.compare import compare as compare_results
    from ..analysis.sheets import write_compare_sheet

    old_run, new_run = _run(old, cutoffs_old), _run(new, cutoffs_new)
    frame = compare_results(old_run.results, new_run.results)
    for warning in frame.attrs.get("warnings", []):
        warn(warning)
    title = f"{old_run.inputs.quarter or old.name} to {new_run.inputs.quarter or new.name}"
    emit(fmt, frame, render.compare_csv, render.compare_json,
          lambda f: render.compare_renderables(f, title=title))
    if out is not None:
        write_sheet(out, new, lambda wb: write_compare_sheet(wb, frame, title=title))


@click.command("explain")
@book_argument()
@org_option
@cutoffs_option()
@format_option("text", "json")
@_out_option
def explain_command(book: Path, org: str, cutoffs, fmt: str, out: Path | None) -> None:
    """Why ORG has its segment and position: its average by domain and metric, the override.

    Example: xl-league explain BOOK.xlsx --org RXG
    """
    from ..analysis import render
    from ..analysis.explain import explain as explain_result
    from ..analysis.sheets import write_explain_sheet

    run = _run(book, cutoffs)
    explanation = _named(run, lambda: explain_result(run.results, org))
    if fmt == "json":
        click.echo(render.explain_json(explanation), nl=False)
    else:
        emit("text", explanation, str, str, render.explain_renderables)
    if out is not None:
        write_sheet(out, book, lambda wb: write_explain_sheet(wb, explanation))


@click.command("history")
@click.argument("books", nargs=-1, required=True, metavar="BOOK...",
                type=click.Path(dir_okay=False, path_type=Path))
@format_option(help="csv: one row per organisation and quarter.")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              metavar="OUT.xlsx", help="Also write a history workbook: a sheet per type, "
                                       "trend charts and the movers.")
def history_command(books: tuple[Path, ...], fmt: str, out: Path | None) -> None:
    """Books of successive quarters lined up per organisation, ordered by the quarter each
    book records (its Settings sheet), not by the order given.

    Example: xl-league history Q1.xlsx Q2.xlsx --format csv -o history.xlsx
    """
    from ..analysis import render
    from ..analysis.history import QuarterResults, history
    from ..analysis.history_sheets import history_workbook
    from ..workbook_io.files import save_atomic

    if out is not None:
        _check_history_output(out, books)
    quarters = []
    for book in books:
        run = _run(book)
        quarters.append(QuarterResults(run.inputs.quarter, run.results, book.name))
    result = history(quarters)
    for warning in result.warnings:
        warn(warning)
    emit(fmt, result, render.history_csv, render.history_json, render.history_renderables)
    if out is not None:
        save_atomic(history_workbook(result), out)
        click.echo(f"Wrote the history workbook {out}", err=True)


def _check_history_output(out: Path, books: tuple[Path, ...]) -> None:
    """OUT is a new .xlsx, or a history workbook written before (replaced); never a book."""
    from ..analysis.history_sheets import is_history_workbook
    from ..errors import WorkbookError

    if out.suffix.lower() != ".xlsx":
        raise WorkbookError(f"{out}: the output must be an .xlsx workbook")
    if any(out.resolve() == b.resolve() for b in books):
        raise WorkbookError(f"{out} is one of the books read: write the history to a new file")
    if out.exists() and not is_history_workbook(out):
        raise WorkbookError(f"{out} already exists and is not a history workbook: choose a new "
                            "file name (xl-league replaces only a history workbook it wrote)")


#: Every command of this module, registered in the main group.
COMMANDS = (whatif_command, what_it_takes_command, compare_command, explain_command,
            history_command)
