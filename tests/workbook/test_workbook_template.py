"""The template workbook: built by code, committed file identical to what the builder makes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xl_league import load_catalogue, load_methodology
from xl_league.engine.catalogue import CATALOGUE_COLUMNS, Metric, catalogue_from_rows
from xl_league.workbook_io import build_template, template_bytes
from xl_league.workbook_io.layout import (INPUT_SHEETS, LEAGUE_SHEETS, LEAGUE_TABLE_COLUMNS,
                                          OGL_ATTRIBUTION, SETTINGS_KEYS, TEMPLATE_FILENAME,
                                          TEMPLATE_SHEETS, input_metric_columns)
from xl_league.workbook_io.template import main

COMMITTED = Path(__file__).resolve().parents[2] / "templates" / TEMPLATE_FILENAME
REBUILD = "run python -m xl_league.workbook_io.template to rebuild"


@pytest.fixture(scope="module")
def template():
    """The template as saved and reopened (what a user gets)."""
    return load_workbook(io.BytesIO(template_bytes()))


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_the_committed_template_is_what_the_builder_makes():
    """Same parts, same order, same content (compressed bytes may differ between zlibs)."""
    assert COMMITTED.exists(), f"{COMMITTED} is missing: {REBUILD}"
    new, old = _parts(template_bytes()), _parts(COMMITTED.read_bytes())
    changed = sorted(n for n in new.keys() | old.keys() if new.get(n) != old.get(n))
    if changed or list(new) != list(old):
        which = ", ".join(changed) or "the order of parts"
        pytest.fail(f"{COMMITTED.name} is stale (parts differ: {which}): {REBUILD}")


def test_the_template_is_saved_deterministically():
    first, second = template_bytes(), template_bytes(build_template())
    assert first == second
    core = _parts(first)["docProps/core.xml"].decode()
    assert "<dcterms:modified" in core and "2025-04-01T00:00:00Z" in core


def test_main_rebuilds_the_template_at_a_path(tmp_path, capsys):
    target = tmp_path / "t.xlsx"
    assert main([str(target)]) == 0
    assert target.read_bytes() == template_bytes()
    assert capsys.readouterr().out == f"wrote {target}\n"


def test_sheets_in_order(template):
    assert template.sheetnames == list(TEMPLATE_SHEETS)
    assert "_xlwings.conf" not in template.sheetnames


def test_about_sheet(template):
    ws = template["About"]
    text = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "NHS Oversight Framework league tables" in text
    assert "Method: NHS Oversight Framework 2025/26. Built with xl-league 0.1.0." in text
    assert OGL_ATTRIBUTION == ("Contains public sector information licensed under the Open "
                               "Government Licence v3.0.")
    assert OGL_ATTRIBUTION in text
    assert ws["A16"].value == "Last recalculated" and ws["B16"].value == "not yet recalculated"
    assert ws["A18"].value == "Settings used"
    assert any(t.startswith("Recalculate: xl-league recalc BOOK.xlsx") for t in text)


def test_settings_sheet(template):
    ws = template["Settings"]
    rows = {r[0]: r[1] for r in ws.iter_rows(min_row=2, max_col=2, values_only=True)}
    assert list(rows) == [*SETTINGS_KEYS, "last_recalculated"]
    assert rows == {"year": "2025/26", "quarter": None, "cut_point_rule": "national-quartiles",
                    "cut_point_1": None, "cut_point_2": None, "cut_point_3": None,
                    "deficit_fallback": "Yes", "minimum_metrics": 1,
                    "bootstrap_replicates": 2000, "bootstrap_seed": 2025,
                    "last_recalculated": "not yet recalculated"}
    assert all(ws.cell(row=r, column=3).value for r in range(2, 13))
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation
             if dv.type == "list"}
    assert lists == {"B4": '"national-quartiles,type-quartiles,fixed"', "B8": '"Yes,No"'}


def test_metrics_sheet_is_the_catalogue(template):
    ws = template["Metrics"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == CATALOGUE_COLUMNS
    records = [dict(zip(CATALOGUE_COLUMNS, r)) for r in rows[1:]]
    meth = load_methodology()
    assert catalogue_from_rows(meth.year, records, meth.types) == load_catalogue()
    assert list(ws.tables) == ["MetricCatalogue"]


def test_input_columns_are_what_the_user_types():
    ids = input_metric_columns(load_catalogue(), "acute")
    assert "OF0023" in ids and "OF1023" not in ids   # ranked: the raw value
    assert "OF0079" in ids                           # banded: the raw value
    assert "OF1106" in ids and "OF0106" not in ids   # supplied: the score
    assert "OF1080" not in ids                       # combined: computed, no column


@pytest.mark.parametrize("org_type", list(INPUT_SHEETS))
def test_input_sheets(template, org_type):
    ws = template[INPUT_SHEETS[org_type]]
    ids = input_metric_columns(load_catalogue(), org_type)
    headings = [c.value for c in ws[1]]
    assert headings == ["Code", "Name", "Region", "Subtype", "In deficit", "In RSP", *ids]
    assert ws.freeze_panes == "C2"
    (table,) = ws.tables.values()
    assert table.ref == f"A1:{ws.cell(row=1, column=len(headings)).column_letter}2"
    validations = {str(dv.sqref): (dv.type, dv.formula1, dv.formula2)
                   for dv in ws.data_validations.dataValidation}
    assert validations.pop("E2:F1001") == ("list", '"Yes,No"', None)
    if ids:
        catalogue = load_catalogue().by_column()
        for col, mid in enumerate(ids, start=7):
            cell = ws.cell(row=1, column=col)
            assert cell.comment is not None
            assert cell.comment.text.startswith(f"{catalogue[mid][0].score_id}: "
                                                f"{catalogue[mid][0].name}\n")
        kinds = {kind for kind, _, _ in validations.values()}
        assert kinds == {"decimal"}
        covered = " ".join(validations)
        assert all(f"{ws.cell(row=1, column=c).column_letter}2:" in covered
                   for c in range(7, 7 + len(ids)))


def test_score_columns_check_scores_from_1_to_4(template):
    ws = template["Non-acute inputs"]   # OF1035 and OF1067 are supplied scores (K, N)
    score_ranges = [str(dv.sqref) for dv in ws.data_validations.dataValidation
                    if dv.formula1 == "1" and dv.formula2 == "4"]
    assert score_ranges and set(score_ranges[0].split()) >= {"K2:K1001", "N2:N1001"}


@pytest.mark.parametrize("org_type", list(LEAGUE_SHEETS))
def test_league_table_sheets(template, org_type):
    ws = template[LEAGUE_SHEETS[org_type]]
    assert [c.value for c in ws[1]] == [c.heading for c in LEAGUE_TABLE_COLUMNS]
    assert [c.value for c in ws[1]][:3] == ["Position", "Code", "Organisation"]
    assert ws.freeze_panes == "D2"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$1"
    (cf,) = list(ws.conditional_formatting)
    assert str(cf.sqref) == "H2:H1001 K2:K1001 M2:M1001"   # the three segment columns
    colours = {rule.formula[0]: rule.dxf.fill.fgColor.rgb[-6:] for rule in cf.rules}
    assert colours == {"1": "63BE7B", "2": "C6E0B4", "3": "FFD966", "4": "F8696B",
                       "5": "404040"}
    assert ws.column_dimensions["C"].width == 44


def test_a_template_for_another_methodology_and_catalogue():
    meth = load_methodology().with_settings(cut_points=(2.05, 2.33, 2.62),
                                            bootstrap_replicates=500)
    extra = Metric(score_id="OF1999", value_id="OF0999", name="Test metric",
                   domain="Access to services", direction="higher", scoring="ranked",
                   peer_group="type", types=("icb",), in_average=True)
    wb = build_template(meth, load_catalogue(meth).with_metrics([extra]))
    settings = {r[0]: r[1] for r in wb["Settings"].iter_rows(min_row=2, max_col=2,
                                                             values_only=True)}
    assert (settings["cut_point_rule"], settings["cut_point_1"], settings["cut_point_3"],
            settings["bootstrap_replicates"]) == ("fixed", 2.05, 2.62, 500)
    assert [c.value for c in wb["ICB inputs"][1]][-1] == "OF0999"
