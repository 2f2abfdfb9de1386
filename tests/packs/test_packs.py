"""Per-organisation packs: figures equal the engine's, plain Excel 2010 formulas, safe files.

A synthetic multi-type national dataset (built here with numpy, fictional names) goes through
:func:`compute_league_tables`; :func:`write_packs` writes every pack; each is reopened with
openpyxl and compared with the engine's tables. The What-if formulas are computed by a real
spreadsheet in ``test_packs_libreoffice.py``; :func:`expected_whatif` (the engine's own
functions over changed inputs) is the oracle it uses, and is checked here against a full engine
re-run.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from xml.etree import ElementTree
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.formula import Tokenizer
from openpyxl.formula.tokenizer import Token
from openpyxl.utils.cell import range_boundaries

from xl_league import (InputError, LeagueTables, WorkbookError, compute_league_tables,
                       load_catalogue, load_methodology)
from xl_league.engine.averages import round_half_up
from xl_league.engine.league import distance_to_next_segment, league_positions
from xl_league.engine.override import apply_financial_override, final_segment
from xl_league.engine.segments import segment_of
from xl_league.packs import (SHEET_LEAGUE, SHEET_METRICS, SHEET_SUMMARY, SHEET_WHATIF,
                             pack_filename, write_packs)
from xl_league.packs.content import peer_statistics

COUNTS = {"acute": 12, "non-acute": 10, "ambulance": 8}
METHOD = load_methodology().with_settings(bootstrap_replicates=60)
ODD_NAME = 'St Example\'s "Central": North/South? NHS Foundation Trust <Hospitals>'

#: Functions that exist in Excel 2010 without the _xlfn. prefix (an independent list: the pack
#: code has its own). Anything else in a formula fails the test.
EXCEL_2010 = set("""
ABS AND AVERAGE AVERAGEIF AVERAGEIFS CEILING CHOOSE COUNT COUNTA COUNTBLANK COUNTIF COUNTIFS
FLOOR HLOOKUP IF IFERROR INDEX INT ISBLANK ISERROR ISNUMBER ISTEXT LARGE LEN MATCH MAX MEDIAN
MIN MOD NOT OR QUARTILE RANK ROUND ROUNDDOWN ROUNDUP SMALL SUM SUMIF SUMIFS SUMPRODUCT TEXT
VLOOKUP
""".split())
NOT_IN_2010 = {"XLOOKUP", "XMATCH", "LET", "LAMBDA", "FILTER", "SORT", "SORTBY", "UNIQUE",
               "SEQUENCE", "IFS", "SWITCH", "MAXIFS", "MINIFS", "CONCAT", "TEXTJOIN"}


# ---- a synthetic national dataset -------------------------------------------------------------

def synthetic_inputs(seed: int = 11, counts: dict[str, int] = COUNTS
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fictional organisations of several types, every catalogue metric of their type filled.

    Ranked metrics get continuous values, the finance metrics values around the bands,
    supplied metrics whole-number scores; about 5 % of values are missing. Deficit flags are
    mixed, one per type left blank (so the engine derives it); one trust per type is in the
    Recovery Support Programme. One name holds every character Windows forbids in file names.
    """
    rng = np.random.default_rng(seed)
    cat = load_catalogue(METHOD)
    places = ["Northbrook", "Easton", "Westmere", "Southvale", "Highcliff", "Lowford",
              "Ashby Vale", "Kingsmoor", "Riverside", "Oakham", "Fernley", "Greyhaven",
              "Thornbury", "Millbrook"]
    kinds = {"acute": "Hospitals NHS Foundation Trust", "non-acute": "Health NHS Trust",
             "ambulance": "Ambulance Service NHS Trust"}
    orgs, vals = [], []
    for t_i, (org_type, n) in enumerate(counts.items()):
        for k in range(n):
            code = f"R{'ABC'[t_i]}{k:02d}"
            flag = ["Yes", "No"][int(rng.random() < 0.5)] if k != 3 else None
            orgs.append({"code": code, "name": f"{places[k % len(places)]} {kinds[org_type]}",
                         "type": org_type, "region": ["London", "Midlands", "North West"][k % 3],
                         "in_deficit": flag, "in_rsp": "Yes" if k == 5 else "No"})
            row: dict[str, object] = {"code": code}
            for m in cat.for_type(org_type):
                if m.scoring == "supplied":
                    row[m.score_id] = float(rng.integers(1, 5))
                elif m.value_id and m.scoring == "banded":
                    row[m.value_id] = round(float(rng.normal(-0.4, 1.2)), 2)
                elif m.value_id:
                    row[m.value_id] = round(float(rng.normal(60, 12)), 1)
                    if rng.random() < 0.05:
                        row[m.value_id] = np.nan
            vals.append(row)
    orgs[0]["name"] = ODD_NAME
    return pd.DataFrame(orgs), pd.DataFrame(vals)


