"""What every command shares: the group and its error wrapper, the consoles, the options and
their parsers (one parser per setting, from :mod:`xl_league.run_settings`), progress output.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import XlLeagueError
from ..run_settings import RunSettings, SettingError, parse_cut_points

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console
    from rich.progress import Progress

__all__ = ["main", "stdout", "stderr", "warn", "progress_bar", "status", "notes", "emit",
           "book_argument", "cutoffs_option", "replicates_option", "seed_option",
           "format_option", "org_option", "run_settings", "TABLE_TYPES"]

TABLE_TYPES = ("acute", "non-acute", "ambulance", "icb")


def _version() -> str:
    from .. import __version__

    return __version__


class _Group(click.Group):
    """Library errors become a one-line message and exit code 1 (never a traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except XlLeagueError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xl-league", prog_name="xl-league")
def main() -> None:
    """NHS Oversight Framework league tables: score, segment and rank NHS trusts, in Excel."""


# --------------------------------------------------------------------------- output

def stdout(width: int | None = None) -> "Console":
    """Terminal output; when piped or captured, a fixed width (120) so tables stay whole.

    Markup is off: organisation names and messages are the user's text, printed as typed."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True, markup=False)
    if not console.is_terminal:
        console = Console(highlight=False, soft_wrap=True, markup=False, width=width or 120)
    return console


def stderr() -> "Console":
    from rich.console import Console

    return Console(stderr=True, highlight=False, markup=False)


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


class _NoProgress(contextlib.AbstractContextManager):
    """A progress bar nobody sees (output piped or captured): nothing, and rich.progress
    not even imported (~15 ms of a recalculation's start-up)."""

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, **fields: Any) -> int:
        return 0

    def update(self, task: int, **fields: Any) -> None:
        return None


def progress_bar(console: "Console") -> "Progress | _NoProgress":
    """A progress bar on a terminal; nothing at all when output is piped or captured."""
    if not console.is_terminal:
        return _NoProgress()
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn)

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True)


def status(console: "Console", text: str) -> contextlib.AbstractContextManager:
    """A spinner on a terminal; nothing when output is piped or captured."""
    return console.status(text) if console.is_terminal else contextlib.nullcontext()


def notes(console: "Console", lines: Iterable[str], limit: int = 5) -> None:
    lines = list(lines)
    for line in lines[:limit]:
        console.print(f"note: {line}")
    if len(lines) > limit:
        console.print(f"note: … and {len(lines) - limit} more (see the About sheet)")


def emit(fmt: str, result: Any, as_csv: Callable, as_json: Callable,
         as_rich: Callable) -> None:
    """Print ``result`` as CSV, JSON or rich text, by ``--format``."""
    if fmt == "csv":
        click.echo(as_csv(result), nl=False)
    elif fmt == "json":
        click.echo(as_json(result), nl=False)
    else:
        import sys

        from rich.console import Console

        # names are the user's text: never read as rich markup; wide when piped
        console = Console(file=sys.stdout, highlight=False, soft_wrap=False, markup=False,
                          width=None if sys.stdout.isatty() else 160)
        for renderable in as_rich(result):
            console.print(renderable)


# --------------------------------------------------------------------------- options

def _cutoffs(_ctx: click.Context, _param: click.Parameter, value: str | None):
    """``--cutoffs 2.05,2.33,2.62``: the run layer's one parser; a bad value exits 2."""
    if value is None:
        return None
    try:
        return parse_cut_points(value)
    except SettingError as exc:
        raise click.BadParameter(str(exc)) from None


def cutoffs_option(*names: str, help: str | None = None) -> Callable:
    return click.option(*(names or ("--cutoffs",)), callback=_cutoffs, metavar="C1,C2,C3",
                        help=help or "Fixed national cut-points, overriding the workbook's "
                                     "cut-point rule.")


replicates_option = click.option(
    "--replicates", type=click.IntRange(min=0), metavar="N",
    help="Bootstrap replicates for the likely ranges (0 = off).")
seed_option = click.option("--seed", type=click.IntRange(min=0), metavar="N",
                           help="Bootstrap seed (0 or more).")
org_option = click.option("--org", "org", required=True, metavar="CODE",
                          help="The organisation's ODS code, e.g. RXG.")


def format_option(*choices: str, help: str | None = None) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(choices or ("text", "csv", "json")),
                        default="text", show_default=True, help=help)


def book_argument(name: str = "book", **kwargs: Any) -> Callable:
    return click.argument(name, type=click.Path(dir_okay=False, path_type=Path), **kwargs)


def run_settings(cut_points: Any = None, replicates: int | None = None,
                 seed: int | None = None) -> RunSettings:
    """The options as one validated :class:`RunSettings` value."""
    return RunSettings(cut_points, replicates, seed)
