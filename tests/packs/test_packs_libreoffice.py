"""Proof in a real spreadsheet: LibreOffice computes the packs' What-if formulas as the engine does.

Every pack of the synthetic national dataset, plus three changed-input scenarios per trust
type (scores improved so the segment moves, the deficit flag flipped so the override applies
or lifts, the average put exactly on a cut-point with the Recovery Support Programme on), is
opened by LibreOffice headless with recalculation forced (a private profile with
``OOXMLRecalcMode`` = 0, "always"; openpyxl writes no cached values anyway) and saved back as
``.xlsx`` in one batched ``soffice`` call; the computed cells are read with openpyxl
(``data_only=True``) and compared with the engine's figures (:func:`expected_whatif` in
``test_packs.py``: the engine's own step functions, checked there against a full engine run).
A sample of packs is also rendered to PDF.

Skipped when ``soffice`` is missing, unless ``XL_LEAGUE_REQUIRE_LIBREOFFICE=1`` (CI), where a
missing LibreOffice fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from libreoffice_helpers import soffice_or_skip
from test_packs import (Scenario, engine_whatif, expected_whatif, named, same, scenarios,
                        synthetic_results)
from xl_league.libreoffice import convert as lo_convert
from xl_league.libreoffice import recalculating_profile
from xl_league.packs import SHEET_WHATIF, write_packs

pytestmark = pytest.mark.libreoffice

OUTPUT_NAMES = {"average": "WhatIfAverage", "scored": "WhatIfMetricsScored",
                "unadjusted": "WhatIfUnadjusted", "override": "WhatIfOverride",
                "segment": "WhatIfSegment", "final": "WhatIfFinal",
                "position": "WhatIfPosition", "distance": "WhatIfDistance"}


@pytest.fixture(scope="module")
def soffice() -> str:
    return soffice_or_skip("the packs' formulas proof")


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> Path:
    """A private LibreOffice profile that recalculates every formula on load."""
    return recalculating_profile(tmp_path_factory.mktemp("lo-profile"))


def convert(soffice: str, profile: Path, files: list[Path], fmt: str, outdir: Path) -> list[Path]:
    """One soffice call converting every file; returns the outputs."""
    return lo_convert(files, fmt, outdir, profile=profile, soffice=soffice)


def apply_scenario(pack: Path, sc: Scenario, target: Path) -> Path:
    """The pack with the scenario typed into its What-if inputs (as a recipient would)."""
    wb = load_workbook(pack)
    ws = wb[SHEET_WHATIF]
    (_, ref), = list(wb.defined_names["WhatIfScores"].destinations)
    first, last = (int(x) for x in re.findall(r"\d+", ref))
    for row in range(first, last + 1):
        ws.cell(row, 5).value = sc.scores[ws.cell(row, 1).value]
    for name, flag in (("WhatIfDeficit", sc.in_deficit), ("WhatIfRSP", sc.in_rsp)):
        (_, cell), = list(wb.defined_names[name].destinations)
        ws[cell.replace("$", "")] = "Yes" if flag else "No"
    wb.save(target)
    return target


@pytest.fixture(scope="module")
def computed(soffice, profile, tmp_path_factory):
    """Every pack and every scenario, recalculated by LibreOffice (one batched conversion)."""
    results = synthetic_results()
    base = tmp_path_factory.mktemp("lo-packs")
    packs = write_packs(results, base / "packs", quarter="Q2 2025/26")
    by_code = {p.name.split(" - ")[0]: p for p in packs}
    (base / "scenarios").mkdir()
    scens = scenarios(results)
    scen_files = [apply_scenario(by_code[sc.code], sc, base / "scenarios" / f"scenario {sc.name}.xlsx")
                  for sc in scens]
    outputs = convert(soffice, profile, packs + scen_files, "xlsx", base / "calc")
    return {"results": results, "by_code": by_code, "scenarios": scens,
            "calc": dict(zip([p.name.split(" - ")[0] for p in packs] + [s.name for s in scens],
                             outputs)),
            "base": base}


def whatif_outputs(path: Path) -> dict:
    wb = load_workbook(path, data_only=True)
    return {key: named(wb, name) for key, name in OUTPUT_NAMES.items()}


def differences(got: dict, want: dict) -> dict:
    return {k: (got[k], want[k]) for k in want if not same(got[k], want[k])}


def test_unchanged_inputs_give_the_engines_figures(computed):
    results = computed["results"]
    for code in results.league.index:
        got = whatif_outputs(computed["calc"][code])
        assert not differences(got, engine_whatif(results, code)), code


def test_unchanged_domain_scores_give_the_engines_figures(computed):
    results = computed["results"]
    domains = set(results.domain_scores.columns)
    for code in results.league.index:
        ws = load_workbook(computed["calc"][code], data_only=True)[SHEET_WHATIF]
        rows = {ws.cell(r, 8).value: ws.cell(r, 10).value for r in range(1, ws.max_row + 1)
                if ws.cell(r, 8).value in domains}
        assert rows, code
        for domain, value in rows.items():
            want = results.domain_scores.at[code, domain]
            assert same(value, None if want != want else float(want)), (code, domain)


def test_changed_inputs_give_the_engine_equivalent_figures(computed):
    results = computed["results"]
    per_type: dict[str, int] = {}
    for sc in computed["scenarios"]:
        got = whatif_outputs(computed["calc"][sc.name])
        want = expected_whatif(results, sc.code, sc.scores, sc.in_deficit, sc.in_rsp)
        assert not differences(got, want), (sc.name, differences(got, want))
        assert want != engine_whatif(results, sc.code), f"{sc.name} changes nothing"
        org_type = results.league.at[sc.code, "type"]
        per_type[org_type] = per_type.get(org_type, 0) + 1
    assert per_type and all(n >= 2 for n in per_type.values())
    assert set(per_type) == set(results.types_present)


def test_no_error_values_in_any_recalculated_cell(computed):
    errors = re.compile(r"^(#(NAME\?|VALUE!|REF!|DIV/0!|N/A|NUM!|NULL!)|Err:\d+)")
    for path in computed["calc"].values():
        wb = load_workbook(path, data_only=True)
        bad = [f"{ws.title}!{c.coordinate}={c.value}" for ws in wb.worksheets
               for row in ws.iter_rows() for c in row
               if isinstance(c.value, str) and errors.match(c.value)]
        assert not bad, (path.name, bad[:5])


def test_packs_render_to_pdf(soffice, profile, computed):
    results = computed["results"]
    sample = [computed["by_code"][results.table(t).index[0]] for t in results.types_present]
    pdfs = convert(soffice, profile, sample, "pdf", computed["base"] / "pdf")
    for pdf in pdfs:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
        assert pages >= 4, (pdf.name, pages)  # at least one page per sheet
