"""Cloned packs (one openpyxl template per type, patched per organisation) equal packs built by
openpyxl one by one: cell for cell on every sheet (values, formulas, styles), and in every
other detail openpyxl reads back (conditional formats, validations, names, print setup, charts
with their series references)."""

from __future__ import annotations

import io
import multiprocessing
import re
import sys
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.xml.functions import tostring

from test_packs import synthetic_results
import xl_league.packs as packs_module
from xl_league.packs import clone as clone_module
from xl_league.packs import build_pack, record_pack, write_packs
from xl_league.packs.clone import CloneMismatch, make_template
from xl_league.packs.content import (domain_peer_medians, league_rows, pack_content,
                                     peer_statistics)


@pytest.fixture(scope="module")
def results():
    return synthetic_results()


@pytest.fixture(scope="module")
def pairs(results, tmp_path_factory):
    """(cloned, built) pack paths for every organisation, and how many were clones."""
    base = tmp_path_factory.mktemp("clone")
    calls = {"cloned": 0}
    original = clone_module.PackTemplate.clone

    def counting(self, recording, content):
        data = original(self, recording, content)
        calls["cloned"] += 1
        return data

    # four a type (the odd name, a derived deficit flag with its note, RSP included): quick
    codes = [c for t in results.types_present
             for c in sorted(results.league.index[results.league["type"] == t])[:6]
             if c[-1] in "0135"]
    mp = pytest.MonkeyPatch()
    mp.setattr(clone_module.PackTemplate, "clone", counting)
    try:
        cloned = write_packs(results, base / "cloned", quarter="Q2 2025/26", codes=codes)
    finally:
        mp.undo()
    built = write_packs(results, base / "built", quarter="Q2 2025/26", codes=codes, clone=False)
    assert [p.name for p in cloned] == [p.name for p in built]
    return list(zip(cloned, built)), calls["cloned"]


def _style(cell) -> tuple:
    return (cell.number_format, repr(cell.font), repr(cell.fill), repr(cell.border),
            repr(cell.alignment), repr(cell.protection))


def _cf(ws) -> list:
    out = []
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            dxf = rule.dxf
            out.append((str(cf.sqref), rule.type, rule.operator, tuple(rule.formula or ()),
                        repr(dxf.font) if dxf else None, repr(dxf.fill) if dxf else None,
                        repr(rule.colorScale)))
    return out


def _sheet_details(ws) -> dict:
    return {
        "dimensions": ws.dimensions, "freeze": ws.freeze_panes,
        "widths": {k: v.width for k, v in ws.column_dimensions.items()},
        "heights": {k: v.height for k, v in ws.row_dimensions.items()},
        "merged": sorted(map(str, ws.merged_cells.ranges)),
        "cf": _cf(ws),
        "dv": [(str(d.sqref), d.type, d.operator, d.formula1, d.formula2, d.error)
               for d in ws.data_validations.dataValidation],
        "page": repr(ws.page_setup), "margins": repr(ws.page_margins),
        "fit": ws.sheet_properties.pageSetUpPr.fitToPage,
        "header": str(ws.oddHeader), "footer": str(ws.oddFooter),
        "titles": ws.print_title_rows, "protected": ws.protection.sheet,
        "gridlines": ws.sheet_view.showGridLines,
        "charts": [(tostring(c._write()), c.anchor._from.row, c.anchor._from.col)
                   for c in ws._charts],
    }


def test_most_packs_are_clones(results, pairs):
    _, cloned = pairs
    # one template per type is built by openpyxl; every other pack is cloned
    assert cloned == len(pairs[0]) - len(results.types_present) == 9


def test_cloned_packs_equal_openpyxl_built_packs_cell_for_cell(pairs):
    for cloned_path, built_path in pairs[0]:
        cloned, built = load_workbook(cloned_path), load_workbook(built_path)
        assert cloned.sheetnames == built.sheetnames
        assert ({n: d.attr_text for n, d in cloned.defined_names.items()}
                == {n: d.attr_text for n, d in built.defined_names.items()})
        assert (cloned.properties.title, cloned.properties.subject) == \
            (built.properties.title, built.properties.subject)
        for ws_c, ws_b in zip(cloned.worksheets, built.worksheets):
            where = f"{cloned_path.name}!{ws_c.title}"
            coords = ({c.coordinate for row in ws_c.iter_rows() for c in row}
                      | {c.coordinate for row in ws_b.iter_rows() for c in row})
            for coord in sorted(coords):
                a, b = ws_c[coord], ws_b[coord]
                assert (a.value, a.data_type) == (b.value, b.data_type), (where, coord)
                assert _style(a) == _style(b), (where, coord)
            assert _sheet_details(ws_c) == _sheet_details(ws_b), where