def synthetic_results(seed: int = 11) -> LeagueTables:
    orgs, values = synthetic_inputs(seed)
    return compute_league_tables(orgs, values, METHOD)


# ---- the engine-equivalent What-if computation (the oracle) ------------------------------------

@dataclass(frozen=True)
class Scenario:
    """Changed What-if inputs for one organisation: every counted metric's score (None = blank)."""

    name: str
    code: str
    scores: dict[str, float | None]
    in_deficit: bool
    in_rsp: bool


def counted_metrics(results: LeagueTables, code: str) -> list[str]:
    org_type = results.league.at[code, "type"]
    return [m.score_id for m in results.catalogue.for_type(org_type) if m.in_average]


def current_scores(results: LeagueTables, code: str) -> dict[str, float | None]:
    out = {}
    for sid in counted_metrics(results, code):
        v = results.metric_scores.at[code, sid]
        out[sid] = None if pd.isna(v) else float(v)
    return out


def expected_whatif(results: LeagueTables, code: str, scores: dict[str, float | None],
                    in_deficit: bool, in_rsp: bool) -> dict[str, object]:
    """What the What-if sheet must show, by the engine's own step functions.

    Average over the given scores (2 dp, half up), segment from the organisation's frozen
    cut-points, the override, segment 5, the position among the frozen league of the other
    organisations of its type, and the distance to the next segment.
    """
    meth = results.methodology
    given = np.array([s for s in scores.values() if s is not None], dtype=float)
    avg = (float(round_half_up(given.sum() / len(given), meth.average_decimals))
           if len(given) >= meth.minimum_metrics else math.nan)
    cuts = np.asarray(results.cuts_for(code), dtype=float)
    unadjusted = float(segment_of(np.array([avg]), cuts[None, :])[0])
    segment = float(apply_financial_override(np.array([unadjusted]), np.array([in_deficit]),
                                             meth.override_cap_segment)[0])
    final = float(final_segment(np.array([segment]), np.array([in_rsp]), meth)[0])
    org_type = results.league.at[code, "type"]
    others = results.table(org_type).drop(index=code)
    segs = np.append(others["segment"].astype(float).to_numpy(), segment)
    avgs = np.append(others["average_score"].astype(float).to_numpy(), avg)
    position = league_positions(pd.Series([org_type] * len(segs)), segs, avgs)[-1]
    distance = distance_to_next_segment(avg, unadjusted, cuts, meth.average_decimals)

    def opt(x: float, kind=float):
        return None if math.isnan(x) else kind(x)

    return {"average": opt(avg), "scored": len(given), "unadjusted": opt(unadjusted, int),
            "override": None if math.isnan(unadjusted) else
            ("Yes" if segment != unadjusted else "No"),
            "segment": opt(segment, int), "final": opt(final, int),
            "position": opt(position, int), "distance": opt(distance)}


def engine_whatif(results: LeagueTables, code: str) -> dict[str, object]:
    """The engine's own figures for ``code``, keyed like :func:`expected_whatif`."""
    row = results.league.loc[code]
    opt = lambda v, kind=int: None if pd.isna(v) else kind(v)  # noqa: E731
    return {"average": opt(row["average_score"], float), "scored": int(row["metrics_scored"]),
            "unadjusted": opt(row["unadjusted_segment"]),
            "override": None if pd.isna(row["unadjusted_segment"]) else
            ("Yes" if row["override_applied"] else "No"),
            "segment": opt(row["segment"]), "final": opt(row["final_segment"]),
            "position": opt(row["position"]), "distance": opt(row["distance_to_next_segment"],
                                                              float)}


