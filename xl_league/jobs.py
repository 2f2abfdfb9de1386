"""Whole jobs the adapters share: the demo workbook, importing NHS England's CSVs, and the
results of a workbook. Each is a few library calls; the CLI and the xlwings macros present
what these return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .demo import scaled_demo_dataset
from .engine import LeagueTables
from .errors import WorkbookError, XlLeagueError
from .nhse import NhseImport, read_nhse_trust_data
from .workbook_io.reader import BookInputs, read_inputs
from .workbook_io.recalc import (engine_error_line, recorded_overrides, run_engine,
                                 settings_used, with_recorded_overrides)
from .workbook_io.template import build_template
from .workbook_io.writer import fill_inputs, save_atomic, write_results

__all__ = ["DEMO_FILENAME", "make_demo", "import_nhse", "ImportResult", "workbook_results"]

DEMO_FILENAME = "nof-league-tables-demo.xlsx"


def make_demo(out_dir: str | Path, seed: int = 2025, scale: int = 1
              ) -> tuple[Path, LeagueTables]:
    """Template + the synthetic national dataset (``scale`` times over) + a recalculation →
    DIR/nof-league-tables-demo.xlsx."""
    data = scaled_demo_dataset(scale, seed)
    wb = build_template()
    fill_inputs(wb, data.organisations, data.values, quarter=data.quarter)
    inputs = read_inputs(wb)
    if inputs.problems:  # the bundled data is clean; this guards the template and the reader
        raise WorkbookError("\n".join(inputs.problem_lines()))
    results = run_engine(inputs)
    write_results(wb, results, settings_used(results, data.quarter))
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkbookError(f"cannot create the folder {out}: {exc.strerror}") from None
    path = save_atomic(wb, out / DEMO_FILENAME)
    return path, results


@dataclass(frozen=True)
class ImportResult:
    path: Path
    imported: NhseImport
    results: LeagueTables | None
    problem: str | None  # why the results could not be computed yet (e.g. no cut-points)


def import_nhse(csvs: Sequence[str | Path], out: str | Path, *, quarter: str | None = None,
                scores: str = "published", cut_points: Sequence[float] | None = None
                ) -> ImportResult:
    """NHS England trust-data CSV(s) → a filled template at ``out``, recalculated if possible.

    ``cut_points`` are typed into the Settings sheet as the workbook's fixed national
    cut-points (NHS England's are pooled over all 205 trusts, so a file of one type cannot
    derive them). Refuses to overwrite an existing workbook.
    """
    target = Path(out)
    if target.suffix.lower() != ".xlsx":
        raise WorkbookError(f"{target}: the output must be an .xlsx workbook")
    if target.exists():
        raise WorkbookError(f"{target} already exists: choose a new file name (xl-league never "
                            "overwrites a workbook with an import)")
    imported = read_nhse_trust_data(list(csvs), quarter=quarter, scores=scores)  # type: ignore[arg-type]
    meth = None
    if cut_points:
        from .engine import load_methodology
        meth = load_methodology().with_settings(cut_points=tuple(cut_points))
    wb = build_template(meth, imported.catalogue)
    fill_inputs(wb, imported.organisations, imported.values, quarter=imported.quarter,
                catalogue=imported.catalogue)
    inputs = read_inputs(wb)
    results, problem = None, None
    if inputs.problems:
        problem = "\n".join(inputs.problem_lines())
    else:
        try:
            results = run_engine(inputs)
        except XlLeagueError as exc:
            problem = engine_error_line(exc, inputs) or str(exc)
    if results is not None:
        write_results(wb, results, settings_used(results, imported.quarter))
    path = save_atomic(wb, target)
    return ImportResult(path, imported, results, problem)


def workbook_results(book: str | Path, *, cut_points: Sequence[float] | None = None,
                     replicates: int | None = None, seed: int | None = None
                     ) -> tuple[BookInputs, LeagueTables]:
    """Read a workbook's inputs and compute its results (nothing is written).

    Overrides not given here are those of the workbook's last ``recalc`` (recorded on its
    About sheet), so ``table`` and ``packs`` show what ``recalc --cutoffs ...`` wrote.
    """
    overrides = with_recorded_overrides(recorded_overrides(book), cut_points=cut_points,
                                        replicates=replicates, seed=seed)
    inputs = read_inputs(book)
    if inputs.problems:
        lines = inputs.problem_lines()
        raise WorkbookError("\n".join(lines + [f"{book}: {len(lines)} problem(s) to correct "
                                                "first (xl-league check lists them)"]))
    try:
        return inputs, run_engine(inputs, **overrides)  # type: ignore[arg-type]
    except XlLeagueError as exc:
        raise WorkbookError(engine_error_line(exc, inputs) or str(exc)) from None

