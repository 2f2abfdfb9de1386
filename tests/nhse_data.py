"""NHS England's published NOF trust data (``../shared/data``) as engine inputs, for tests only.

The production importer is ``xl_league.nhse``; this helper is deliberately tiny and independent
of it, so the conformance tests check the engine against the published file directly.

The file is long format: one row per trust × metric (``Trust_code``, ``Metric_ID``, ``Value``,
``Rank``, ...). :func:`published` turns one quarter into a wide table (trusts × metric IDs);
:func:`organisations` and :func:`score_inputs` / :func:`raw_inputs` build what
:func:`xl_league.compute_league_tables` takes. The data is never copied into the repository;
tests skip with :data:`SKIP_REASON` when it is absent.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

from xl_league import Catalogue

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
MH_CSV = DATA_DIR / "nhse-nof-mental-health-community-trust-data-q1-q2-2025-26.csv"
QUARTERS = ("Q1 2025/26", "Q2 2025/26")
SKIP_REASON = (f"NHS England's published mental health and community trust data is not at "
               f"{MH_CSV} (it lives in ../shared/data beside the repository, never inside it)")

#: ``pytestmark = requires_data`` in a test module that reads the published file.
requires_data = [pytest.mark.nhse_data, pytest.mark.skipif(not MH_CSV.exists(), reason=SKIP_REASON)]


@lru_cache(maxsize=1)
def long_data() -> pd.DataFrame:
    """The whole published file, codes as text (UTF-8 with BOM, as NHS England ships it)."""
    return pd.read_csv(MH_CSV, encoding="utf-8-sig", dtype={"Trust_code": str})


@lru_cache(maxsize=8)
def published(quarter: str, column: str = "Value") -> pd.DataFrame:
    """One quarter, wide: index = trust code, columns = metric IDs, cells = ``column``."""
    rows = long_data()
    rows = rows[rows["Quarter"] == quarter]
    if rows.empty:
        raise ValueError(f"no rows for quarter {quarter!r} in {MH_CSV.name}")
    wide = rows.pivot(index="Trust_code", columns="Metric_ID", values=column)
    wide.index.name = "code"
    wide.columns.name = None
    return wide.astype(float)


def organisations(quarter: str, *, with_deficit_flag: bool = True) -> pd.DataFrame:
    """Engine organisations: code, name, type, region, subtype, in_deficit, in_rsp.

    ``in_deficit`` is NHS England's financial override flag (OF5004, 1 = in deficit) as Yes/No,
    or blank everywhere when ``with_deficit_flag`` is False; ``in_rsp`` is OF5007.
    """
    rows = long_data()
    rows = rows[rows["Quarter"] == quarter].drop_duplicates("Trust_code").set_index("Trust_code")
    wide = published(quarter)
    yes_no = {1.0: "Yes", 0.0: "No"}
    orgs = pd.DataFrame({
        "code": rows.index,
        "name": rows["Trust_name"].to_numpy(),
        "type": rows["Trust_type"].to_numpy(),
        "region": rows["Region"].to_numpy(),
        "subtype": rows["Trust_subtype"].to_numpy(),
        "in_deficit": (wide["OF5004"].reindex(rows.index).map(yes_no).to_numpy()
                       if with_deficit_flag else None),
        "in_rsp": wide["OF5007"].reindex(rows.index).map(yes_no).to_numpy(),
    })
    return orgs.reset_index(drop=True)


def score_inputs(quarter: str, catalogue: Catalogue) -> pd.DataFrame:
    """Metric values = NHS England's published scores (OF1xxx) as supplied scores."""
    wide = published(quarter)
    ids = [m.score_id for m in catalogue if m.score_id in wide.columns]
    return wide[ids]


def raw_inputs(quarter: str, catalogue: Catalogue) -> pd.DataFrame:
    """Metric values = the published raw values (OF0xxx), plus the published scores of the
    metrics that have no raw value (CQC ratings: OF1035, OF1067) as supplied scores."""
    wide = published(quarter)
    value_ids = [m.value_id for m in catalogue if m.value_id and m.value_id in wide.columns]
    supplied_only = [m.score_id for m in catalogue
                     if m.scoring == "supplied" and m.score_id in wide.columns]
    return wide[value_ids + supplied_only]
