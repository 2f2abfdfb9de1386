"""The ``xl-league`` command line: each command parses, makes one library call, and prints.

User errors (:class:`~xl_league.errors.XlLeagueError`) print one message and exit 1; usage
errors exit 2 (click's convention); nothing prints a traceback for bad input.
"""

from __future__ import annotations

import contextlib
import math
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import __version__
from .errors import XlLeagueError

__all__ = ["main"]

TABLE_TYPES = ("acute", "non-acute", "ambulance", "icb")
DEMO_FILENAME = "nof-league-tables-demo.xlsx"


class _Cli(click.Group):
    """Turn library errors into a one-line message and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except XlLeagueError as exc:
            raise click.ClickException(str(exc)) from None


def _stdout() -> Console:
    """Terminal output; when piped or captured, a fixed 120 columns so tables stay whole.

    Markup is off: organisation names and messages are the user's text, printed as typed."""
    console = Console(highlight=False, soft_wrap=True, markup=False)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=True, markup=False, width=120)
    return console


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, markup=False)


def parse_cutoffs(_ctx, _param, value: str | None):
    """``--cutoffs 2.05,2.33,2.62`` → (2.05, 2.33, 2.62)."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    try:
        cuts = tuple(float(p) for p in parts)
    except ValueError:
        raise click.BadParameter(f"{value!r}: give three numbers, e.g. 2.05,2.33,2.62") from None
    if not all(math.isfinite(c) and 1.0 <= c <= 4.0 for c in cuts):
        raise click.BadParameter(f"{value!r}: cut-points are average metric scores, between 1 "
                                 "(best) and 4 (worst), e.g. 2.05,2.33,2.62")
    if len(cuts) != 3 or not cuts[0] < cuts[1] < cuts[2]:
        raise click.BadParameter(f"{value!r}: give three increasing numbers, e.g. 2.05,2.33,2.62")
    return cuts


def _progress(console: Console) -> Progress:
    """A progress bar on a terminal; nothing at all when output is piped or captured."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True,
                    disable=not console.is_terminal)


def _status(console: Console, text: str):
    """A spinner on a terminal; nothing when output is piped or captured."""
    return console.status(text) if console.is_terminal else contextlib.nullcontext()


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xl-league")
def main() -> None:
    """NHS Oversight Framework league tables: score, segment and rank NHS trusts, in Excel."""


cutoffs_option = click.option(
    "--cutoffs", callback=parse_cutoffs, metavar="C1,C2,C3",
    help="Fixed national cut-points, overriding the workbook's cut-point rule.")
replicates_option = click.option(
    "--replicates", type=click.IntRange(min=0), metavar="N",
    help="Bootstrap replicates for the likely ranges (0 = off).")
seed_option = click.option("--seed", type=click.IntRange(min=0), metavar="N",
                           help="Bootstrap seed (0 or more).")


def _notes(console: Console, notes, limit: int = 5) -> None:
    notes = list(notes)
    for note in notes[:limit]:
        console.print(f"note: {note}")
    if len(notes) > limit:
        console.print(f"note: … and {len(notes) - limit} more (see the About sheet)")


def _cut_point_line(results) -> str:
    rows = [f"{r['pool']} ({r['rule']}): {r['c1']:.3f}, {r['c2']:.3f}, {r['c3']:.3f}"
            for _, r in results.cut_points.iterrows()]
    return "cut-points " + "; ".join(rows)


