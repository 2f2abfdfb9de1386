"""``benchmarks/run.py --quick --json`` runs from the repository and reports every figure.

The script runs in a child process exactly as a user would run it; the test checks the JSON
object it prints has every figure the README and the acceptance check read, with the right
types, each with its min / median / max, and every paired ratio the median of its pairs. No
timing is asserted (the figures depend on the machine).
"""

from __future__ import annotations

import json
import math
import statistics
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "run.py"
SECONDS = ["engine_national_s", "engine_10x_s", "bootstrap_10k_s",
           "recalc_s", "recalc_floor_s", "udf_league_table_s", "packs_total_s",
           "engine_national_bootstrap_s", "bootstrap_10k_floor_s", "bootstrap_10k_pipeline_s",
           "recalc_no_ranges_s", "udf_engine_s", "packs_per_pack_s", "packs_per_pack_median_s",
           "packs_save_floor_s", "help_process_s", "pandas_import_process_s",
           "recalc_process_1x_s", "recalc_process_1x_load_save_s", "packs_process_s",
           "packs_process_load_save_s"]
RATIOS = ["recalc_vs_floor_ratio", "engine_10x_vs_national_ratio",
          "bootstrap_10k_vs_floor_ratio", "udf_vs_engine_ratio", "packs_per_pack_vs_save_ratio",
          "recalc_no_ranges_vs_floor_ratio", "help_vs_pandas_import", "recalc_process_ratio_1x",
          "packs_process_vs_load_save_ratio"]
#: Paired figures: (figure, baseline, ratio).
PAIRED = [("recalc_s", "recalc_floor_s", "recalc_vs_floor_ratio"),
          ("bootstrap_10k_s", "bootstrap_10k_floor_s", "bootstrap_10k_vs_floor_ratio"),
          ("help_process_s", "pandas_import_process_s", "help_vs_pandas_import"),
          ("recalc_process_1x_s", "recalc_process_1x_load_save_s", "recalc_process_ratio_1x"),
          ("packs_process_s", "packs_process_load_save_s", "packs_process_vs_load_save_ratio"),
          ("engine_10x_s", "engine_10x_baseline_national_s", "engine_10x_vs_national_ratio")]
#: Left out of a quick run (null), present in a full one.
NOT_QUICK = ["engine_100x_s", "engine_100x_vs_national_ratio", "engine_10x_bootstrap_s",
             "engine_100x_bootstrap_s", "recalc_process_ratio_10x", "recalc_process_10x_s",
             "engine_100x_bootstrap_peak_mib"]
LIBREOFFICE = ["libreoffice_recalc_s", "libreoffice_floor_s", "libreoffice_vs_floor_ratio",
               "libreoffice_vs_recalc_ratio"]


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict:
    cwd = tmp_path_factory.mktemp("elsewhere")  # not the repository: paths must not matter
    proc = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--json"], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)  # one JSON object and nothing else on stdout


def _positive(value) -> bool:
    return isinstance(value, float) and math.isfinite(value) and value > 0


def test_every_required_figure_is_there(figures):
    required = ["engine_national_s", "engine_10x_s", "engine_100x_s", "bootstrap_10k_s",
                "recalc_s", "recalc_floor_s", "recalc_vs_floor_ratio", "libreoffice_recalc_s",
                "udf_league_table_s", "packs_total_s", "packs_count",
                "recalc_process_ratio_1x", "recalc_process_ratio_10x", "help_vs_pandas_import",
                "packs_process_s"]
    assert [k for k in required if k not in figures] == []


@pytest.mark.parametrize("key", SECONDS + RATIOS)
def test_seconds_and_ratios_are_positive_numbers(figures, key):
    assert _positive(figures[key]), (key, figures[key])


#: Derived from other figures, not timed on their own: no spread.
DERIVED = {"packs_per_pack_s", "packs_per_pack_vs_save_ratio"}


def test_every_figure_has_its_min_median_and_max(figures):
    for key in sorted(set(SECONDS + RATIOS) - DERIVED):
        spread = figures["spread"][key]
        assert spread["min"] <= spread["median"] == figures[key] <= spread["max"], key
        assert isinstance(spread["n"], int) and spread["n"] >= 1


@pytest.mark.parametrize("figure, baseline, ratio", PAIRED)
def test_ratios_are_the_median_of_alternating_pairs(figures, figure, baseline, ratio):
    pairs = figures["pair_ratios"][ratio]
    assert len(pairs) == figures["spread"][figure]["n"] == figures["spread"][baseline]["n"]
    assert figures[ratio] == pytest.approx(statistics.median(pairs))
    assert all(_positive(r) for r in pairs)


def test_per_pack_figure_is_the_total_over_the_count(figures):
    assert figures["packs_per_pack_s"] == pytest.approx(
        figures["packs_total_s"] / figures["packs_count"])


def test_libreoffice_figures_are_numbers_or_null_when_it_is_missing(figures):
    installed = shutil.which("soffice") or shutil.which("libreoffice")
    for key in LIBREOFFICE:
        if installed:
            assert _positive(figures[key]), (key, figures[key])
        else:
            assert figures[key] is None
    if installed:
        assert figures["libreoffice_matches_engine"] is True


def test_the_quick_run_is_what_it_says(figures):
    assert figures["quick"] is True and figures["repeats"] == 1
    assert figures["packs_count"] == figures["packs_process_count"] == 10
    assert isinstance(figures["packs_count"], int)
    assert figures["engine_organisations"] == {"national": 205, "10x": 2050}
    assert figures["bootstrap_10k_same_as_pipeline"] is True
    assert [k for k in NOT_QUICK if figures[k] is not None] == []


def test_the_machine_is_described(figures):
    machine = figures["machine"]
    assert isinstance(machine["nproc"], int) and machine["nproc"] >= 1
    for key in ("cpu", "python", "numpy", "pandas", "openpyxl"):
        assert isinstance(machine[key], str) and machine[key]
    assert isinstance(machine["memory_gb"], float)
