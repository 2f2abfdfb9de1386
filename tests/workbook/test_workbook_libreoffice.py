"""A real spreadsheet opens the recalculated workbook: LibreOffice renders it to PDF and CSV.

Skipped locally when ``soffice`` is missing; fails instead when XL_LEAGUE_REQUIRE_LIBREOFFICE=1
(CI sets it), so CI cannot pass by skipping.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from libreoffice_helpers import soffice_or_skip
from workbook_helpers import filled_workbook
from xl_league.libreoffice import convert as lo_convert
from xl_league.workbook_io import recalc_workbook
from xl_league.workbook_io.layout import TEMPLATE_SHEETS

pytestmark = pytest.mark.libreoffice

@pytest.fixture(scope="module")
def soffice() -> str:
    return soffice_or_skip("the recalculated workbook's rendering")


def convert(soffice: str, book: Path, to: str, outdir: Path, profile: Path) -> None:
    lo_convert([book], to, outdir, profile=profile, soffice=soffice, timeout=180)


def test_the_recalculated_workbook_renders_in_libreoffice(soffice, tmp_path):
    book = filled_workbook(tmp_path)
    result = recalc_workbook(book)
    profile = tmp_path / "lo-profile"
    convert(soffice, book, "pdf", tmp_path / "pdf", profile)
    pdf = tmp_path / "pdf" / "book.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size > 20_000

    # The acute league table, as LibreOffice shows it (formatted values).
    sheet = TEMPLATE_SHEETS.index("Acute league table") + 1
    convert(soffice, book, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,"
            f"false,false,{sheet}", tmp_path / "csv", profile)
    (shown,) = (tmp_path / "csv").glob("*.csv")
    with shown.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    league = result.results.table("acute")
    assert [r["Code"] for r in rows] == list(league["code"])
    assert [r["Final segment"] for r in rows] == [str(s) for s in league["final_segment"]]
    assert [r["Average metric score"] for r in rows] == [f"{a:.2f}"
                                                         for a in league["average_score"]]
    people = result.results.domain_scores.loc[league.index, "People and workforce"]
    assert [r["People and workforce"] for r in rows] == [f"{v:.2f}" for v in people]