@main.command()
@click.option("-o", "--output-dir", "out_dir", default=".", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for nof-league-tables-demo.xlsx.")
@click.option("--seed", default=2025, show_default=True, type=click.IntRange(min=0),
              help="Seed of the synthetic dataset.")
@click.option("--rows", default=5, show_default=True, type=click.IntRange(min=1),
              help="How many of the top and bottom of each table to print.")
def demo(out_dir: Path, seed: int, rows: int) -> None:
    """Build the template with a synthetic national dataset (205 fictional trusts),
    recalculate it, write DIR/nof-league-tables-demo.xlsx and print each table's top and bottom."""
    from .jobs import make_demo
    from .present import league_rich_table

    err = _stderr()
    with _status(err, "Building the demo workbook…"):
        path, results = make_demo(out_dir, seed)
    out = _stdout()
    for org_type in results.types_present:
        table = results.table(org_type)
        out.print(league_rich_table(table, f"{org_type} league table ({len(table)} trusts)",
                                    head=rows, tail=rows))
    out.print(_cut_point_line(results))
    out.print(f"wrote {path}")


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace BOOK if it exists.")
def new(book: Path, force: bool) -> None:
    """Write a blank template workbook to BOOK.xlsx."""
    from .errors import WorkbookError
    from .workbook_io.template import write_template

    if book.suffix.lower() != ".xlsx":
        raise WorkbookError(f"{book}: the template is an .xlsx workbook; name it e.g. {book.stem}.xlsx")
    if book.exists() and not force:
        raise WorkbookError(f"{book} already exists: choose another name, or add --force to "
                            "replace it")
    write_template(book)
    _stdout().print(f"wrote {book}")


@main.command("import-nhse")
@click.argument("csvs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The workbook to write.")
@click.option("--quarter", metavar='"Q2 2025/26"', help="Quarter to import (default: latest).")
@click.option("--scores", type=click.Choice(["published", "raw"]), default="published",
              show_default=True, help="Keep NHS England's published scores, or rescore from raw values.")
@cutoffs_option
def import_nhse(csvs: tuple[Path, ...], out: Path, quarter: str | None, scores: str,
                cutoffs) -> None:
    """Import NHS England's trust-data CSV(s) into a filled template workbook.

    With --cutoffs the workbook's Settings get those fixed national cut-points (NHS England
    pools all 205 trusts, so one type's file cannot derive them)."""
    from .jobs import import_nhse as run_import

    with _status(_stderr(), "Importing…"):
        done = run_import(csvs, out, quarter=quarter, scores=scores, cut_points=cutoffs)
    con = _stdout()
    orgs = done.imported.organisations
    counts = ", ".join(f"{n} {t}" for t, n in orgs["type"].value_counts(sort=False).items())
    con.print(f"imported {done.imported.quarter}: {counts} ({scores} scores)")
    for w in done.imported.warnings:
        _stderr().print(f"warning: {w}")
    if done.results is None:
        _stderr().print(f"warning: not recalculated yet: {done.problem}")
    else:
        con.print(_cut_point_line(done.results))
    con.print(f"wrote {done.path}")


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to OUT.xlsx instead of in place.")
@cutoffs_option
@replicates_option
@seed_option
def recalc(book: Path, out: Path | None, cutoffs, replicates: int | None, seed: int | None) -> None:
    """Recompute every output sheet of BOOK (in place unless -o). Input sheets are never changed."""
    from .workbook_io.recalc import recalc_workbook

    err = _stderr()
    with _progress(err) as progress:
        task = progress.add_task("Recalculating", total=4)

        def step(description: str, done: int, total: int) -> None:
            progress.update(task, description=description.capitalize(), completed=done,
                            total=total)

        done = recalc_workbook(book, out, cut_points=cutoffs, replicates=replicates, seed=seed,
                               progress=step)
    for w in done.warnings:
        err.print(f"warning: {w}")
    con = _stdout()
    counts = ", ".join(f"{len(done.results.table(t))} {t}" for t in done.results.types_present)
    con.print(f"recalculated {counts}; {_cut_point_line(done.results)}")
    _notes(err, done.results.notes)
    con.print(f"wrote {done.written_to}")


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
def check(book: Path) -> None:
    """Validate BOOK only: exit 0 when clean, 1 with one line per problem."""
    from .workbook_io.reader import check_workbook

    problems = check_workbook(book)
    if problems:
        for line in problems:
            click.echo(line)
        raise SystemExit(1)
    click.echo(f"{book}: no problems found")


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--type", "org_type", required=True, type=click.Choice(TABLE_TYPES),
              help="Which league table.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text",
              show_default=True)
@cutoffs_option
@replicates_option
@seed_option
def table(book: Path, org_type: str, fmt: str, cutoffs, replicates, seed) -> None:
    """Print one league table of BOOK, computed from its inputs and settings."""
    from .jobs import workbook_results
    from .present import league_csv, league_json, league_rich_table

    _, results = workbook_results(book, cut_points=cutoffs, replicates=replicates, seed=seed)
    rows = results.table(org_type)
    if fmt == "csv":
        click.echo(league_csv(rows), nl=False)
    elif fmt == "json":
        click.echo(league_json(rows), nl=False)
    else:
        _stdout().print(league_rich_table(rows, f"{org_type} league table ({len(rows)})"))


@main.command()
@click.argument("book", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output-dir", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the packs.")
@click.option("--org", "codes", multiple=True, metavar="CODE",
              help="Only this organisation (repeatable). Default: all.")
@click.option("--no-peer-detail", is_flag=True,
              help="Leave other organisations' detail out of each pack's league table.")
@click.option("--history", "history_books", multiple=True, metavar="BOOK",
              type=click.Path(dir_okay=False, path_type=Path),
              help="An earlier quarter's workbook (repeatable): adds each organisation's trend "
                   "to its pack, quarters in the order the books record.")
@cutoffs_option
def packs(book: Path, out_dir: Path, codes: tuple[str, ...], no_peer_detail: bool,
          history_books: tuple[Path, ...], cutoffs) -> None:
    """Write one plain .xlsx per organisation into DIR, to send out (no Python needed)."""
    from .errors import WorkbookError
    from .jobs import workbook_results
    from .packs import write_packs

    err = _stderr()
    history = []
    with _status(err, "Calculating…"):
        inputs, results = workbook_results(book, cut_points=cutoffs)
        for other in history_books:
            other_inputs, other_results = workbook_results(other)
            if not other_inputs.quarter:
                raise WorkbookError(f"{other}: no quarter on its Settings sheet; type the "
                                    "quarter it covers (e.g. Q1 2025/26) and run recalc")
            history.append((other_inputs.quarter, other_results))
    if history and not inputs.quarter:
        raise WorkbookError(f"{book}: no quarter on its Settings sheet; type the quarter it "
                            "covers (e.g. Q2 2025/26) and run recalc")
    with _progress(err) as progress:
        task = progress.add_task("Writing packs", total=len(codes) or len(results.league))
        paths = write_packs(results, out_dir, codes=[c.strip().upper() for c in codes] or None,
                            include_peer_detail=not no_peer_detail, quarter=inputs.quarter,
                            progress=lambda d, t: progress.update(task, completed=d, total=t),
                            history=history or None)
    _stdout().print(f"wrote {len(paths)} pack{'s' if len(paths) != 1 else ''} to {out_dir}")


def _register_analysis_commands() -> None:
    try:
        from .analysis import commands
    except ImportError:  # pragma: no cover - the analysis commands are optional extras
        return
    for name in ("whatif_command", "what_it_takes_command", "compare_command", "explain_command"):
        cmd = getattr(commands, name, None)
        if cmd is not None:
            main.add_command(cmd)


_register_analysis_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
