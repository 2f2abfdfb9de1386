"""The ``whatif``, ``what-it-takes``, ``compare``, ``explain`` and ``history`` commands (click).

Standalone :class:`click.Command` objects, registered in the main group by ``xl_league.cli``.
Each parses its options, reads the workbook(s) through :mod:`xl_league.workbook_io`, makes one
library call and prints (rich text, CSV or JSON). ``-o OUT.xlsx`` writes the result as a sheet
into OUT (an existing workbook gets the sheet added or replaced; a new OUT is a copy of the
input workbook with the sheet), saved atomically; input sheets are never modified.

User errors print one message and exit 1 (no traceback); usage errors exit 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from openpyxl.workbook import Workbook
from rich.console import Console

from ..engine import LeagueTables
from ..errors import WorkbookError, XlLeagueError
from ..jobs import workbook_results
from ..workbook_io import read_inputs, save_atomic, unsupported_parts
from ..workbook_io.cached_values import SHEETS_READ, read_cached_values
from ..workbook_io.cells import load
from ..workbook_io.layout import MISSING_MARKERS
from ..workbook_io.reader import BookInputs
from ..workbook_io.recalc import engine_error_line, run_engine
from . import render
from .compare import compare as compare_results
from .explain import explain as explain_result
from .history import QuarterResults, history
from .history_sheets import history_workbook, is_history_workbook
from .sheets import (write_compare_sheet, write_explain_sheet, write_what_it_takes_sheet,
                     write_whatif_sheet)
from .what_it_takes import what_it_takes
from .whatif import whatif

__all__ = ["whatif_command", "what_it_takes_command", "compare_command", "explain_command",
           "history_command", "COMMANDS"]

_MACRO_SUFFIXES = (".xlsm", ".xltm")
_BOOK_SUFFIXES = (".xlsx", ".xlsm")


class _Command(click.Command):
    """Library errors become a one-line message and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except XlLeagueError as exc:
            raise click.ClickException(str(exc)) from None


def _console() -> Console:
    """stdout for rich output; wide when not a terminal, so piped output is not squeezed."""
    wide = None if sys.stdout.isatty() else 160
    return Console(file=sys.stdout, highlight=False, soft_wrap=False, width=wide,
                   markup=False)  # names are the user's text: never read as rich markup


def _warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def _parse_cutoffs(_ctx, _param, value: str | None):
    if value is None:
        return None
    try:
        cuts = tuple(float(p) for p in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r}: give three numbers, e.g. 2.05,2.33,2.62") from None
    if len(cuts) != 3 or not cuts[0] < cuts[1] < cuts[2]:
        raise click.BadParameter(f"{value!r}: give three increasing numbers, e.g. 2.05,2.33,2.62")
    return cuts


def _parse_sets(_ctx, _param, values: tuple[str, ...]) -> dict[str, float | None]:
    """METRIC=VALUE → {METRIC: value}; an empty value or a missing marker (n/a, -, *, ...)
    clears the metric (None: no value and no score)."""
    out: dict[str, float | None] = {}
    for item in values:
        metric, sep, number = item.partition("=")
        if not sep or not metric.strip():
            raise click.BadParameter(f"{item!r}: write METRIC=VALUE, e.g. OF0013=78.5 (or "
                                     "METRIC= to clear it)")
        if number.strip().lower() in MISSING_MARKERS:
            out[metric.strip().upper()] = None
            continue
        try:
            out[metric.strip().upper()] = float(number)
        except ValueError:
            raise click.BadParameter(f"{item!r}: {number.strip()!r} is not a number, e.g. "
                                     "OF0013=78.5 (or OF0013= to clear it)") from None
    return out


def _book_argument(name: str) -> Callable:
    return click.argument(name, type=click.Path(dir_okay=False, path_type=Path))


_org_option = click.option("--org", "org", required=True, metavar="CODE",
                           help="The organisation's ODS code, e.g. RXG.")
_cutoffs_option = click.option("--cutoffs", callback=_parse_cutoffs, metavar="C1,C2,C3",
                               help="Fixed national cut-points, overriding the workbook's.")
_out_option = click.option("-o", "--output", "out", type=click.Path(dir_okay=False,
                                                                     path_type=Path),
                           metavar="OUT.xlsx",
                           help="Also write the result as a sheet into OUT.xlsx.")


