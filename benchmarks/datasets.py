"""Inputs for the benchmark: the national demo dataset, scaled copies, an Excel-shaped range.

Scaling is *per type* (:func:`xl_league.demo.scaled_demo_dataset`, the data of ``xl-league demo
--scale N``): ``scaled_dataset(10)`` is ten quarters of the fictional NHS side by side (seeds
2025, 2026, ...), each copy's codes suffixed (``ZA1``, ``ZA1-1``, ``ZA1-2``, ...), so 10× is
1,340 acute, 610 non-acute and 100 ambulance trusts ranked in three league tables with
distinct values — the size of an ICB- or practice-level table, not a copy of one table.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from xl_league.demo import scaled_demo_dataset
from xl_league.engine import LeagueTables
from xl_league.engine.segments import pool_cuts_for

__all__ = ["scaled_dataset", "udf_range", "likely_range_arguments"]

DEMO_SEED = 2025


def scaled_dataset(factor: int, seed: int = DEMO_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(organisations, values) of ``factor`` copies of the national dataset, new codes each."""
    data = scaled_demo_dataset(factor, seed)
    return data.organisations, data.values


def _cell(value: object) -> object:
    """What Excel passes for one cell: None for a blank, float for a number, str for text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    return str(value)


def udf_range(organisations: pd.DataFrame, values: pd.DataFrame) -> list[list[object]]:
    """The 2-D list Excel hands NOF_LEAGUE_TABLE for an input range with a header row."""
    fixed = [("Code", "code"), ("Name", "name"), ("Type", "type"), ("Region", "region"),
             ("Subtype", "subtype"), ("In deficit", "in_deficit"), ("In RSP", "in_rsp")]
    orgs = organisations.set_index("code") if "code" in organisations.columns else organisations
    header = [h for h, _ in fixed] + [str(c) for c in values.columns]
    rows: list[list[object]] = [header]
    for code, org in orgs.iterrows():
        row = [_cell(code)] + [_cell(org[key]) for _, key in fixed[1:]]
        row += [_cell(v) for v in values.loc[code].to_numpy()]
        rows.append(row)
    return rows


def likely_range_arguments(results: LeagueTables) -> dict[str, object]:
    """The arguments :func:`xl_league.engine.likely_ranges.likely_ranges` gets for ``results``."""
    league = results.league
    meth = results.methodology
    counted = [m.score_id for m in results.catalogue
               if m.in_average and m.score_id in results.metric_scores.columns]
    return {
        "scores": results.metric_scores.loc[league.index],
        "counted": counted,
        "types": league["type"],
        "in_deficit": league["in_deficit"].to_numpy(dtype=bool),
        "org_cuts": pool_cuts_for(league["type"], results.cut_points),
        "eligible": league["average_score"].notna().to_numpy(),
        "seed": meth.bootstrap_seed,
        "confidence": meth.bootstrap_confidence,
        "cap_segment": meth.override_cap_segment,
        "decimals": meth.average_decimals,
    }