def test_cloned_charts_point_at_the_organisations_own_row(results, pairs):
    for cloned_path, _ in pairs[0]:
        code = cloned_path.name.split(" - ")[0]
        wb = load_workbook(cloned_path)
        scatter = wb["Summary"]._charts[0]
        own = scatter.series[-1]
        assert own.tx.v == code
        row = int(own.yVal.numRef.f.rsplit("$", 1)[1])
        assert wb["League table"].cell(row, 2).value == code
        for ws in wb.worksheets:
            for chart in ws._charts:
                for s in chart.series:
                    for ref in (s.val, s.yVal, s.xVal):
                        if ref is not None and ref.numRef is not None:
                            assert ref.numRef.f.split("!")[0].strip("'") in wb.sheetnames


def test_cloned_packs_are_whole_zip_files(pairs):
    for cloned_path, built_path in pairs[0]:
        with zipfile.ZipFile(cloned_path) as a, zipfile.ZipFile(built_path) as b:
            assert a.testzip() is None
            assert a.namelist() == b.namelist()


def test_a_pack_laid_out_otherwise_is_not_cloned(results, tmp_path):
    """A recording with a cell the template lacks, or another style, is refused (and then
    built by openpyxl)."""
    stats, medians = peer_statistics(results), domain_peer_medians(results)
    first, second = results.table("acute").index[:2]
    league = league_rows(results, "acute", True)
    c1 = pack_content(results, first, stats, medians)
    c2 = pack_content(results, second, stats, medians)
    buf = io.BytesIO()
    build_pack(c1, league).save(buf)
    template = make_template(buf.getvalue(), record_pack(c1, league), c1)
    assert template.clone(record_pack(c2, league), c2)
    extra = record_pack(c2, league)
    extra.sheets[0].cell(200, 1, "an extra cell")
    with pytest.raises(CloneMismatch):
        template.clone(extra, c2)
    restyled = record_pack(c2, league)
    restyled.sheets[1].cells[(5, 1)].style = "xl_title"
    with pytest.raises(CloneMismatch):
        template.clone(restyled, c2)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="packs are forked on Linux")
def test_packs_shared_out_among_forked_workers_equal_packs_written_here(results, tmp_path,
                                                                         monkeypatch):
    """Every organisation's pack, written by two forked workers (after this process built each
    type's template) and here: the same files, part for part, in the same order, with
    progress counted to the end."""
    here = write_packs(results, tmp_path / "here", quarter="Q2 2025/26")
    monkeypatch.setattr(packs_module, "_POOL_MINIMUM", 1)
    monkeypatch.setattr(packs_module, "_pool_workers", lambda n: 2)
    ticks: list[tuple[int, int]] = []
    forked = write_packs(results, tmp_path / "forked", quarter="Q2 2025/26",
                         progress=lambda done, total: ticks.append((done, total)))
    assert [p.name for p in forked] == [p.name for p in here]
    assert ticks[-1] == (len(here), len(here)) and ticks == sorted(ticks)
    for mine, theirs in zip(forked, here):
        with zipfile.ZipFile(mine) as a, zipfile.ZipFile(theirs) as b:
            assert a.namelist() == b.namelist()
            for name in a.namelist():
                assert _timeless(a.read(name)) == _timeless(b.read(name)), (mine.name, name)


def _timeless(part: bytes) -> bytes:
    """A part with the times it was written (docProps/core.xml) left out."""
    return re.sub(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>", b"", part)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="packs are forked on Linux")
def test_a_worker_failing_fails_the_run(results, tmp_path, monkeypatch):
    monkeypatch.setattr(packs_module, "_pool_workers", lambda n: 2)
    monkeypatch.setattr(packs_module, "_save_atomic", _refuse_some)
    with pytest.raises(OSError, match="disk full"):
        write_packs(results, tmp_path / "failing", quarter="Q2 2025/26")


def _refuse_some(pack, path):
    """Fails in a worker process only (the first pack of each type is written here)."""
    if multiprocessing.parent_process() is not None:
        raise OSError(f"disk full writing {path.name}")
    path.write_bytes(pack if isinstance(pack, bytes) else b"")
