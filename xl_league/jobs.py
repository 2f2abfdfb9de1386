"""Whole jobs the adapters share: the demo workbook, importing NHS England's CSVs, and the
results of a workbook. Each is a few library calls; the CLI and the xlwings macros present
what these return.
"""

from __future__ import annotations

from collections.abc import Sequence
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from openpyxl.workbook import Workbook

from .cut_point_inference import quartiles_inside
from .demo import scaled_demo_dataset
from .engine import LeagueTables, Methodology, load_methodology
from .engine.segments import quartile_cut_points
from .errors import WorkbookError
from .nhse import NhseImport, read_nhse_trust_data
from .run import WorkbookProblems, open_run
from .workbook_io.files import save_atomic
from .workbook_io.settings import format_domain_cut_points
from .workbook_io.template import build_template
from .workbook_io.writer import fill_inputs, set_setting, write_results

__all__ = ["DEMO_FILENAME", "make_demo", "import_nhse", "import_workbook", "ImportResult",
           "ImportedBook", "choose_cut_points"]

DEMO_FILENAME = "nof-league-tables-demo.xlsx"


def make_demo(out_dir: str | Path, seed: int = 2025, scale: int = 1
              ) -> tuple[Path, LeagueTables]:
    """Template + the synthetic national dataset (``scale`` times over) + a recalculation →
    DIR/nof-league-tables-demo.xlsx."""
    data = scaled_demo_dataset(scale, seed)
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


@dataclass(frozen=True, eq=False)
class ImportedBook:
    """NHS England's data in a filled template, recalculated when possible (in memory)."""

    workbook: Workbook
    imported: NhseImport
    results: LeagueTables | None
    problem: str | None  # why the results could not be computed yet (e.g. no cut-points)
    cut_points_source: str = ""  # how the cut-points were chosen (also on the Settings sheet)
    warnings: tuple[str, ...] = ()  # about the cut-points (the import's own: imported.warnings)


@dataclass(frozen=True, eq=False)
class ImportResult(ImportedBook):
    """:class:`ImportedBook`, saved to ``path``."""

    path: Path = Path()


def import_workbook(imported: NhseImport, cut_points: Sequence[float] | None = None,
                    methodology: Methodology | None = None) -> ImportedBook:
    """The one import path (``xl-league import-nhse`` and the import macros of desktop Excel
    and xlwings Lite): a template filled with ``imported``, its cut-points chosen by
    :func:`choose_cut_points`, recalculated through the run layer when it can be."""
    meth, source, warnings = choose_cut_points(imported, cut_points, methodology)
    wb = build_template(meth, imported.catalogue)
    fill_inputs(wb, imported.organisations, imported.values, quarter=imported.quarter,
                catalogue=imported.catalogue)
    set_setting(wb, "cut_points_source", source,
                help="How import-nhse chose the cut-points (shown on About and Cut-points). "
                     "Changing the cut-points above does not change this note.")
    if meth.domain_cut_points:
        set_setting(wb, "domain_cut_points", format_domain_cut_points(meth.domain_cut_points),
                    help="Fixed cut-points of each domain's segments (OF4100-OF4105), inferred "
                         "from NHS England's published domain segments; a domain not listed "
                         "is cut at quartiles of its domain scores.")
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
    return ImportedBook(wb, imported, results, problem, source, tuple(warnings))


def import_nhse(csvs: Sequence[str | Path], out: str | Path, *, quarter: str | None = None,
                scores: str = "published", cut_points: Sequence[float] | None = None
                ) -> ImportResult:
    """NHS England trust-data CSV(s) → a filled template at ``out``, recalculated if possible.

    Cut-points: ``cut_points`` when given (typed into Settings as fixed cut-points); else,
    when the files hold NHS England's averages (OF5002) and unadjusted segments (OF5003), a
    point inside the interval of cut-points those imply (likewise for each domain from
    OF40xx / OF41xx); else quartiles of the trusts imported (with a warning when they are not
    the whole nation). How they were chosen is recorded on Settings (``cut_points_source``)
    and shown on the About and Cut-points sheets. Refuses to overwrite an existing workbook.
    """
    target = Path(out)
    if target.suffix.lower() != ".xlsx":
        raise WorkbookError(f"{target}: the output must be an .xlsx workbook")
    if target.exists():
        raise WorkbookError(f"{target} already exists: choose a new file name (xl-league never "
                            "overwrites a workbook with an import)")
    imported = read_nhse_trust_data(list(csvs), quarter=quarter, scores=scores)  # type: ignore[arg-type]
    book = import_workbook(imported, cut_points)
    path = save_atomic(book.workbook, target)
    return ImportResult(**{f: getattr(book, f) for f in ImportedBook.__dataclass_fields__},
                        path=path)