def _read(path: Path) -> BookInputs:
    """A workbook's inputs, or a WorkbookError listing every problem.

    The reader's warnings (e.g. metric columns with no values) concern a recalculation and are
    not repeated here: these commands only read."""
    inputs = read_inputs(path)
    if inputs.problems:
        lines = inputs.problem_lines()
        lines.append(f"{path}: {len(lines)} problem(s) to correct first (xl-league check "
                     f"{path.name} lists them)")
        raise WorkbookError("\n".join(lines))
    return inputs


def _engine(inputs: BookInputs, call: Callable):
    """Run an analysis, naming the workbook cell in an engine error where it can."""
    try:
        return call()
    except XlLeagueError as exc:
        line = engine_error_line(exc, inputs)
        raise WorkbookError(line or str(exc)) from None


def _results(path: Path, cutoffs) -> tuple[BookInputs, LeagueTables]:
    inputs = _read(path)
    return inputs, _engine(inputs, lambda: run_engine(inputs, cut_points=cutoffs))


def book_results(path: Path, cutoffs=None) -> tuple[BookInputs, LeagueTables]:
    """A workbook's inputs and results as its ``table`` shows them (the settings of its last
    ``recalc``, unless ``cutoffs`` overrides them): the one place ``compare`` and ``history``
    read a book."""
    return workbook_results(path, cut_points=cutoffs)


def _methodology(inputs: BookInputs, cutoffs):
    meth = inputs.methodology
    return meth.with_settings(cut_points=cutoffs) if cutoffs else meth


def write_sheet(out: Path, base: Path, write: Callable[[Workbook], object]) -> Path:
    """Write a sheet into ``out`` (existing) or into a copy of ``base`` saved as ``out``.

    Loads with openpyxl (VBA kept for .xlsm), calls ``write(wb)``, saves atomically. Refuses
    to overwrite a workbook holding parts openpyxl would drop; names lost parts when copying.
    """
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
        _warn(f"{out} does not keep these parts of {source.name}: {'; '.join(lost)}")
    kept = read_cached_values(source, SHEETS_READ)  # input formulas keep their values
    with load(source, keep_vba=macro, rich_text=True) as wb:
        sheet = write(wb)
        save_atomic(wb, out, cached_values=kept)
    click.echo(f"Wrote sheet '{getattr(sheet, 'title', '')}' to {out}", err=True)
    return out


def _emit(fmt: str, result, as_csv: Callable, as_json: Callable, as_rich: Callable) -> None:
    """Print ``result`` as CSV, JSON or rich text, by ``--format``."""
    if fmt == "csv":
        click.echo(as_csv(result), nl=False)
    elif fmt == "json":
        click.echo(as_json(result), nl=False)
    else:
        _print(as_rich(result))


def _print(renderables) -> None:
    console = _console()
    for r in renderables:
        console.print(r)


@click.command("whatif", cls=_Command)
@_book_argument("book")
@_org_option
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
@_cutoffs_option
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text",
              show_default=True, help="text: tables; csv: the re-ranked table; json: all.")
@_out_option
def whatif_command(book: Path, org: str, sets: dict[str, float | None], deficit: str | None,
                   rsp: str | None, recompute_cut_points: bool, cutoffs, fmt: str,
                   out: Path | None) -> None:
    """What if ORG's values were different? Before/after and the whole table re-ranked.

    Example: xl-league whatif BOOK.xlsx --org RXG --set OF0082=4.5 --deficit no
    """
    inputs = _read(book)
    flag = {None: None, "yes": True, "no": False}
    result = _engine(inputs, lambda: whatif(
        inputs.organisations, inputs.values, org=org, set_values=sets,
        deficit=flag[deficit and deficit.lower()], rsp=flag[rsp and rsp.lower()],
        methodology=_methodology(inputs, cutoffs), catalogue=inputs.catalogue,
        recompute_cut_points=recompute_cut_points))
    _emit(fmt, result, render.whatif_csv, render.whatif_json, render.whatif_renderables)
    if out is not None:
        write_sheet(out, book, lambda wb: write_whatif_sheet(wb, result))


@click.command("what-it-takes", cls=_Command)
@_book_argument("book")
@_org_option
@click.option("--target", type=click.Choice(["segment", "position"]), default="segment",
              show_default=True, help="The next better (unadjusted) segment, or position.")
@_cutoffs_option
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text",
              show_default=True)
