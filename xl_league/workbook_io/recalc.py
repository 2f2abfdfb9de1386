"""Recalculate a workbook: read its inputs, run the engine, rewrite its output sheets.

:func:`recalc_workbook` reads the inputs straight from the file's XML (:mod:`.sheet_xml`),
refuses (before writing anything) when an input is wrong or the engine objects; otherwise
:func:`write_outputs` rewrites only the output sheets at the level of the zip package
(:mod:`.package`: every other part copied byte for byte) and saves atomically. Input sheets,
the user's own sheets, defined names, formatting, charts, images, and what openpyxl cannot
read (slicers, sparklines, threaded comments, Power Query, ...) come through unchanged, and
formulas in the sheets read keep their cached values. A package that cannot be edited that
way is written with openpyxl (see :mod:`.cached_values` for how cached values are kept
there); saving in place is refused when that would lose parts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
import zipfile

import pandas as pd

from ..engine.pipeline import LeagueTables
from ..errors import WorkbookError
from ..run import Run, RunSettings, WorkbookProblems, open_run
from .cached_values import SHEETS_READ, read_cached_values, sheet_parts
from .cells import load
from .layout import (CUT_POINTS_SHEET, LEAGUE_SHEETS, LEAGUE_TABLE_COLUMNS,
                     METRIC_SCORES_SHEET, OUTPUT_SHEETS)
from .package import PackageUnsupported, write_outputs_to_package
from .reader import BookInputs
from .safety import WORKBOOK_SUFFIXES, check_file, unsupported_parts
from .skip_outputs import without_output_cells
from .files import save_atomic
from .writer import write_results

__all__ = ["recalc_workbook", "write_outputs", "RecalcResult", "read_results",
           "PartsWouldBeLost"]

#: progress(step description, steps done, total steps)
Progress = Callable[[str, int, int], None]
_MACRO_SUFFIXES = (".xlsm", ".xltm")


@dataclass(frozen=True, eq=False)
class RecalcResult:
    """What a recalculation computed, where it wrote, and what the user should know."""

    run: Run
    written_to: Path
    warnings: tuple[str, ...]

    @property
    def results(self) -> LeagueTables:
        return self.run.results

    @property
    def inputs(self) -> BookInputs:
        return self.run.inputs


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


def recalc_workbook(path: str | Path, out: str | Path | None = None,
                    settings: RunSettings | None = None, *,
                    progress: Progress | None = None) -> RecalcResult:
    """Recompute every output sheet of the workbook at ``path``; save to ``out`` or in place.

    Raises :class:`~xl_league.run.WorkbookProblems` (one line per problem) when inputs are
    wrong, and :class:`WorkbookError` when the engine objects (naming the cell where it can)
    or when saving in place would drop parts (:func:`write_outputs`; suggesting ``-o``); in
    every such case nothing is written. ``settings`` override the workbook's Settings for
    this run; they are recorded on the About sheet (not in Settings), so later readers of
    the workbook show what this recalculation wrote.
    """
    steps = ("reading the inputs", "calculating", "writing the results", "saving")

    def step(i: int) -> None:
        if progress is not None:
            progress(steps[i], i, len(steps))

    src = check_file(path)
    dest = _destination(src, out)
    in_place = dest.resolve() == src.resolve()
    step(0)
    step(1)
    try:
        run = open_run(src, settings, recorded=False)  # streamed from the file's XML
    except WorkbookProblems as exc:
        n = len(exc.problems)
        raise WorkbookProblems(src, exc.problems, last_line=(
            f"{src} was not recalculated and is unchanged: {n} problem"
            f"{'s' if n != 1 else ''} to correct first")) from None
    step(2)
    try:
        lost = write_outputs(src, dest, run.results, run.about_rows(), saving=lambda: step(3),
                             refuse_losses=in_place)
    except PartsWouldBeLost as exc:
        raise WorkbookError(
            f"{src} holds parts that openpyxl would drop on saving: {'; '.join(exc.lost)}. "
            f"Nothing was written: write the results to another file instead "
            f"(xl-league recalc {src.name} -o OTHER{src.suffix})") from None
    warnings: list[str] = []
    if lost:
        warnings.append(f"{dest} does not keep these parts of {src.name}: {'; '.join(lost)}")
    warnings.extend(run.warnings)
    step_done = len(steps)
    if progress is not None:
        progress("done", step_done, step_done)
    return RecalcResult(run=run, written_to=dest, warnings=tuple(warnings))


class PartsWouldBeLost(Exception):
    """Writing would drop these parts of the workbook (one line per kind); nothing written."""

    def __init__(self, lost: list[str]):
        super().__init__("; ".join(lost))
        self.lost = lost


def write_outputs(src: Path, dest: Path, results: LeagueTables,
                  shown: dict[str, object], *, saving: Callable[[], None] | None = None,
                  refuse_losses: bool = False) -> list[str]:
    """Write the output sheets of ``src`` to ``dest``; what of ``src`` it could not keep.

    At the level of the zip package when it can: every part xl-league does not own is copied
    unchanged, so slicers, sparklines, threaded comments, Power Query and the like in the
    user's sheets survive; only what sits inside an output sheet's own XML (a sparkline typed
    on a league table) would be lost. Otherwise (:class:`~.package.PackageUnsupported`) with
    openpyxl, which drops what :func:`~.safety.unsupported_parts` lists. With
    ``refuse_losses`` a loss raises :class:`PartsWouldBeLost` before anything is written.
    """
    with zipfile.ZipFile(src) as zf:
        output_parts = [part for name, part in sheet_parts(zf).items()
                        if name in OUTPUT_SHEETS]
    if not unsupported_parts(src, sheets=output_parts):
        try:
            write_outputs_to_package(src, dest, results, shown, saving=saving)
            return []
        except PackageUnsupported:
            pass
    lost = unsupported_parts(src)
    if lost and refuse_losses:
        raise PartsWouldBeLost(lost)
    _write_with_openpyxl(src, dest, results, shown)
    return lost


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