def choose_cut_points(imported: NhseImport, given: Sequence[float] | None = None,
                      methodology: Methodology | None = None
                      ) -> tuple[Methodology, str, list[str]]:
    """The methodology an import recalculates with, the sentence saying where its cut-points
    come from, and warnings (see :func:`import_nhse`). ``methodology``: the workbook's own
    Settings when importing into an existing workbook (default: the year's)."""
    meth = methodology or load_methodology()
    warnings: list[str] = []
    domains = ""
    if imported.domain_cut_points:
        meth = dataclasses.replace(meth, domain_cut_points=tuple(
            (d, inf.points) for d, inf in imported.domain_cut_points.items()))
        domains = (f"; domain cut-points likewise from the published domain segments of "
                   f"{len(imported.domain_cut_points)} domain(s) (Settings: domain_cut_points)")
    types = imported.organisations["type"]
    counts = types.value_counts()

    def trusts(pool: tuple[str, ...]) -> str:
        return " + ".join(f"{int(counts[t])} {t}" for t in pool if t in counts.index)

    inferred = dict(imported.cut_points)
    if given:
        meth = meth.with_settings(cut_points=tuple(given))
        source = f"given with --cutoffs at import: {', '.join(f'{c:g}' for c in given)}"
        for pool, inf in inferred.items():
            outside = quartiles_inside(given, inf)
            if outside:
                warnings.append(f"--cutoffs c{', c'.join(map(str, outside))} lie outside the "
                                f"cut-points NHS England's published segments imply "
                                f"({inf.text()}): the published segments will not be "
                                "reproduced")
        return meth, source + domains, warnings
    if inferred:
        pool_key, inf = next(iter(inferred.items()))
        pool = tuple(pool_key.split(" + "))
        meth = meth.with_settings(cut_points=inf.points)
        whole = all(t in counts.index for t in pool)
        source = (f"inferred from NHS England's published segments of the {trusts(pool)} "
                  f"trusts imported: {inf.text()}; used {inf.points_text()}")
        if whole:
            averages = imported.published.loc[types.isin(pool).to_numpy(), "average_score"]
            quartiles = quartile_cut_points(averages.to_numpy(dtype=float), meth.quantile_method)
            q_text = ", ".join(f"{q:.3f}" for q in quartiles)
            outside = quartiles_inside(quartiles, inf)
            source += f"; national quartiles of the published averages: {q_text}"
            if outside:
                warnings.append(f"national quartiles of the published averages ({q_text}) "
                                f"lie outside the interval NHS England's segments imply for "
                                f"c{', c'.join(map(str, outside))} ({inf.text()}): the "
                                "inferred cut-points are used")
        else:
            missing = [t for t in pool if t not in counts.index]
            source += (f" (NHS England's cut-points are national; this import has no "
                       f"{', '.join(missing)} trusts, so any point in these intervals "
                       "reproduces its published segments)")
            warnings.append(f"the import holds only {trusts(pool)} trusts of the national pool "
                            f"({', '.join(missing)} missing): NHS England's national cut-points "
                            f"are known only to lie in {inf.text()}; the workbook uses "
                            f"{inf.points_text()} (Settings), which reproduce every published "
                            "segment")
        for other in list(inferred)[1:]:
            warnings.append(f"cut-points inferred for {other} ({inferred[other].text()}) are "
                            f"not used: the workbook holds one set of fixed cut-points, those "
                            f"of {pool_key}")
        return meth, source + domains, warnings
    for pool in meth.national_pools:
        present = [t for t in pool if t in counts.index]
        missing = [t for t in pool if t not in counts.index]
        if present and missing:
            warnings.append(f"the files hold no published segments to infer NHS England's "
                            f"cut-points from, and only {trusts(pool)} trusts of the national "
                            f"pool ({', '.join(missing)} missing): the cut-points are quartiles "
                            "of these trusts only, not national; give NHS England's with "
                            "--cutoffs c1,c2,c3")
    source = "quartiles of the average metric scores of the trusts imported" + (
        " (only part of the national pool, not national)" if warnings else "")
    return meth, source + domains, warnings