def scenarios(results: LeagueTables) -> list[Scenario]:
    """Three changed-input scenarios per type.

    * every score 1.00 with one cleared, for the type's worst-placed organisation: the segment
      moves up;
    * the deficit flag flipped for an organisation whose unadjusted segment is 1 or 2: the
      override applies or lifts;
    * every score equal to the first cut-point rounded up to 2 dp (the average sits on or just
      above c1: segment 2), not in deficit, in the Recovery Support Programme: final segment 5.
    """
    out = []
    for org_type in results.types_present:
        table = results.table(org_type)
        scored = table[table["position"].notna()]
        worst = scored.index[-1]
        best_ids = counted_metrics(results, worst)
        improve = {sid: 1.0 for sid in best_ids}
        improve[best_ids[0]] = None
        out.append(Scenario(f"{org_type}-improve", worst, improve,
                            bool(table.at[worst, "in_deficit"]), bool(table.at[worst, "in_rsp"])))
        near_top = scored[scored["unadjusted_segment"] <= 2]
        flip = near_top.index[0] if len(near_top) else scored.index[0]
        out.append(Scenario(f"{org_type}-flip-deficit", flip, current_scores(results, flip),
                            not bool(table.at[flip, "in_deficit"]), bool(table.at[flip, "in_rsp"])))
        middle = scored.index[len(scored) // 2]
        c1 = results.cuts_for(middle)[0]
        at_cut = math.ceil(round(c1 * 100, 6)) / 100
        out.append(Scenario(f"{org_type}-at-cut-point-rsp", middle,
                            {sid: at_cut for sid in counted_metrics(results, middle)}, False, True))
    return out


# ---- reading packs -----------------------------------------------------------------------------

def named(wb, name: str):
    """The value(s) of a workbook-level defined name: one value, or a flat list for a range."""
    dn = wb.defined_names[name]
    (sheet, ref), = list(dn.destinations)
    ws = wb[sheet]
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    values = [ws.cell(r, c).value for r in range(min_row, max_row + 1)
              for c in range(min_col, max_col + 1)]
    return values[0] if len(values) == 1 else values


def blank(v) -> bool:
    return v is None or v == ""


def same(actual, expected) -> bool:
    if blank(expected):
        return blank(actual)
    if isinstance(expected, float):
        return isinstance(actual, (int, float)) and actual == pytest.approx(expected, abs=1e-9)
    return actual == expected


def formula_functions(formula: str) -> set[str]:
    return {t.value[:-1].upper() for t in Tokenizer(formula).items
            if t.type == Token.FUNC and t.subtype == Token.OPEN}


def formula_names(formula: str) -> set[str]:
    """Operands that are names, not cell references or literals."""
    out = set()
    for t in Tokenizer(formula).items:
        if t.type == Token.OPERAND and t.subtype == Token.RANGE:
            if not re.fullmatch(r"(('[^']+'|[A-Za-z_ -]+)!)?\$?[A-Z]{1,3}\$?\d+(:\$?[A-Z]{1,3}\$?\d+)?",
                                t.value):
                out.add(t.value)
    return out


# ---- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def results() -> LeagueTables:
    return synthetic_results()


@pytest.fixture(scope="module")
def packs(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("packs")
    calls: list[tuple[int, int]] = []
    paths = write_packs(results, out, quarter="Q2 2025/26",
                        progress=lambda done, total: calls.append((done, total)))
    return {"dir": out, "paths": paths, "calls": calls,
            "by_code": {p.name.split(" - ")[0]: p for p in paths}}


# ---- tests -------------------------------------------------------------------------------------

def test_one_pack_per_organisation_named_by_code_and_short_name(results, packs):
    assert len(packs["paths"]) == len(results.league) == sum(COUNTS.values())
    assert packs["calls"] == [(i, len(results.league)) for i in range(1, len(results.league) + 1)]
    for code in results.league.index:
        path = packs["by_code"][code]
        assert path.name == pack_filename(code, results.league.at[code, "name"])
        assert path.parent == packs["dir"] and path.suffix == ".xlsx"
    assert sorted(p.name for p in packs["dir"].iterdir()) == sorted(p.name for p in packs["paths"])
    mask = os.umask(0)
    os.umask(mask)
    assert {p.stat().st_mode & 0o777 for p in packs["paths"]} == {0o666 & ~mask}  # not 0600


def test_pack_filename_is_windows_safe_and_short():
    assert pack_filename("RA00", ODD_NAME) == \
        "RA00 - St Example's Central North South NHS FT Hospitals.xlsx"
    assert pack_filename("RYJ", "Imperial College Healthcare NHS Trust") == \
        "RYJ - Imperial College Healthcare NHS Trust.xlsx"
    assert pack_filename("RX1", "Barts Health NHS Foundation Trust") == \
        "RX1 - Barts Health NHS FT.xlsx"
    assert pack_filename("QWE", "  ") == "QWE.xlsx"
    # whole names, never cut mid-name at 40 characters (issue 14)
    assert pack_filename("R1A", "Herefordshire and Worcestershire Health and Care NHS Trust") \
        == "R1A - Herefordshire and Worcestershire Health and Care NHS Trust.xlsx"
    long = pack_filename("R1", "University Hospitals Of Somewhere Very Long Indeed Teaching "
                         "And Research Partnership Of Everywhere In The Country")
    assert len(long) <= len("R1 - ") + 80 + len(".xlsx") and not long.endswith(" .xlsx")
    assert long == ("R1 - University Hospitals Of Somewhere Very Long Indeed Teaching And "
                    "Research.xlsx")
    for name in (pack_filename("A/B", ODD_NAME), long):
        assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', name)


def test_summary_shows_the_engines_figures(results, packs):
    for code, path in packs["by_code"].items():
        wb = load_workbook(path)
        assert wb.sheetnames == [SHEET_SUMMARY, SHEET_METRICS, SHEET_LEAGUE, SHEET_WHATIF]
        row = results.league.loc[code]
        expect = {
            "Position": row["position"], "AverageScore": row["average_score"],
            "MetricsScored": row["metrics_scored"],
            "UnadjustedSegment": row["unadjusted_segment"],
            "InDeficit": "Yes" if row["in_deficit"] else "No",
            "OverrideApplied": "Yes" if row["override_applied"] else "No",
            "AdjustedSegment": row["segment"], "InRSP": "Yes" if row["in_rsp"] else "No",
            "FinalSegment": row["final_segment"],
            "DistanceToNextSegment": row["distance_to_next_segment"],
        }
        for name, value in expect.items():
            want = None if pd.isna(value) else (float(value) if isinstance(value, float) else
                                                value if isinstance(value, str) else int(value))
            assert same(named(wb, name), want), (code, name, named(wb, name), want)
        assert named(wb, "LikelyAverage") == pytest.approx([row["score_low"], row["score_high"]])
        assert named(wb, "LikelyPosition") == [int(row["rank_low"]), int(row["rank_high"])]
        assert named(wb, "SummaryCutPoints") == pytest.approx(list(results.cuts_for(code)))
        first = wb[SHEET_SUMMARY]
        assert first["A1"].value == f"{row['name']} ({code})"
        texts = [c.value for r in first.iter_rows() for c in r if isinstance(c.value, str)]
        assert ("Contains public sector information licensed under the Open Government "
                "Licence v3.0.") in texts


def test_domain_scores_against_the_peer_median(results, packs):
    dom = results.domain_scores
    types = results.league["type"]
    for code, path in list(packs["by_code"].items())[::4]:
        table = named(load_workbook(path), "DomainScores")
        rows = [table[i:i + 4] for i in range(0, len(table), 4)]
        peers = dom[types == types[code]]
        assert [r[0] for r in rows] == [d for d in dom.columns if not pd.isna(dom.at[code, d])
                                        or peers[d].notna().any()]
        for domain, score, median, segment in rows:
            assert same(score, None if pd.isna(dom.at[code, domain]) else dom.at[code, domain])
            assert median == pytest.approx(float(np.nanmedian(peers[domain])))
            assert same(segment, None if pd.isna(results.domain_segments.at[code, domain])
                        else int(results.domain_segments.at[code, domain]))


def test_metrics_sheet_values_scores_ranks_and_peer_quartiles(results, packs):
    vals = results.metric_values
    types = results.league["type"].reindex(vals.index)
    pools = {t: pool for pool in results.methodology.national_pools for t in pool}
    for code, path in packs["by_code"].items():
        table = named(load_workbook(path), "MetricTable")
        rows = [table[i:i + 14] for i in range(0, len(table), 14)]
        metrics = results.catalogue.for_type(types[code])
        assert [r[0] for r in rows] == [m.score_id for m in metrics]
        for m, row in zip(metrics, rows):
            sid, value, q1, med, q3, score, peer_score, rank, peers = (
                row[0], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11])
            raw = vals.at[code, m.value_id] if m.value_id in vals.columns else np.nan
            assert same(value, None if pd.isna(raw) else float(raw)), (code, sid)
            s = results.metric_scores.at[code, sid]
            assert same(score, None if pd.isna(s) else float(s)), (code, sid)
            rk = results.metric_ranks.at[code, sid]
            assert same(rank, None if pd.isna(rk) else int(rk))
            assert same(peers, None if pd.isna(rk) else int(results.metric_peers.at[code, sid]))
            # the peer group, worked out independently with pandas' (linear) quantiles
            group = (types.isin(pools[types[code]]) if m.peer_group == "national"
                     else types == types[code]) & types.isin(m.types)
            if m.value_id in vals.columns:
                peer_values = vals.loc[group, m.value_id].dropna()
                assert [q1, med, q3] == pytest.approx(
                    [peer_values.quantile(q) for q in (0.25, 0.5, 0.75)]), (code, sid)
            else:
                assert q1 is None and med is None and q3 is None
            peer_scores = results.metric_scores.loc[group, sid].dropna()
            assert same(peer_score, float(peer_scores.median()) if len(peer_scores) else None)


def test_peer_statistics_by_hand():
    """Four acute and four ambulance trusts: quartiles within the type, or national (OF1082)."""
    orgs = pd.DataFrame({"code": [f"A{i}" for i in range(4)] + [f"M{i}" for i in range(4)],
                         "name": "x", "type": ["acute"] * 4 + ["ambulance"] * 4})
    values = pd.DataFrame({"code": orgs["code"], "OF0061": [6.0, 7.0, 8.0, 9.0, 1, 2, 3, np.nan],
                           "OF0082": [4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]})
    res = compute_league_tables(orgs, values,
                                METHOD.with_settings(cut_points=(2, 2.5, 3),
                                                     bootstrap_replicates=0))
    stats = peer_statistics(res)
    a = stats["OF1061"].loc["A0"]
    assert (a["peer_lower_quartile"], a["peer_median"], a["peer_upper_quartile"]) == \
        (6.75, 7.5, 8.25)
    m = stats["OF1061"].loc["M3"]  # ambulance: 1, 2, 3 (M3 has no value but is in the group)
    assert (m["peer_lower_quartile"], m["peer_median"], m["peer_upper_quartile"],
            m["peers_with_value"]) == (1.5, 2.0, 2.5, 3)
    national = stats["OF1082"].loc["A0"]  # sickness absence is scored nationally: all eight
    assert (national["peer_median"], national["peers_with_value"]) == (7.5, 8)
    assert stats["OF1013"].loc["A0"].isna().all()  # no value given: nothing to summarise


def test_league_sheet_is_the_types_table_with_own_row_highlighted(results, packs):
    for code, path in list(packs["by_code"].items())[::3]:
        ws = load_workbook(path)[SHEET_LEAGUE]
        table = results.table(results.league.at[code, "type"])
        header = [c.value for c in ws[4]]
        assert header[:6] == ["Position", "Code", "Name", "Average metric score", "Segment",
                              "Final segment"]
        assert "Likely position from" in header and "In deficit" in header
        got = [[c.value for c in r[:6]] for r in ws.iter_rows(min_row=5, max_row=4 + len(table))]
        want = [[None if pd.isna(p) else int(p), c, n, None if pd.isna(a) else a,
                 None if pd.isna(s) else int(s), None if pd.isna(f) else int(f)]
                for p, c, n, a, s, f in table[["position", "code", "name", "average_score",
                                               "segment", "final_segment"]].itertuples(index=False)]
        assert got == want
        assert ws.max_row == 4 + len(table)
        rules = [r for cf in ws.conditional_formatting for r in cf.rules if r.type == "expression"]
        assert any(f'="{code}"' in f for r in rules for f in r.formula)


def test_without_peer_detail_only_the_published_columns_remain(results, tmp_path):
    codes = [results.table(t).index[0] for t in results.types_present]
    paths = write_packs(results, tmp_path, codes=codes, include_peer_detail=False)
    assert [p.name.split(" - ")[0] for p in paths] == codes
    for code, path in zip(codes, paths):
        wb = load_workbook(path)
        ws = wb[SHEET_LEAGUE]
        assert [c.value for c in ws[4]] == ["Position", "Code", "Name", "Average metric score",
                                            "Segment", "Final segment"]
        assert ws.max_column == 6
        others = results.table(results.league.at[code, "type"]).drop(index=code)
        leaked = {str(v) for r in ws.iter_rows(min_row=5) for v in (c.value for c in r)}
        assert not leaked & set(others["region"]) - {""}
        # the organisation's own detail is still there
        assert named(wb, "LikelyPosition") == [int(results.league.at[code, "rank_low"]),
                                               int(results.league.at[code, "rank_high"])]


def test_formulas_use_only_excel_2010_functions_and_defined_names(packs):
    seen: set[str] = set()
    for path in packs["paths"][::5]:
        wb = load_workbook(path)
        defined = set(wb.defined_names)
        formulas = []
        for ws in wb.worksheets:
            formulas += [c.value for r in ws.iter_rows() for c in r if c.data_type == "f"]
            formulas += ["=" + f for cf in ws.conditional_formatting for rule in cf.rules
                         for f in rule.formula]
        assert formulas
        for f in formulas:
            assert "_xl" not in f.lower(), f
            funcs = formula_functions(f)
            seen |= funcs
            assert funcs <= EXCEL_2010 and not funcs & NOT_IN_2010, f
            assert formula_names(f) <= defined, (f, formula_names(f) - defined)
    assert {"SUMPRODUCT", "ROUND", "AVERAGE", "COUNT", "IF"} <= seen


def test_whatif_starts_from_the_engines_scores_with_frozen_national_figures(results, packs):
    meth = results.methodology
    for code, path in packs["by_code"].items():
        wb = load_workbook(path)
        ws = wb[SHEET_WHATIF]
        ids = [ws.cell(r, 1).value for r in range(6, 6 + len(named(wb, "WhatIfScores")))]
        assert sorted(ids) == sorted(counted_metrics(results, code))
        now = current_scores(results, code)
        # openpyxl writes 16 significant digits: equal to the last binary digit or so
        assert named(wb, "WhatIfScores") == [pytest.approx(now[i], rel=1e-14) if now[i]
                                             else None for i in ids]
        assert named(wb, "WhatIfDeficit") == ("Yes" if results.league.at[code, "in_deficit"]
                                              else "No")
        assert named(wb, "WhatIfRSP") == ("Yes" if results.league.at[code, "in_rsp"] else "No")
        assert named(wb, "CutPoints") == pytest.approx(list(results.cuts_for(code)), rel=1e-14)
        assert named(wb, "OverrideCap") == meth.override_cap_segment
        assert named(wb, "RSPSegments") == list(meth.rsp_applies_to_segments)
        assert named(wb, "MinimumMetrics") == meth.minimum_metrics
        assert named(wb, "OwnCode") == code
        for name in ("WhatIfAverage", "WhatIfSegment", "WhatIfPosition", "WhatIfDistance"):
            assert str(named(wb, name)).startswith("=IF("), name


def test_only_the_whatif_inputs_are_unlocked_and_validated(packs):
    wb = load_workbook(packs["paths"][0])
    inputs = set()
    for name in ("WhatIfScores", "WhatIfDeficit", "WhatIfRSP"):
        (_, ref), = list(wb.defined_names[name].destinations)
        c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
        inputs |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    for ws in wb.worksheets:
        assert ws.protection.sheet and not ws.protection.password
        for row in ws.iter_rows():
            for cell in row:
                unlocked = not cell.protection.locked
                assert unlocked == (ws.title == SHEET_WHATIF and (cell.row, cell.column) in inputs)
    dvs = wb[SHEET_WHATIF].data_validations.dataValidation
    by_type = {dv.type: dv for dv in dvs}
    assert (by_type["decimal"].formula1, by_type["decimal"].formula2) == ("1.0", "4.0")
    assert by_type["list"].formula1 == '"Yes,No"'
    (_, scores_ref), = list(wb.defined_names["WhatIfScores"].destinations)
    assert str(by_type["decimal"].sqref) == scores_ref.replace("$", "")


def test_native_charts_reference_the_packs_own_cells(packs):
    with zipfile.ZipFile(packs["paths"][0]) as z:
        names = z.namelist()
        assert not any("vbaProject" in n for n in names)  # a plain .xlsx, no macros
        charts = [z.read(n).decode() for n in names if n.startswith("xl/charts/chart")]
    assert len(charts) == 3
    ns = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
    trees = [ElementTree.fromstring(c) for c in charts]
    kinds = sorted(el.tag[len(ns):] for t in trees for el in t.iter()
                   if el.tag in (ns + "barChart", ns + "scatterChart"))
    assert kinds == ["barChart", "barChart", "scatterChart"]
    refs = " ".join(el.text for t in trees for el in t.iter(ns + "f"))
    for sheet in ("'Summary'", "'Metrics'", "'League table'"):
        assert f"{sheet}!" in refs


def test_expected_whatif_equals_a_full_engine_rerun(results):
    """The oracle of the LibreOffice test: the engine's step functions over changed inputs give
    what a full engine run gives with those scores supplied and the cut-points fixed."""
    assert all(expected_whatif(results, c, current_scores(results, c),
                               bool(results.league.at[c, "in_deficit"]),
                               bool(results.league.at[c, "in_rsp"])) == engine_whatif(results, c)
               for c in results.league.index)
    checked = 0
    for sc in scenarios(results):
        now = current_scores(results, sc.code)
        if any(v is None and now[sid] is not None for sid, v in sc.scores.items()):
            continue  # a cleared score cannot be supplied to the engine; checked in LibreOffice
        orgs = results.organisations.copy()
        orgs["in_deficit"] = orgs["in_deficit"].astype(object)
        orgs.loc[sc.code, "in_deficit"] = "Yes" if sc.in_deficit else "No"
        orgs["in_rsp"] = orgs["in_rsp"].astype(object)
        orgs.loc[sc.code, "in_rsp"] = "Yes" if sc.in_rsp else "No"
        values = results.metric_values.copy()
        for sid, score in sc.scores.items():
            if score is None:
                continue  # no score now and none in the scenario
            if sid not in values.columns:
                values[sid] = np.nan
            values.loc[sc.code, sid] = score
        rerun = compute_league_tables(orgs, values, results.methodology.with_settings(
            cut_points=results.cuts_for(sc.code), bootstrap_replicates=0))
        want = expected_whatif(results, sc.code, sc.scores, sc.in_deficit, sc.in_rsp)
        assert engine_whatif(rerun, sc.code) == want, sc.name
        checked += 1
    assert checked >= 2 * len(results.types_present)
    moved = [sc for sc in scenarios(results)
             if expected_whatif(results, sc.code, sc.scores, sc.in_deficit, sc.in_rsp)["final"]
             != results.league.at[sc.code, "final_segment"]]
    assert len(moved) >= 2 * len(results.types_present)  # the scenarios do move segments


def test_unknown_code_is_refused_with_the_code_named(results, tmp_path):
    with pytest.raises(InputError, match="'NOPE'"):
        write_packs(results, tmp_path, codes=["NOPE"])
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_previous_pack_untouched(results, tmp_path, monkeypatch):
    code = results.league.index[0]
    (path,) = write_packs(results, tmp_path, codes=[code])
    before = path.read_bytes()

    def broken_save(self, filename):
        Path(filename).write_bytes(b"half a workbook")
        raise OSError(28, "No space left on device")

    def broken_write(filename, data):
        Path(filename).write_bytes(data[:100])
        raise OSError(28, "No space left on device")

    for clone in (False, True):  # saved by openpyxl, or written from a template's bytes
        if clone:
            monkeypatch.setattr("xl_league.packs._write_bytes", broken_write)
        else:
            monkeypatch.setattr("openpyxl.workbook.workbook.Workbook.save", broken_save)
        with pytest.raises(WorkbookError, match="No space left on device"):
            write_packs(results, tmp_path, codes=[code], clone=clone)
        monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [path.name]  # no temporary file left behind
