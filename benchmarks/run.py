"""xl-league benchmark: every figure min / median / max of several runs, beside its baseline.

    python benchmarks/run.py [--json] [--repeats N] [--quick] [--profile WHAT]

Whole processes — what a user waits for, start-up included, each run a fresh process:

* ``xl-league --help`` beside ``python -c "import pandas"``;
* ``xl-league recalc`` of the demo workbook (1×) and of ``xl-league demo --scale 10`` (2,050
  trusts), in place, beside a ``python -c`` that loads the same workbook with openpyxl and saves
  it ("openpyxl load + save": a baseline, not a floor — recalc reads less than that);
* ``xl-league packs`` for every organisation of the demo workbook beside that load + save;
* peak resident memory of the engine at 100× with and without likely ranges (full run only).

xl-league runs as installed: its modules' bytecode is compiled first (``compileall``), as
``pip install`` does for a user. Without that, an editable install under
``PYTHONDONTWRITEBYTECODE=1`` (as on the development machines) compiles every module of the
package from source in every process, ~0.1 s that no user's installed copy pays; the
baselines' libraries (pandas, openpyxl) were compiled when pip installed them.

In-process figures (seconds unless a ratio), as before:

* the engine (:func:`xl_league.compute_league_tables`) on the national demo dataset (205
  trusts), likely ranges off and on (the methodology's 2,000 resamples), and on 10× and 100×
  as many organisations (:func:`xl_league.demo.scaled_demo_dataset`: 1,340 / 13,400 acute
  trusts ...), with the growth over the national figure (near-linear = close to 10 and 100);
* likely ranges with 10,000 resamples for 205 organisations, ``likely_ranges`` called
  directly beside drawing the same random numbers alone (a floor), and through
  ``compute_league_tables`` beside the engine with likely ranges off;
* ``recalc_workbook`` beside openpyxl loading and saving that same workbook; LibreOffice
  headless recalculating a native-formula version of the league tables (``native_formulas.py``)
  beside LibreOffice converting a values-only copy of it (its floor; null where LibreOffice
  is not installed);
* one ``NOF_LEAGUE_TABLE`` call (the array UDF) on an Excel-shaped 2-D range of the national
  inputs, beside the engine on the same data frames;
* packs for all 205 organisations: total and per pack, beside openpyxl saving one finished
  pack (a baseline, not a floor).

Every figure and its baseline are timed in pairs, baseline first, alternately; a ratio is the
median of the per-pair ratios. Top-level keys hold medians (the keys of earlier versions are
kept: ``recalc_floor_s`` and ``packs_save_floor_s`` are the openpyxl baselines above, named
before they were known not to be floors); ``spread`` holds min / median / max / n of every
figure, ``pair_ratios`` every ratio's per-pair values.

``--json`` prints one JSON object (keys in :data:`REQUIRED_KEYS` and more); otherwise a table.
``--quick`` is a smoke run: one pair per figure, packs for 10 organisations, no 100×, no
likely ranges at 10×, no 10× recalc, 2,000 rather than 10,000 resamples for the direct
likely-ranges figures, no LibreOffice warm-up (its figure includes creating its profile).
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
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
from processes import (OPENPYXL_LOAD_SAVE, python_command, run_process,  # noqa: E402
                       time_process_pair, xl_league_command)
from timing import Timing, spread, time_median, time_pair  # noqa: E402

REQUIRED_KEYS = ("engine_national_s", "engine_10x_s", "engine_100x_s", "bootstrap_10k_s",
                 "recalc_s", "recalc_floor_s", "recalc_vs_floor_ratio", "libreoffice_recalc_s",
                 "udf_league_table_s", "packs_total_s", "packs_count",
                 "recalc_process_ratio_1x", "recalc_process_ratio_10x", "help_vs_pandas_import",
                 "packs_process_s")
_STARTED = time.perf_counter()


def _log(message: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def record(out: dict, timing: Timing, key: str, baseline_key: str | None = None,
           ratio_key: str | None = None) -> None:
    """Medians under ``key`` / ``baseline_key``, the median pair ratio under ``ratio_key``;
    min / median / max of each in ``out["spread"]``, the pair ratios in ``out["pair_ratios"]``."""
    out[key] = timing.seconds
    out.setdefault("spread", {})[key] = spread(timing.samples)
    if baseline_key:
        out[baseline_key] = timing.baseline
        out["spread"][baseline_key] = spread(timing.baseline_samples)
    if ratio_key:
        out[ratio_key] = timing.ratio
        out.setdefault("pair_ratios", {})[ratio_key] = list(timing.pair_ratios)
        out["spread"][ratio_key] = spread(timing.pair_ratios)
    line = f"  {key} {_figure_text(out, key)}"
    if baseline_key:
        line += f"; {baseline_key} {_figure_text(out, baseline_key)}"
    if ratio_key and timing.ratio is not None:
        line += f"; {ratio_key} {_ratio_text(out, ratio_key)}"
    _log(line)


def _figure_text(out: dict, key: str) -> str:
    median, rng = _figure(out, key)
    return f"{median} ({rng})" if rng else median


def _ratio_text(out: dict, key: str) -> str:
    median, rng = _ratio(out, key)
    return f"{median} (pairs {rng})" if rng else median


def left_out(out: dict, *keys: str) -> None:
    """Figures a quick run leaves out: null."""
    for key in keys:
        out[key] = None


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
            "libreoffice": libreoffice, "load_average": _load_average()}


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
    record(out, t, "engine_national_bootstrap_s", "engine_national_s",
           "engine_bootstrap_vs_off_ratio")
    out["spread"]["engine_national_s"] = spread(t.baseline_samples)
    for factor in (10, 100):
        prefix = f"engine_{factor}x"
        if quick and factor == 100:
            left_out(out, f"{prefix}_s", f"{prefix}_baseline_national_s",
                     f"{prefix}_vs_national_ratio", f"{prefix}_bootstrap_s",
                     f"{prefix}_bootstrap_baseline_national_s",
                     f"{prefix}_bootstrap_vs_national_ratio")
            continue
        data = scaled_dataset(factor)
        out["engine_organisations"][f"{factor}x"] = len(data[0])
        _log(f"engine: {factor}x ({len(data[0])} organisations), likely ranges off")
        t = time_pair(lambda: compute_league_tables(*data, off),
                      lambda: compute_league_tables(*national, off), repeats)
        record(out, t, f"{prefix}_s", f"{prefix}_baseline_national_s",
               f"{prefix}_vs_national_ratio")
        if quick:
            left_out(out, f"{prefix}_bootstrap_s", f"{prefix}_bootstrap_baseline_national_s",
                     f"{prefix}_bootstrap_vs_national_ratio")
            continue
        _log(f"engine: {factor}x, likely ranges on ({meth.bootstrap_replicates} resamples)")
        t = time_pair(lambda: compute_league_tables(*data, meth),
                      lambda: compute_league_tables(*national, meth),
                      repeats if factor == 10 else min(repeats, 3))
        record(out, t, f"{prefix}_bootstrap_s", f"{prefix}_bootstrap_baseline_national_s",
               f"{prefix}_bootstrap_vs_national_ratio")


def bench_bootstrap(out: dict, repeats: int, quick: bool) -> None:
    from xl_league import compute_league_tables, load_methodology
    from xl_league.engine.likely_ranges import likely_ranges

    reps = 2_000 if quick else 10_000
    data = scaled_dataset(1)
    meth = load_methodology().with_settings(bootstrap_replicates=reps)
    off = meth.with_settings(bootstrap_replicates=0)
    args = likely_range_arguments(compute_league_tables(*data, off))
    kmax = int(args["scores"][args["counted"]].notna().sum(axis=1).max())
    n = len(args["scores"])
    out["bootstrap_10k_replicates"] = reps

    def draws_alone() -> None:
        """The random numbers the resampling needs (reps × n × kmax), in 1 M-number chunks."""
        rng = np.random.default_rng(args["seed"])
        chunk = max(1, 1_000_000 // (n * kmax))
        for start in range(0, reps, chunk):
            rng.random((min(chunk, reps - start), n, kmax))

    direct: list = []
    _log(f"likely ranges: {reps} resamples x {n} organisations, directly")
    t = time_pair(lambda: direct.append(likely_ranges(replicates=reps, **args)), draws_alone,
                  repeats)
    record(out, t, "bootstrap_10k_s", "bootstrap_10k_floor_s", "bootstrap_10k_vs_floor_ratio")
    piped: list = []
    _log(f"likely ranges: {reps} resamples through compute_league_tables")
    t = time_pair(lambda: piped.append(compute_league_tables(*data, meth)),
                  lambda: compute_league_tables(*data, off), repeats)
    record(out, t, "bootstrap_10k_pipeline_s", "bootstrap_10k_pipeline_baseline_s",
           "bootstrap_10k_pipeline_vs_off_ratio")
    ranges = piped[0].league[["score_low", "score_high", "rank_low", "rank_high"]].astype(float)
    out["bootstrap_10k_same_as_pipeline"] = bool(direct[0].equals(ranges))


def bench_recalc(out: dict, repeats: int, work: Path, quick: bool, demo: Path, results) -> None:
    from openpyxl import load_workbook

    from xl_league.run import RunSettings
    from xl_league.workbook_io.recalc import recalc_workbook

    target = work / "recalc.xlsx"
    load_save_out = work / "load-save.xlsx"

    def copy() -> None:
        shutil.copyfile(demo, target)

    def load_save() -> None:
        load_workbook(demo).save(load_save_out)

    _log("recalc: recalc_workbook beside openpyxl load + save")
    copy()
    if not quick:
        recalc_workbook(target)  # warm-up: imports, caches
    t = time_pair(lambda: recalc_workbook(target), load_save, repeats, setup=copy)
    record(out, t, "recalc_s", "recalc_floor_s", "recalc_vs_floor_ratio")
    out["recalc_workbook_bytes"] = demo.stat().st_size
    _log("recalc: likely ranges off (--replicates 0) beside openpyxl load + save")
    t = time_pair(lambda: recalc_workbook(target, None, RunSettings(replicates=0)), load_save,
                  repeats, setup=copy)
    record(out, t, "recalc_no_ranges_s", "recalc_no_ranges_floor_s",
           "recalc_no_ranges_vs_floor_ratio")

    soffice = find_soffice()
    left_out(out, "libreoffice_recalc_s", "libreoffice_floor_s", "libreoffice_vs_floor_ratio",
             "libreoffice_vs_recalc_ratio", "libreoffice_vs_recalc_no_ranges_ratio",
             "libreoffice_matches_engine")
    if soffice is None:
        _log("LibreOffice: not installed, skipped")
        return
    _log("LibreOffice: native-formula workbook, recalculated headless")
    native = build_native_workbook(results, work / "native-formulas.xlsx")
    t, computed = time_libreoffice(soffice, native, work / "lo", 1 if quick else min(repeats, 3),
                                   warm_up=not quick)
    record(out, t, "libreoffice_recalc_s", "libreoffice_floor_s", "libreoffice_vs_floor_ratio")
    # LibreOffice runs as a process (start-up included), recalc in-process: not paired
    out["libreoffice_vs_recalc_ratio"] = t.seconds / out["recalc_s"]
    out["libreoffice_vs_recalc_no_ranges_ratio"] = t.seconds / out["recalc_no_ranges_s"]
    out["libreoffice_matches_engine"] = matches_engine(computed, results)


def bench_udf(out: dict, repeats: int) -> None:
    from xl_league import compute_league_tables
    from xl_league.excel.udfs import clear_caches, league_table

    orgs, values = scaled_dataset(1)
    grid = udf_range(orgs, values)
    table = league_table(grid)
    if not (isinstance(table, list) and len(table) == len(orgs) + 1):
        raise RuntimeError(f"NOF_LEAGUE_TABLE did not return a table: {table!r}"[:300])
    _log(f"UDF: NOF_LEAGUE_TABLE on a {len(grid)} x {len(grid[0])} range")
    def uncached() -> None:  # the function's first call on these inputs, not a cache hit
        clear_caches()
        league_table(grid)

    t = time_pair(uncached, lambda: compute_league_tables(orgs, values), repeats)
    record(out, t, "udf_league_table_s", "udf_engine_s", "udf_vs_engine_ratio")
    cached = time_median(lambda: league_table(grid), repeats)
    out["udf_league_table_cached_s"] = cached.seconds
    out["udf_range_cells"] = len(grid) * len(grid[0])


def bench_packs(out: dict, repeats: int, work: Path, quick: bool, results) -> None:
    from openpyxl import load_workbook

    from xl_league.packs import write_packs

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
    save = time_median(lambda: one.save(work / "pack-save.xlsx"), repeats)
    out["packs_count"] = count
    record(out, Timing(tuple(totals)), "packs_total_s")
    out["packs_per_pack_s"] = out["packs_total_s"] / count
    record(out, Timing(tuple(per_pack)), "packs_per_pack_median_s")
    record(out, save, "packs_save_floor_s")
    out["packs_per_pack_vs_save_ratio"] = out["packs_per_pack_median_s"] / save.seconds


def _compile_bytecode() -> bool:
    """Compile xl-league's modules as ``pip install`` does; False when they could not be
    written (then every process compiles them from source, and the figures say so)."""
    import compileall

    import xl_league

    with contextlib.redirect_stdout(io.StringIO()):
        return bool(compileall.compile_dir(Path(xl_league.__file__).parent, quiet=2))


def bench_processes(out: dict, repeats: int, work: Path, quick: bool, demo: Path,
                    codes: list[str]) -> None:
    """Whole processes, each beside its baseline process, in alternating pairs."""
    xl = xl_league_command()
    out["bytecode_compiled"] = _compile_bytecode()
    pairs = 1 if quick else repeats
    start_up_pairs = 1 if quick else max(3, 2 * repeats)  # start-up is short and noisy
    _log(f"processes: xl-league --help beside python -c 'import pandas' ({start_up_pairs}"
         " pairs)")
    t = time_process_pair(xl + ["--help"], python_command("import pandas"), start_up_pairs,
                          work)
    record(out, t, "help_process_s", "pandas_import_process_s", "help_vs_pandas_import")

    books = {"1x": demo}
    if quick:
        left_out(out, "recalc_process_10x_s", "recalc_process_10x_load_save_s",
                 "recalc_process_ratio_10x", "demo_scale_10_process_s",
                 "recalc_10x_workbook_bytes")
    else:
        _log("processes: xl-league demo --scale 10")
        seconds, _ = run_process(xl + ["demo", "--scale", "10", "-o", "demo-10x"], work)
        out["demo_scale_10_process_s"] = seconds
        _log(f"  demo_scale_10_process_s {seconds:.2f} s")
        books["10x"] = work / "demo-10x" / "nof-league-tables-demo.xlsx"
        out["recalc_10x_workbook_bytes"] = books["10x"].stat().st_size
    for scale, book in books.items():
        target = work / f"recalc-process-{scale}.xlsx"
        _log(f"processes: xl-league recalc ({scale}) beside openpyxl load + save ({pairs} pairs)")
        t = time_process_pair(xl + ["recalc", target.name],
                              python_command(OPENPYXL_LOAD_SAVE, book, f"load-save-{scale}.xlsx"),
                              pairs, work, setup=lambda: shutil.copyfile(book, target))
        record(out, t, f"recalc_process_{scale}_s", f"recalc_process_{scale}_load_save_s",
               f"recalc_process_ratio_{scale}")

    org_args = [a for code in codes for a in ("--org", code)]
    pairs = 1 if quick else min(repeats, 3)
    _log(f"processes: xl-league packs ({len(codes) or 'all'} organisations) beside openpyxl "
         f"load + save of the demo workbook ({pairs} pairs)")
    t = time_process_pair(
        xl + ["packs", str(demo), "-o", "packs-process"] + org_args,
        python_command(OPENPYXL_LOAD_SAVE, demo, "load-save-packs.xlsx"), pairs, work,
        setup=lambda: shutil.rmtree(work / "packs-process", ignore_errors=True))
    record(out, t, "packs_process_s", "packs_process_load_save_s",
           "packs_process_vs_load_save_ratio")
    out["packs_process_count"] = len(list((work / "packs-process").glob("*.xlsx")))

    if quick:
        left_out(out, "engine_100x_peak_mib", "engine_100x_bootstrap_peak_mib",
                 "engine_100x_process_s", "engine_100x_bootstrap_process_s")
        return
    for key, reps in (("engine_100x_peak_mib", 0), ("engine_100x_bootstrap_peak_mib", 2000)):
        _log(f"processes: peak memory of the engine at 100x, {reps} resamples")
        code = ("import sys; sys.path.insert(0, sys.argv[1]); from datasets import scaled_dataset;"
                " from xl_league import compute_league_tables, load_methodology;"
                " compute_league_tables(*scaled_dataset(100), load_methodology().with_settings("
                f"bootstrap_replicates={reps}))")
        seconds, peak = run_process(python_command(code, Path(__file__).resolve().parent), work)
        out[key] = peak
        out[key.replace("_peak_mib", "_process_s")] = seconds
        _log(f"  {key} {peak:.0f} MiB ({seconds:.1f} s)")


# --------------------------------------------------------------------------- presentation

ROWS = [
    Row("xl-league --help (process)", "help_process_s", "python -c 'import pandas'",
        "pandas_import_process_s", "help_vs_pandas_import", "target <= 0.5"),
    Row("xl-league recalc, demo workbook (process)", "recalc_process_1x_s",
        "openpyxl load + save (process)", "recalc_process_1x_load_save_s",
        "recalc_process_ratio_1x", "target <= 1.5"),
    Row("xl-league recalc, demo --scale 10 (process)", "recalc_process_10x_s",
        "openpyxl load + save (process)", "recalc_process_10x_load_save_s",
        "recalc_process_ratio_10x", "target <= 0.8"),
    Row("xl-league packs, all (process)", "packs_process_s",
        "openpyxl load + save of the demo (process)", "packs_process_load_save_s",
        "packs_process_vs_load_save_ratio", "target <= 10"),
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
        "its random draws alone (floor)", "bootstrap_10k_floor_s",
        "bootstrap_10k_vs_floor_ratio"),
    Row("Engine with 10,000 resamples", "bootstrap_10k_pipeline_s", "likely ranges off",
        "bootstrap_10k_pipeline_baseline_s", "bootstrap_10k_pipeline_vs_off_ratio"),
    Row("recalc_workbook, demo (in-process)", "recalc_s", "openpyxl load + save",
        "recalc_floor_s", "recalc_vs_floor_ratio"),
    Row("recalc --replicates 0 (in-process)", "recalc_no_ranges_s",
        "openpyxl load + save", "recalc_no_ranges_floor_s", "recalc_no_ranges_vs_floor_ratio"),
    Row("LibreOffice recalc, native formulas", "libreoffice_recalc_s",
        "LibreOffice, values only (floor)", "libreoffice_floor_s", "libreoffice_vs_floor_ratio",
        "no likely ranges"),
    Row("LibreOffice recalc vs xl-league recalc", "libreoffice_recalc_s",
        "recalc --replicates 0", "recalc_no_ranges_s", "libreoffice_vs_recalc_no_ranges_ratio",
        "process vs in-process, unpaired"),
    Row("NOF_LEAGUE_TABLE (one array UDF call)", "udf_league_table_s", "engine on frames",
        "udf_engine_s", "udf_vs_engine_ratio"),
    Row("Packs, total (in-process)", "packs_total_s", "", None, None),
    Row("Packs, per pack (median)", "packs_per_pack_median_s", "openpyxl save of a pack",
        "packs_save_floor_s", "packs_per_pack_vs_save_ratio", "unpaired"),
]


def _seconds(value: object) -> str:
    if value is None:
        return "n/a"
    v = float(value)  # type: ignore[arg-type]
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"


def _figure(out: dict, key: str | None) -> tuple[str, str]:
    """(median, "min - max") of a figure."""
    if key is None:
        return "", ""
    s = out.get("spread", {}).get(key)
    rng = f"{_seconds(s['min'])} - {_seconds(s['max'])}" if s and s["n"] > 1 else ""
    return _seconds(out.get(key)), rng


def _ratio(out: dict, key: str | None) -> tuple[str, str]:
    value = out.get(key) if key else None
    if value is None:
        return "", ""
    s = out.get("spread", {}).get(key)
    rng = f"{s['min']:.2f} - {s['max']:.2f}" if s and s["n"] > 1 else ""
    return f"{value:.2f}x", rng


def render(out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    m = out["machine"]
    table = Table(title=f"xl-league benchmark (median of {out['repeats']} runs, min - max;"
                        f" ratios: median of alternating pairs"
                        f"{'; quick' if out['quick'] else ''})", title_justify="left")
    for name, just in (("Figure", "left"), ("Median", "right"), ("Min - max", "right"),
                       ("Baseline", "left"), ("Median", "right"), ("Min - max", "right"),
                       ("Ratio", "right"), ("Pairs min - max", "right"), ("Note", "left")):
        table.add_column(name, justify=just)
    reps = out.get("bootstrap_10k_replicates", 10_000)
    for row in ROWS:
        figure = row.figure.replace("10,000", f"{reps:,}") if "bootstrap_10k" in row.key \
            else row.figure
        table.add_row(figure, *_figure(out, row.key), row.baseline_label,
                      *_figure(out, row.baseline_key), *_ratio(out, row.ratio_key), row.note)
    console = Console()
    if not console.is_terminal or console.width < 170:
        console = Console(width=170)  # the table whole, when piped into a file or a README
    console.print(table)
    console.print(f"Packs written: {out['packs_count']} in-process, "
                  f"{out['packs_process_count']} by the process. Peak memory of the engine at "
                  f"100x: {_mib(out.get('engine_100x_peak_mib'))} without likely ranges, "
                  f"{_mib(out.get('engine_100x_bootstrap_peak_mib'))} with 2,000 resamples.")
    console.print(f"LibreOffice's figures equal the engine's: {out['libreoffice_matches_engine']}; "
                  f"direct likely ranges equal the pipeline's: "
                  f"{out['bootstrap_10k_same_as_pipeline']}")
    console.print("xl-league's bytecode compiled before the processes ran (as pip install "
                  f"does): {out.get('bytecode_compiled')}")
    console.print(f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_gb']} GB, "
                  f"load average {m.get('load_average')}, Python {m['python']}, "
                  f"numpy {m['numpy']}, pandas {m['pandas']}, openpyxl {m['openpyxl']}, "
                  f"{m['libreoffice'] or 'no LibreOffice'}")


def _mib(value) -> str:
    return "n/a" if value is None else f"{value:.0f} MiB"


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
    from xl_league.jobs import make_demo

    out: dict[str, object] = {"repeats": repeats, "quick": quick, "machine": machine()}
    with tempfile.TemporaryDirectory(prefix="xl-league-bench-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        _log("the demo workbook")
        demo, results = make_demo(work / "demo")
        codes = list(results.league.index[:10]) if quick else []
        bench_processes(out, repeats, work, quick, demo, codes)
        bench_engine(out, repeats, quick)
        bench_bootstrap(out, repeats, quick)
        bench_recalc(out, repeats, work, quick, demo, results)
        bench_udf(out, repeats)
        bench_packs(out, repeats, work, quick, results)
        out["benchmark_wall_s"] = time.perf_counter() - started
    out["machine"]["load_average_after"] = _load_average()
    return out


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--repeats", type=int, default=None,
                        help="repeats per figure (default 5; 1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: one pair per figure, 10 packs, no 100x, no 10x recalc,"
                             " no likely ranges at 10x")
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
