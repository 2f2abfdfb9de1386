"""Whole jobs the adapters share: the demo workbook, importing NHS England's CSVs, and the
results of a workbook. Each is a few library calls; the CLI and the xlwings macros present
what these return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .demo import national_demo_dataset
from .engine import LeagueTables
from .errors import WorkbookError
from .nhse import NhseImport, read_nhse_trust_data
from .run import WorkbookProblems, open_run
from .workbook_io.files import save_atomic
from .workbook_io.template import build_template
from .workbook_io.writer import fill_inputs, write_results

__all__ = ["DEMO_FILENAME", "make_demo", "import_nhse", "ImportResult"]

DEMO_FILENAME = "nof-league-tables-demo.xlsx"


def make_demo(out_dir: str | Path, seed: int = 2025) -> tuple[Path, LeagueTables]:
    """Template + the synthetic national dataset + a recalculation → DIR/nof-league-tables-demo.xlsx."""
    data = national_demo_dataset(seed)
    wb = build_template()
    fill_inputs(wb, data.organisations, data.values, quarter=data.quarter)
    run = open_run(wb, recorded=False)  # the bundled data is clean: this guards the reader
    write_results(wb, run.results, run.about_rows())
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkbookError(f"cannot create the folder {out}: {exc.strerror}") from None
    path = save_atomic(wb, out / DEMO_FILENAME)
    return path, run.results


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
    results, problem = None, None
    try:
        run = open_run(wb, recorded=False)
    except WorkbookProblems as exc:
        problem = "\n".join(str(p) for p in exc.problems)
    except WorkbookError as exc:
        problem = str(exc)
    else:
        results = run.results
        write_results(wb, results, run.about_rows())
    path = save_atomic(wb, target)
    return ImportResult(path, imported, results, problem)
