"""xl-league benchmark: every figure the median of several repeats, beside its baseline.

    python benchmarks/run.py [--json] [--repeats N] [--quick] [--profile WHAT]

Figures (seconds unless a ratio):

* the engine (:func:`xl_league.compute_league_tables`) on the national demo dataset (205
  trusts), likely ranges off and on (the methodology's 2,000 resamples), and on 10× and 100×
  as many organisations (per type: 1,340 / 13,400 acute trusts ...; see ``datasets.py``),
  with the growth over the national figure (near-linear = close to 10 and 100);
* likely ranges with 10,000 resamples for 205 organisations, ``likely_ranges`` called
  directly beside drawing the same random numbers alone, and through
  ``compute_league_tables`` beside the engine with likely ranges off;
* ``recalc`` of the demo workbook end to end, beside the floor: openpyxl loading and saving
  that same workbook and nothing else; and LibreOffice headless recalculating a native-formula
  version of the league tables (``native_formulas.py``) beside LibreOffice converting a
  values-only copy of it (null where LibreOffice is not installed);
* one ``NOF_LEAGUE_TABLE`` call (the array UDF) on an Excel-shaped 2-D range of the national
  inputs, beside the engine on the same data frames;
* packs for all 205 organisations: total and per pack, beside openpyxl saving one finished
  pack.

``--json`` prints one JSON object (keys in :data:`REQUIRED_KEYS` and more); otherwise a table.
``--quick`` is a smoke run: one repeat, packs for 10 organisations, no likely ranges at 10×/100×.
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from datasets import likely_range_arguments, scaled_dataset, udf_range  # noqa: E402
from native_formulas import (build_native_workbook, find_soffice, matches_engine,  # noqa: E402
                             time_libreoffice)
from timing import time_median, time_pair  # noqa: E402

REQUIRED_KEYS = ("engine_national_s", "engine_10x_s", "engine_100x_s", "bootstrap_10k_s",
                 "recalc_s", "recalc_floor_s", "recalc_vs_floor_ratio", "libreoffice_recalc_s",
                 "udf_league_table_s", "packs_total_s", "packs_count")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Row:
    """One line of the printed table."""

    figure: str
    key: str
    baseline_label: str
    baseline_key: str | None
    ratio_key: str | None
    note: str = ""


def machine() -> dict[str, object]:
    """nproc, CPU model, memory, Python and library versions, LibreOffice if installed."""
    import numpy
    import openpyxl
    import pandas

    import xl_league

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    soffice = find_soffice()
    libreoffice = None
    if soffice:
        try:
            libreoffice = subprocess.run([soffice, "--version"], capture_output=True, text=True,
                                         timeout=60).stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            libreoffice = None
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": memory_gb,
            "os": platform.platform(), "python": platform.python_version(),
            "numpy": numpy.__version__, "pandas": pandas.__version__,
            "openpyxl": openpyxl.__version__, "xl_league": xl_league.__version__,
            "libreoffice": libreoffice}


# --------------------------------------------------------------------------- the figures

def bench_engine(out: dict, repeats: int, quick: bool) -> None:
    from xl_league import compute_league_tables, load_methodology

    meth = load_methodology()
    off = meth.with_settings(bootstrap_replicates=0)
    national = scaled_dataset(1)
    out["engine_organisations"] = {"national": len(national[0])}
    out["bootstrap_replicates_default"] = meth.bootstrap_replicates
    _log("engine: national, likely ranges off and on")
    t = time_pair(lambda: compute_league_tables(*national, meth),
                  lambda: compute_league_tables(*national, off), repeats)
    out["engine_national_s"] = t.baseline
    out["engine_national_bootstrap_s"] = t.seconds
    out["engine_bootstrap_vs_off_ratio"] = t.ratio
    for factor in (10, 100):
        data = scaled_dataset(factor)
        out["engine_organisations"][f"{factor}x"] = len(data[0])
        _log(f"engine: {factor}x ({len(data[0])} organisations), likely ranges off")
        t = time_pair(lambda: compute_league_tables(*data, off),
                      lambda: compute_league_tables(*national, off), repeats)
        out[f"engine_{factor}x_s"] = t.seconds
        out[f"engine_{factor}x_baseline_national_s"] = t.baseline
        out[f"engine_{factor}x_vs_national_ratio"] = t.ratio
        key = f"engine_{factor}x_bootstrap_s"
        if quick:
            out[key] = out[f"{key[:-2]}_vs_national_ratio"] = None
            out[f"{key[:-2]}_baseline_national_s"] = None
            continue
        _log(f"engine: {factor}x, likely ranges on ({meth.bootstrap_replicates} resamples)")
        t = time_pair(lambda: compute_league_tables(*data, meth),
                      lambda: compute_league_tables(*national, meth),
                      repeats if factor == 10 else min(repeats, 3))
        out[key] = t.seconds
        out[f"engine_{factor}x_bootstrap_baseline_national_s"] = t.baseline
        out[f"engine_{factor}x_bootstrap_vs_national_ratio"] = t.ratio


def bench_bootstrap(out: dict, repeats: int) -> None:
    from xl_league import compute_league_tables, load_methodology
    from xl_league.engine.likely_ranges import likely_ranges

    reps = 10_000
    data = scaled_dataset(1)
    meth = load_methodology().with_settings(bootstrap_replicates=reps)
    off = meth.with_settings(bootstrap_replicates=0)
    results = compute_league_tables(*data, meth)
    args = likely_range_arguments(results)
    direct = likely_ranges(replicates=reps, **args)
    same = direct.equals(results.league[["score_low", "score_high", "rank_low", "rank_high"]]
                         .astype(float))
    kmax = int(args["scores"][args["counted"]].notna().sum(axis=1).max())
    n = len(results.league)

    def draws_alone() -> None:
        """The random numbers the resampling needs (reps × n × kmax), in 1 M-number chunks."""
        rng = np.random.default_rng(args["seed"])
        chunk = max(1, 1_000_000 // (n * kmax))
        for start in range(0, reps, chunk):
            rng.random((min(chunk, reps - start), n, kmax))

    _log(f"likely ranges: {reps} resamples x {n} organisations, directly")
    t = time_pair(lambda: likely_ranges(replicates=reps, **args), draws_alone, repeats)
    out["bootstrap_10k_s"] = t.seconds
    out["bootstrap_10k_floor_s"] = t.baseline
    out["bootstrap_10k_vs_floor_ratio"] = t.ratio
    out["bootstrap_10k_same_as_pipeline"] = bool(same)
    _log("likely ranges: 10,000 resamples through compute_league_tables")
    t = time_pair(lambda: compute_league_tables(*data, meth),
                  lambda: compute_league_tables(*data, off), repeats)
    out["bootstrap_10k_pipeline_s"] = t.seconds
    out["bootstrap_10k_pipeline_baseline_s"] = t.baseline
    out["bootstrap_10k_pipeline_vs_off_ratio"] = t.ratio


def bench_recalc(out: dict, repeats: int, work: Path, quick: bool) -> None:
    from openpyxl import load_workbook

    from xl_league.jobs import make_demo
    from xl_league.run import RunSettings
    from xl_league.workbook_io.recalc import recalc_workbook

    _log("recalc: building the demo workbook")
    demo, results = make_demo(work / "demo")
    target = work / "recalc.xlsx"
    floor_out = work / "floor.xlsx"

    def copy() -> None:
        shutil.copyfile(demo, target)

    def floor() -> None:
        load_workbook(demo).save(floor_out)

    _log("recalc: recalc_workbook beside openpyxl load + save")
    copy()
    recalc_workbook(target)  # warm-up: imports, caches
    t = time_pair(lambda: recalc_workbook(target), floor, repeats, setup=copy)
    out["recalc_s"] = t.seconds
    out["recalc_floor_s"] = t.baseline
    out["recalc_vs_floor_ratio"] = t.ratio
    out["recalc_workbook_bytes"] = demo.stat().st_size
    _log("recalc: likely ranges off (--replicates 0) beside openpyxl load + save")
    t = time_pair(lambda: recalc_workbook(target, None, RunSettings(replicates=0)), floor, repeats, setup=copy)
    out["recalc_no_ranges_s"] = t.seconds
    out["recalc_no_ranges_floor_s"] = t.baseline
    out["recalc_no_ranges_vs_floor_ratio"] = t.ratio

    soffice = find_soffice()
    out["libreoffice_recalc_s"] = out["libreoffice_floor_s"] = None
    out["libreoffice_vs_floor_ratio"] = out["libreoffice_vs_recalc_ratio"] = None
    out["libreoffice_vs_recalc_no_ranges_ratio"] = None
    out["libreoffice_matches_engine"] = None
    if soffice is None:
        _log("LibreOffice: not installed, skipped")
        return
    _log("LibreOffice: native-formula workbook, recalculated headless")
    native = build_native_workbook(results, work / "native-formulas.xlsx")
    seconds, floor_s, computed = time_libreoffice(soffice, native, work / "lo",
                                                  1 if quick else min(repeats, 3))
    out["libreoffice_recalc_s"] = seconds
    out["libreoffice_floor_s"] = floor_s
    out["libreoffice_vs_floor_ratio"] = seconds / floor_s
    out["libreoffice_vs_recalc_ratio"] = seconds / out["recalc_s"]
    out["libreoffice_vs_recalc_no_ranges_ratio"] = seconds / out["recalc_no_ranges_s"]
    out["libreoffice_matches_engine"] = matches_engine(computed, results)


def bench_udf(out: dict, repeats: int) -> None:
    from xl_league import compute_league_tables
    from xl_league.excel.udfs import league_table

    orgs, values = scaled_dataset(1)
    grid = udf_range(orgs, values)
    table = league_table(grid)
    if not (isinstance(table, list) and len(table) == len(orgs) + 1):
        raise RuntimeError(f"NOF_LEAGUE_TABLE did not return a table: {table!r}"[:300])
    _log(f"UDF: NOF_LEAGUE_TABLE on a {len(grid)} x {len(grid[0])} range")
    t = time_pair(lambda: league_table(grid), lambda: compute_league_tables(orgs, values),
                  repeats)
    out["udf_league_table_s"] = t.seconds
    out["udf_engine_s"] = t.baseline
    out["udf_vs_engine_ratio"] = t.ratio
    out["udf_range_cells"] = len(grid) * len(grid[0])


def bench_packs(out: dict, repeats: int, work: Path, quick: bool) -> None:
    from openpyxl import load_workbook

    from xl_league.jobs import make_demo
    from xl_league.packs import write_packs

    _, results = make_demo(work / "packs-demo")
    codes = list(results.league.index[:10]) if quick else None
    count = len(codes) if codes else len(results.league)
    per_pack: list[float] = []
    totals: list[float] = []
    paths: list[Path] = []
    for i in range(1 if quick else max(1, min(repeats, 3))):
        _log(f"packs: {count} organisations (repeat {i + 1})")
        folder = work / f"packs-{i}"
        marks = [time.perf_counter()]

        def tick(done: int, total: int) -> None:
            marks.append(time.perf_counter())

        start = time.perf_counter()
        paths = write_packs(results, folder, codes=codes, quarter="Q2 2025/26 (synthetic)",
                            progress=tick)
        totals.append(time.perf_counter() - start)
        per_pack += [b - a for a, b in zip(marks, marks[1:])]
    one = load_workbook(paths[0])
    save_floor = time_median(lambda: one.save(work / "pack-floor.xlsx"), repeats)
    out["packs_count"] = count
    out["packs_total_s"] = float(np.median(totals))
    out["packs_per_pack_s"] = out["packs_total_s"] / count
    out["packs_per_pack_median_s"] = float(np.median(per_pack))
    out["packs_save_floor_s"] = save_floor.seconds
    out["packs_per_pack_vs_save_ratio"] = out["packs_per_pack_median_s"] / save_floor.seconds


# --------------------------------------------------------------------------- presentation

ROWS = [
    Row("Engine, national (205), likely ranges off", "engine_national_s", "", None, None),
    Row("Engine, national, likely ranges on", "engine_national_bootstrap_s",
        "likely ranges off", "engine_national_s", "engine_bootstrap_vs_off_ratio"),
    Row("Engine, 10x organisations, off", "engine_10x_s", "national, off",
        "engine_10x_baseline_national_s", "engine_10x_vs_national_ratio", "linear = 10"),
    Row("Engine, 100x organisations, off", "engine_100x_s", "national, off",
        "engine_100x_baseline_national_s", "engine_100x_vs_national_ratio", "linear = 100"),
    Row("Engine, 10x organisations, on", "engine_10x_bootstrap_s", "national, on",
        "engine_10x_bootstrap_baseline_national_s", "engine_10x_bootstrap_vs_national_ratio",
        "linear = 10"),
    Row("Engine, 100x organisations, on", "engine_100x_bootstrap_s", "national, on",
        "engine_100x_bootstrap_baseline_national_s", "engine_100x_bootstrap_vs_national_ratio",
        "linear = 100"),
    Row("Likely ranges, 10,000 resamples (direct)", "bootstrap_10k_s",
        "its random draws alone", "bootstrap_10k_floor_s", "bootstrap_10k_vs_floor_ratio"),
    Row("Engine with 10,000 resamples", "bootstrap_10k_pipeline_s", "likely ranges off",
        "bootstrap_10k_pipeline_baseline_s", "bootstrap_10k_pipeline_vs_off_ratio"),
    Row("recalc, demo workbook", "recalc_s", "openpyxl load + save",
        "recalc_floor_s", "recalc_vs_floor_ratio", "target <= 1.5"),
    Row("recalc --replicates 0 (no likely ranges)", "recalc_no_ranges_s",
        "openpyxl load + save", "recalc_no_ranges_floor_s", "recalc_no_ranges_vs_floor_ratio"),
    Row("LibreOffice recalc, native formulas", "libreoffice_recalc_s",
        "LibreOffice, values only", "libreoffice_floor_s", "libreoffice_vs_floor_ratio",
        "no likely ranges"),
    Row("LibreOffice recalc vs xl-league recalc", "libreoffice_recalc_s",
        "recalc --replicates 0", "recalc_no_ranges_s", "libreoffice_vs_recalc_no_ranges_ratio",
        "steps 1-6, start-up incl."),
    Row("NOF_LEAGUE_TABLE (one array UDF call)", "udf_league_table_s", "engine on frames",
        "udf_engine_s", "udf_vs_engine_ratio"),
    Row("Packs, total", "packs_total_s", "", None, None),
    Row("Packs, per pack (median)", "packs_per_pack_median_s", "openpyxl save of a pack",
        "packs_save_floor_s", "packs_per_pack_vs_save_ratio"),
]


def _seconds(value: object) -> str:
    if value is None:
        return "n/a"
    v = float(value)  # type: ignore[arg-type]
    return f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s"


def render(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    m = out["machine"]
    table = Table(title=f"xl-league benchmark (median of {out['repeats']} repeats"
                        f"{', quick' if out['quick'] else ''})", title_justify="left")
    for name, just in (("Figure", "left"), ("Value", "right"), ("Baseline", "left"),
                       ("Baseline value", "right"), ("Ratio", "right"), ("Note", "left")):
        table.add_column(name, justify=just)
    for row in ROWS:
        ratio = out.get(row.ratio_key) if row.ratio_key else None
        table.add_row(row.figure, _seconds(out.get(row.key)), row.baseline_label,
                      _seconds(out.get(row.baseline_key)) if row.baseline_key else "",
                      "" if ratio is None else f"{ratio:.2f}x", row.note)
    table.add_row("Packs written", str(out["packs_count"]), "", "", "", "")
    console = Console()
    if not console.is_terminal or console.width < 150:
        console = Console(width=150)  # the table whole, when piped into a file or a README
    console.print(table)
    console.print(f"LibreOffice's figures equal the engine's: {out['libreoffice_matches_engine']}; "
                  f"direct likely ranges equal the pipeline's: "
                  f"{out['bootstrap_10k_same_as_pipeline']}")
    console.print(f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gb']} GB, "
                  f"Python {m['python']}, numpy {m['numpy']}, pandas {m['pandas']}, "
                  f"openpyxl {m['openpyxl']}, {m['libreoffice'] or 'no LibreOffice'}")


def profile(what: str, work: Path) -> None:
    """cProfile one figure; the 25 most expensive functions (cumulative) go to stderr."""
    from xl_league import compute_league_tables, load_methodology
    from xl_league.jobs import make_demo
    from xl_league.packs import write_packs
    from xl_league.workbook_io.recalc import recalc_workbook

    demo, results = make_demo(work / "demo")
    target = work / "profiled.xlsx"
    shutil.copyfile(demo, target)
    national = scaled_dataset(1)
    jobs: dict[str, Callable[[], object]] = {
        "recalc": lambda: recalc_workbook(target),
        "engine": lambda: compute_league_tables(*national),
        "bootstrap": lambda: compute_league_tables(
            *national, load_methodology().with_settings(bootstrap_replicates=10_000)),
        "packs": lambda: write_packs(results, work / "packs",
                                     codes=list(results.league.index[:20])),
    }
    prof = cProfile.Profile()
    prof.runcall(jobs[what])
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(25)
    print(text.getvalue(), file=sys.stderr)


def run(repeats: int, quick: bool) -> dict[str, object]:
    out: dict[str, object] = {"repeats": repeats, "quick": quick, "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="xl-league-bench-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        bench_engine(out, repeats, quick)
        bench_bootstrap(out, repeats)
        bench_recalc(out, repeats, work, quick)
        bench_udf(out, repeats)
        bench_packs(out, repeats, work, quick)
        out["benchmark_wall_s"] = time.perf_counter() - started
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=None,
                        help="repeats per figure (default 5; 1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: one repeat, 10 packs, no likely ranges at 10x/100x")
    parser.add_argument("--profile", choices=["recalc", "engine", "bootstrap", "packs"],
                        help="cProfile one figure instead (report on stderr)")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be 1 or more")
    if args.profile:
        with tempfile.TemporaryDirectory(prefix="xl-league-profile-") as tmp:
            profile(args.profile, Path(tmp))
        return 0
    repeats = args.repeats or (1 if args.quick else 5)
    out = run(repeats, args.quick)
    missing = [k for k in REQUIRED_KEYS if k not in out]
    if missing:
        raise RuntimeError(f"benchmark lost figures: {missing}")
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        render(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
