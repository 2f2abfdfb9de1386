"""A spreadsheet without Python (LibreOffice) opening what we ship shows no error anywhere.

Every sheet of ``workbook/league_tables.xlsm``, the template, a demo workbook (``xl-league
demo``) and the macro workbook filled with the demo dataset is exported to CSV, one file per
sheet, and no cell may hold an error value (``#NAME?``, ``#VALUE!``, ``Err:502`` ...). The
Live sheet's formulas call a function LibreOffice does not have: they must show the values
computed when the workbook was built — with LibreOffice's default settings (cached values)
and with recalculation on loading forced (the IFERROR fallback to the Live cache sheet).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from libreoffice_helpers import soffice_or_skip
from xl_league import compute_league_tables, load_methodology
from xl_league.demo import national_demo_dataset
from xl_league.engine.pipeline import LEAGUE_CSV_COLUMNS
from xl_league.excel import build
from xl_league.excel.cells import EXCEL_ERRORS
from xl_league.jobs import make_demo
from xl_league.libreoffice import convert, recalculating_profile

REPO = Path(__file__).resolve().parents[2]
#: LibreOffice's CSV filter: UTF-8, every sheet to its own file ("STEM-Sheet.csv").
EACH_SHEET = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"

pytestmark = pytest.mark.libreoffice


def error_cells(folder: Path, stem: str) -> list[str]:
    bad = []
    files = sorted(folder.glob(f"{stem}-*.csv"))
    assert files, f"LibreOffice wrote no sheet of {stem}"
    for path in files:
        with path.open(encoding="utf-8", newline="") as f:
            for r, row in enumerate(csv.reader(f), start=1):
                for c, value in enumerate(row, start=1):
                    text = value.strip()
                    if text.upper() in EXCEL_ERRORS or text.startswith("Err:") or \
                            text.startswith("#xl-league"):
                        bad.append(f"{path.name} row {r} column {c}: {text}")
    return bad


def live_rows(folder: Path, stem: str) -> list[list[str]]:
    with (folder / f"{stem}-Live.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("shipped")
    demo = national_demo_dataset()
    filled = folder / "filled.xlsm"
    filled.write_bytes(build.workbook_bytes(demo.organisations, demo.values, demo.quarter))
    demo_path, _ = make_demo(folder / "demo")
    return {"league_tables": REPO / "workbook" / "league_tables.xlsm",
            "nof-league-tables-template": REPO / "templates" / "nof-league-tables-template.xlsx",
            "nof-league-tables-demo": demo_path, "filled": filled}


@pytest.mark.parametrize("recalculate", [False, True], ids=["default", "recalculate-on-load"])
def test_libreoffice_shows_no_error_cell_on_any_sheet(shipped, tmp_path, recalculate):
    soffice = soffice_or_skip("opening the shipped workbooks in a spreadsheet without Python")
    profile = recalculating_profile(tmp_path / "profile") if recalculate else tmp_path / "p"
    convert(list(shipped.values()), EACH_SHEET, tmp_path / "out", profile=profile,
            soffice=soffice, timeout=300)
    for stem in shipped:
        assert error_cells(tmp_path / "out", stem) == [], stem
    # the Live sheet shows the tables computed at build time: the header, then every trust
    rows = live_rows(tmp_path / "out", "filled")
    width = len(LEAGUE_CSV_COLUMNS)
    assert rows[2][:width] == list(LEAGUE_CSV_COLUMNS)
    demo = national_demo_dataset()
    want = compute_league_tables(demo.organisations, demo.values,
                                 load_methodology().with_settings(bootstrap_replicates=0))
    for org_type, left in build.LIVE_BLOCK_COLUMNS.items():
        table = want.table(org_type) if org_type in want.types_present else None
        codes = [r[left + 1] for r in rows[3:] if len(r) > left + 1 and r[left + 1]]
        assert codes == ([] if table is None else list(table.index)), org_type
    assert live_rows(tmp_path / "out", "league_tables")[2][:width] == list(LEAGUE_CSV_COLUMNS)
