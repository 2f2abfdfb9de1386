"""Start-up: ``import xl_league`` and ``xl-league --help`` import neither pandas, numpy nor
openpyxl (issue 15: ``--help`` within half the time of ``python -c "import pandas"``).

Each check runs in a fresh interpreter, so what the test process has already imported does
not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pandas", "numpy", "openpyxl")


def _heavy_modules_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has imported after running ``code``."""
    script = (f"{code}\nimport json, sys\n"
              f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_the_package_imports_no_heavy_library():
    assert _heavy_modules_after("import xl_league\nxl_league.__version__") == []


def test_the_error_classes_come_without_the_engine():
    assert _heavy_modules_after(
        "from xl_league import XlLeagueError, WorkbookError, CellError, __version__") == []


def test_engine_names_are_still_exported_on_first_use():
    assert _heavy_modules_after(
        "from xl_league import compute_league_tables, load_methodology") == ["pandas", "numpy"]
    import xl_league
    from xl_league.engine import compute_league_tables

    assert xl_league.compute_league_tables is compute_league_tables
    assert "compute_league_tables" in dir(xl_league)
    with pytest.raises(AttributeError, match="no_such_name"):
        xl_league.no_such_name  # noqa: B018


@pytest.mark.parametrize("args", [["--help"], ["table", "--help"], ["history", "--help"]])
def test_help_imports_no_heavy_library(args):
    assert _heavy_modules_after(
        f"from xl_league.cli import main\nmain({args!r}, standalone_mode=False)") == []


def test_a_recalculation_imports_no_web_client():
    """``xml.sax.saxutils`` would bring ``urllib.request``, ``http.client`` and ``email`` (~30 ms
    of start-up) for three string replacements: xl_league/xml_text.py does them."""
    script = ("import sys, xl_league.workbook_io.recalc, xl_league.packs.clone\n"
              "print([m for m in ('xml.sax.saxutils', 'urllib.request', 'http.client') "
              "if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"
