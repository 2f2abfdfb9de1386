"""The workbook commands: demo, new, import-nhse, recalc, check, table, packs.

Each parses its options, makes one library call (through the run layer, :mod:`xl_league.run`,
wherever a workbook is read) and prints. The library is imported inside each command.
"""

from __future__ import annotations

from pathlib import Path

import click

from ._shared import (TABLE_TYPES, book_argument, cutoffs_option, format_option, notes,
                      progress_bar, replicates_option, run_settings, seed_option, status, stderr,
                      stdout)

__all__ = ["COMMANDS"]


def _cut_point_line(results) -> str:
    rows = [f"{r['pool']} ({r['rule']}): {r['c1']:.3f}, {r['c2']:.3f}, {r['c3']:.3f}"
            for _, r in results.cut_points.iterrows()]
    return "cut-points " + "; ".join(rows)


@click.command()
@click.option("-o", "--output-dir", "out_dir", default=".", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for nof-league-tables-demo.xlsx.")
@click.option("--seed", default=2025, show_default=True, type=click.IntRange(min=0),
              help="Seed of the synthetic dataset.")
@click.option("--rows", default=5, show_default=True, type=click.IntRange(min=1),
              help="How many of the top and bottom of each table to print.")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="The synthetic dataset N times over (N x 205 trusts), to try xl-league at scale.")
def demo(out_dir: Path, seed: int, rows: int, scale: int) -> None:
    """Build the template with a synthetic national dataset (205 fictional trusts, or N times
    that with --scale N), recalculate it, write DIR/nof-league-tables-demo.xlsx and print each
    table's top and bottom."""
    from ..jobs import make_demo
    from ..present import league_rich_table

    err = stderr()
    with status(err, "Building the demo workbook…"):
        path, results = make_demo(out_dir, seed, scale)
    out = stdout()
    for org_type in results.types_present:
        table = results.table(org_type)
        out.print(league_rich_table(table, f"{org_type} league table ({len(table)} trusts)",
                                    head=rows, tail=rows))
    out.print(_cut_point_line(results))
    out.print(f"wrote {path}")


@click.command()
@book_argument()
@click.option("--force", is_flag=True, help="Replace BOOK if it exists.")
def new(book: Path, force: bool) -> None:
    """Write a blank template workbook to BOOK.xlsx."""
    from ..errors import WorkbookError
    from ..workbook_io.template import write_template

    if book.suffix.lower() != ".xlsx":
        raise WorkbookError(f"{book}: the template is an .xlsx workbook; name it e.g. {book.stem}.xlsx")
    if book.exists() and not force:
        raise WorkbookError(f"{book} already exists: choose another name, or add --force to "
                            "replace it")
    write_template(book)
    stdout().print(f"wrote {book}")