@_out_option
def what_it_takes_command(book: Path, org: str, target: str, cutoffs, fmt: str,
                          out: Path | None) -> None:
    """The smallest improvement in each metric that moves ORG up, everyone else fixed.

    Example: xl-league what-it-takes BOOK.xlsx --org RXG --target position
    """
    inputs = _read(book)
    frame = _engine(inputs, lambda: what_it_takes(
        inputs.organisations, inputs.values, org=org, target=target,  # type: ignore[arg-type]
        methodology=_methodology(inputs, cutoffs), catalogue=inputs.catalogue))
    _emit(fmt, frame, render.what_it_takes_csv, render.what_it_takes_json,
          render.what_it_takes_renderables)
    if out is not None:
        write_sheet(out, book, lambda wb: write_what_it_takes_sheet(wb, frame))


@click.command("compare", cls=_Command)
@_book_argument("old")
@_book_argument("new")
@click.option("--cutoffs-old", callback=_parse_cutoffs, metavar="C1,C2,C3",
              help="Fixed cut-points for OLD, overriding its Settings.")
@click.option("--cutoffs-new", callback=_parse_cutoffs, metavar="C1,C2,C3",
              help="Fixed cut-points for NEW, overriding its Settings.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text",
              show_default=True, help="csv: one row per organisation.")
@_out_option
def compare_command(old: Path, new: Path, cutoffs_old, cutoffs_new, fmt: str,
                    out: Path | None) -> None:
    """Quarter on quarter: who moved, and was it the financial override or the scores?

    Example: xl-league compare Q1.xlsx Q2.xlsx --format csv
    """
    old_inputs, old_results = book_results(old, cutoffs_old)
    new_inputs, new_results = book_results(new, cutoffs_new)
    frame = compare_results(old_results, new_results)
    for warning in frame.attrs.get("warnings", []):
        _warn(warning)
    title = f"{old_inputs.quarter or old.name} to {new_inputs.quarter or new.name}"
    _emit(fmt, frame, render.compare_csv, render.compare_json,
          lambda f: render.compare_renderables(f, title=title))
    if out is not None:
        write_sheet(out, new, lambda wb: write_compare_sheet(
            wb, frame, title=f"{old_inputs.quarter or old.name} to "
                             f"{new_inputs.quarter or new.name}"))


@click.command("explain", cls=_Command)
@_book_argument("book")
@_org_option
@_cutoffs_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@_out_option
def explain_command(book: Path, org: str, cutoffs, fmt: str, out: Path | None) -> None:
    """Why ORG has its segment and position: its average by domain and metric, the override.

    Example: xl-league explain BOOK.xlsx --org RXG
    """
    inputs, results = _results(book, cutoffs)
    explanation = _engine(inputs, lambda: explain_result(results, org))
    if fmt == "json":
        click.echo(render.explain_json(explanation), nl=False)
    else:
        _print(render.explain_renderables(explanation))
    if out is not None:
        write_sheet(out, book, lambda wb: write_explain_sheet(wb, explanation))


@click.command("history", cls=_Command)
@click.argument("books", nargs=-1, required=True, metavar="BOOK...",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text",
              show_default=True, help="csv: one row per organisation and quarter.")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              metavar="OUT.xlsx", help="Also write a history workbook: a sheet per type, "
                                       "trend charts and the movers.")
def history_command(books: tuple[Path, ...], fmt: str, out: Path | None) -> None:
    """Books of successive quarters lined up per organisation, ordered by the quarter each
    book records (its Settings sheet), not by the order given.

    Example: xl-league history Q1.xlsx Q2.xlsx --format csv -o history.xlsx
    """
    if out is not None:
        _check_history_output(out, books)
    quarters = []
    for book in books:
        inputs, results = book_results(book)
        quarters.append(QuarterResults(inputs.quarter, results, book.name))
    result = history(quarters)
    for warning in result.warnings:
        _warn(warning)
    _emit(fmt, result, render.history_csv, render.history_json, render.history_renderables)
    if out is not None:
        wb = history_workbook(result)
        save_atomic(wb, out)
        click.echo(f"Wrote the history workbook {out}", err=True)


def _check_history_output(out: Path, books: tuple[Path, ...]) -> None:
    """OUT is a new .xlsx, or a history workbook written before (replaced); never a book."""
    if out.suffix.lower() != ".xlsx":
        raise WorkbookError(f"{out}: the output must be an .xlsx workbook")
    if any(out.resolve() == b.resolve() for b in books):
        raise WorkbookError(f"{out} is one of the books read: write the history to a new file")
    if out.exists() and not is_history_workbook(out):
        raise WorkbookError(f"{out} already exists and is not a history workbook: choose a new "
                            "file name (xl-league replaces only a history workbook it wrote)")


#: Every command of this module, to register in the main group.
COMMANDS = (whatif_command, what_it_takes_command, compare_command, explain_command,
            history_command)