@click.command("import-nhse")
@click.argument("csvs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", required=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The workbook to write.")
@click.option("--quarter", metavar='"Q2 2025/26"', help="Quarter to import (default: latest).")
@click.option("--scores", type=click.Choice(["published", "raw"]), default="published",
              show_default=True, help="Keep NHS England's published scores, or rescore from raw values.")
@cutoffs_option()
def import_nhse(csvs: tuple[Path, ...], out: Path, quarter: str | None, scores: str,
                cutoffs) -> None:
    """Import NHS England's trust-data CSV(s) into a filled template workbook.

    Without --cutoffs the cut-points are inferred from NHS England's published averages and
    segments in the file(s) (recorded on Settings, About and Cut-points); --cutoffs wins."""
    from ..jobs import import_nhse as run_import

    with status(stderr(), "Importing…"):
        done = run_import(csvs, out, quarter=quarter, scores=scores, cut_points=cutoffs)
    con = stdout()
    orgs = done.imported.organisations
    counts = ", ".join(f"{n} {t}" for t, n in orgs["type"].value_counts(sort=False).items())
    con.print(f"imported {done.imported.quarter}: {counts} ({scores} scores)")
    for w in done.imported.warnings + done.warnings:
        stderr().print(f"warning: {w}")
    con.print(f"cut-points {done.cut_points_source}")
    if done.results is None:
        stderr().print(f"warning: not recalculated yet: {done.problem}")
    else:
        con.print(_cut_point_line(done.results))
    con.print(f"wrote {done.path}")


@click.command()
@book_argument()
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to OUT.xlsx instead of in place.")
@cutoffs_option()
@replicates_option
@seed_option
def recalc(book: Path, out: Path | None, cutoffs, replicates: int | None, seed: int | None) -> None:
    """Recompute every output sheet of BOOK (in place unless -o). Input sheets are never changed."""
    from ..workbook_io.recalc import recalc_workbook

    err = stderr()
    with progress_bar(err) as progress:
        task = progress.add_task("Recalculating", total=4)

        def step(description: str, done: int, total: int) -> None:
            progress.update(task, description=description.capitalize(), completed=done,
                            total=total)

        done = recalc_workbook(book, out, run_settings(cutoffs, replicates, seed),
                               progress=step)
    for w in done.warnings:
        err.print(f"warning: {w}")
    con = stdout()
    counts = ", ".join(f"{len(done.results.table(t))} {t}" for t in done.results.types_present)
    con.print(f"recalculated {counts}; {_cut_point_line(done.results)}")
    notes(err, done.results.notes)
    con.print(f"wrote {done.written_to}")


@click.command()
@book_argument()
def check(book: Path) -> None:
    """Validate BOOK only: exit 0 when clean, 1 with one line per problem.

    Also lists what a recalculation would warn about (``warning: ...``)."""
    from ..run import check_book

    found = check_book(book)
    for line in found.lines():
        click.echo(line)
    if found.problems:
        raise SystemExit(1)
    click.echo(f"{book}: no problems found")


@click.command()
@book_argument()
@click.option("--type", "org_type", required=True, type=click.Choice(TABLE_TYPES),
              help="Which league table.")
@format_option()
@cutoffs_option()
@replicates_option
@seed_option
def table(book: Path, org_type: str, fmt: str, cutoffs, replicates, seed) -> None:
    """Print one league table of BOOK, computed from its inputs and settings."""
    from ..present import league_csv, league_json, league_rich_table
    from ..run import open_run

    rows = open_run(book, run_settings(cutoffs, replicates, seed)).results.table(org_type)
    if fmt == "csv":
        click.echo(league_csv(rows), nl=False)
    elif fmt == "json":
        click.echo(league_json(rows), nl=False)
    else:
        stdout().print(league_rich_table(rows, f"{org_type} league table ({len(rows)})"))


@click.command()
@book_argument()
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
@cutoffs_option()
def packs(book: Path, out_dir: Path, codes: tuple[str, ...], no_peer_detail: bool,
          history_books: tuple[Path, ...], cutoffs) -> None:
    """Write one plain .xlsx per organisation into DIR, to send out (no Python needed)."""
    from ..errors import WorkbookError
    from ..packs import write_packs
    from ..run import open_run

    err = stderr()
    history = []
    with status(err, "Calculating…"):
        run = open_run(book, run_settings(cutoffs))
        inputs, results = run.inputs, run.results
        for other in history_books:
            earlier = open_run(other)
            if not earlier.inputs.quarter:
                raise WorkbookError(f"{other}: no quarter on its Settings sheet; type the "
                                    "quarter it covers (e.g. Q1 2025/26) and run recalc")
            history.append((earlier.inputs.quarter, earlier.results))
    if history and not inputs.quarter:
        raise WorkbookError(f"{book}: no quarter on its Settings sheet; type the quarter it "
                            "covers (e.g. Q2 2025/26) and run recalc")
    with progress_bar(err) as progress:
        task = progress.add_task("Writing packs", total=len(codes) or len(results.league))
        paths = write_packs(results, out_dir, codes=[c.strip().upper() for c in codes] or None,
                            include_peer_detail=not no_peer_detail, quarter=inputs.quarter,
                            progress=lambda d, t: progress.update(task, completed=d, total=t),
                            history=history or None)
    stdout().print(f"wrote {len(paths)} pack{'s' if len(paths) != 1 else ''} to {out_dir}")


COMMANDS = (demo, new, import_nhse, recalc, check, table, packs)
