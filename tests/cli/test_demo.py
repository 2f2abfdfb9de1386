"""The bundled synthetic national dataset (xl_league.demo)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from openpyxl import load_workbook

from cli_helpers import run
from xl_league import InputError, compute_league_tables, load_catalogue, load_methodology
from xl_league.demo import DEMO_QUARTER, DemoDataset, national_demo_dataset, scaled_demo_dataset
from xl_league.workbook_io.reader import read_inputs
from xl_league.workbook_io.template import build_template
from xl_league.workbook_io.writer import fill_inputs
from nhse_data import MH_CSV as NHSE_FILE


# NHS England's published acute peer medians and quartiles (Q3 2025/26), copied from
# nof-methodology.md "Typical values": the demo must look like these.
ACUTE_PUBLISHED = {  # value ID: (median, lower quartile, upper quartile)
    "OF0023": (60.9, 57.5, 65.4), "OF0013": (73.1, 70.1, 78.2), "OF0014": (8.2, 4.8, 10.6),
    "OF0011": (71.5, 65.4, 77.9), "OF0010": (77.6, 74.8, 82.0), "OF0082": (5.0, 4.5, 5.5),
    "OF0084": (6.87, 6.70, 7.03), "OF0061": (6.41, 6.23, 6.58), "OF0088": (1.11, 0.95, 1.28),
    "OF0048": (1.17, 1.06, 1.28), "OF0085": (2.6, 0.7, 4.5), "OF0020": (3.0, 2.0, 5.0),
    "OF0025": (0.78, 0.45, 1.08), "OF0079": (-1.6, -4.1, 0.0), "OF0081": (-0.2, -1.9, 0.0),
}
SEEDS = (2025, 1, 2)


@pytest.fixture(scope="module")
def demo() -> DemoDataset:
    return national_demo_dataset()


@pytest.fixture(scope="module")
def league(demo):
    meth = load_methodology().with_settings(bootstrap_replicates=200)
    return compute_league_tables(demo.organisations, demo.values, meth)


def _by_type(demo: DemoDataset, org_type: str) -> pd.DataFrame:
    types = demo.organisations.set_index("code")["type"]
    return demo.values[types.reindex(demo.values.index) == org_type]


def test_counts_per_type_and_quarter_label(demo):
    orgs = demo.organisations
    assert len(orgs) == 205
    assert orgs["type"].value_counts().to_dict() == {"acute": 134, "non-acute": 61,
                                                     "ambulance": 10}
    assert demo.quarter == DEMO_QUARTER == "Q2 2025/26 (synthetic)"
    assert list(orgs.columns) == ["code", "name", "type", "region", "subtype", "in_deficit",
                                  "in_rsp"]
    assert list(demo.values.index) == list(orgs["code"])
    assert set(orgs["region"]) == {"North East and Yorkshire", "North West", "Midlands", "East",
                                   "London", "South East", "South West"}
    subtypes = orgs.groupby("type")["subtype"].unique().map(set).to_dict()
    assert {"Acute - Teaching", "Acute - Large", "Acute - Specialist"} <= subtypes["acute"]
    assert {"Community", "Mental Health and Learning Disability"} <= subtypes["non-acute"]


def test_codes_are_unique_fictional_text(demo):
    codes = demo.organisations["code"]
    assert codes.is_unique
    assert all(isinstance(c, str) for c in codes)
    # three characters starting with Z: real NHS trust codes start with R or T
    assert all(re.fullmatch(r"Z[A-Z][0-9A-Z]", c) for c in codes)
    assert demo.organisations["name"].is_unique
    assert demo.organisations["name"].str.endswith(("NHS Trust", "NHS Foundation Trust")).all()


@pytest.mark.nhse_data
def test_names_share_no_place_with_real_trusts(demo):
    if not NHSE_FILE.exists():
        pytest.skip(f"NHS England's published data not found at {NHSE_FILE}")
    real = pd.read_csv(NHSE_FILE, usecols=["Trust_name"], encoding="utf-8-sig")["Trust_name"]
    generic = {"NHS", "Trust", "Foundation", "University", "Teaching", "Hospital", "Hospitals",
               "Health", "Healthcare", "Care", "Community", "Services", "Partnership", "Mental",
               "and", "of", "Royal", "General", "District", "Valley", "Service", "Combined"}
    words = lambda names: {w for n in names for w in re.findall(r"[A-Z][a-z']+", n)}  # noqa: E731
    assert not set(demo.organisations["name"]) & set(real)
    assert not (words(demo.organisations["name"]) - generic) & (words(real) - generic)


def test_every_applicable_metric_has_values(demo):
    catalogue = load_catalogue()
    for org_type in ("acute", "non-acute", "ambulance"):
        block = _by_type(demo, org_type)
        for metric in catalogue.for_type(org_type):
            if metric.scoring == "combined":
                continue  # OF1080 is computed from OF1079 and OF1081
            column = metric.score_id if metric.scoring == "supplied" else metric.value_id
            assert block[column].notna().any(), (org_type, column)
        others = [c for c in demo.values.columns
                  if not any(c in (m.value_id, m.score_id) for m in catalogue.for_type(org_type))]
        assert block[others].isna().all().all(), org_type


def test_some_values_are_missing_as_in_real_data(demo):
    acute = _by_type(demo, "acute")
    ae_missing = acute["OF0013"].isna().mean()
    assert 0.03 <= ae_missing <= 0.15  # specialist trusts without an A&E
    non_acute = _by_type(demo, "non-acute")
    assert non_acute["OF0005"].isna().mean() > 0.1  # mental-health trusts without community
    assert non_acute["OF0082"].notna().all()        # workforce metrics: every trust


def test_supplied_scores_are_whole_scores_1_to_4(demo):
    for col in ("OF1106", "OF1035", "OF1067"):
        s = demo.values[col].dropna()
        assert len(s) > 0
        assert s.isin([1.0, 2.0, 3.0, 4.0]).all(), col


def test_same_seed_same_frames_other_seed_other_values():
    a, b, c = national_demo_dataset(7), national_demo_dataset(7), national_demo_dataset(8)
    pd.testing.assert_frame_equal(a.organisations, b.organisations)
    pd.testing.assert_frame_equal(a.values, b.values)
    assert not a.values.equals(c.values)
    # another seed is another quarter of the same fictional trusts
    assert list(a.organisations["code"]) == list(c.organisations["code"])
    assert list(a.organisations["name"]) == list(c.organisations["name"])
    assert (a.seed, c.seed) == (7, 8)


@pytest.mark.parametrize("seed", SEEDS)
def test_acute_medians_near_published(seed):
    """Each sample median within 4 standard errors of NHS England's median.

    Between the quartiles the demo's quantile function is linear, so the density left of the
    median is 0.25 / (median − LQ) and right of it 0.25 / (UQ − median); the standard error of
    a sample median of n values is 1 / (2 f √n) ≤ 2 · max(median − LQ, UQ − median) / √n.
    Four of those (≈ 0.35 × IQR for 130 acute trusts) is loose enough never to fail by chance
    on these fixed seeds, and tight enough to catch a wrong centre or a wrong scale.
    """
    acute = _by_type(national_demo_dataset(seed), "acute")
    for metric, (median, lq, uq) in ACUTE_PUBLISHED.items():
        values = acute[metric].dropna()
        tolerance = 4 * 2 * max(median - lq, uq - median) / math.sqrt(len(values))
        assert abs(values.median() - median) <= tolerance, (metric, values.median(), median)


@pytest.mark.nhse_data
def test_non_acute_medians_near_nhs_england_q2():
    if not NHSE_FILE.exists():
        pytest.skip(f"NHS England's published data not found at {NHSE_FILE}")
    data = pd.read_csv(NHSE_FILE, dtype=str, encoding="utf-8-sig")
    q2 = data[(data["Quarter"] == "Q2 2025/26") & data["Median_value"].notna()]
    published = q2.drop_duplicates("Metric_ID").set_index("Metric_ID")[
        ["Median_value", "Lower_quartile", "Upper_quartile"]].astype(float)
    assert len(published) == 11
    for seed in SEEDS:
        block = _by_type(national_demo_dataset(seed), "non-acute")
        for metric, (median, lq, uq) in published.iterrows():
            values = block[metric].dropna()
            tolerance = 4 * 2 * max(median - lq, uq - median) / math.sqrt(len(values))
            assert abs(values.median() - median) <= tolerance, (seed, metric, values.median())


@pytest.mark.parametrize("seed", SEEDS)
def test_deficit_shares_and_flags_follow_finance(seed):
    demo = national_demo_dataset(seed)
    orgs = demo.organisations.set_index("code")
    share = (orgs["in_deficit"] == "Yes").groupby(orgs["type"]).mean()
    assert 0.65 <= share["acute"] <= 0.85          # "about three quarters"
    assert 0.18 <= share["non-acute"] <= 0.40      # "a quarter to a third"
    v = demo.values
    rule = (v["OF0079"] < 0) | (v["OF0081"] < 0)
    agree = ((orgs["in_deficit"] == "Yes") == rule).mean()
    assert 0.9 <= agree < 1.0  # mostly the finance rule, with a few exceptions


def test_finance_lumps_at_break_even(demo):
    non_acute = _by_type(demo, "non-acute")
    assert non_acute["OF0079"].median() == 0.0  # most plan exactly to break even
    assert (non_acute["OF0079"] == 0).mean() > 0.5
    values = demo.values.to_numpy()
    assert not np.signbit(values[values == 0]).any()  # no "-0.0" in a cell


def test_engine_gives_full_tables_and_all_segments(demo, league):
    for org_type, count in (("acute", 134), ("non-acute", 61), ("ambulance", 10)):
        table = league.table(org_type)
        assert len(table) == count
        assert table["position"].notna().all()
        assert table["average_score"].between(1, 4).all()
        assert table["position"].min() == 1
    assert set(league.league["unadjusted_segment"]) == {1, 2, 3, 4}
    assert set(league.league["segment"]) == {1, 2, 3, 4}
    assert 5 in set(league.league["final_segment"])
    assert not league.league["deficit_derived"].any()  # every flag is given


def test_recovery_support_trusts_are_worst_performers(demo, league):
    rsp = league.league[league.league["in_rsp"]]
    assert rsp["type"].value_counts().to_dict() == {"acute": 2, "non-acute": 1}
    assert (rsp["unadjusted_segment"] == 4).all()
    assert (rsp["final_segment"] == 5).all()


# --------------------------------------------------------------------------- scaled datasets

def test_scaled_dataset_is_the_national_one_n_times_over_with_unique_text_codes(demo):
    big = scaled_demo_dataset(3)
    orgs = big.organisations
    assert big.scale == 3 and big.seed == 2025 and big.quarter == DEMO_QUARTER
    assert orgs["type"].value_counts().to_dict() == {"acute": 402, "non-acute": 183,
                                                     "ambulance": 30}
    assert orgs["code"].is_unique and all(isinstance(c, str) for c in orgs["code"])
    assert list(big.values.index) == list(orgs["code"])
    assert list(big.values.columns) == list(demo.values.columns)
    # sorted by type (acute, non-acute, ambulance) then code, like the national dataset
    type_rank = orgs["type"].map({"acute": 0, "non-acute": 1, "ambulance": 2})
    assert list(zip(type_rank, orgs["code"])) == sorted(zip(type_rank, orgs["code"]))
    # copy 0 is the national dataset; copy c is seed 2025 + c with codes ending -c
    national = orgs[~orgs["code"].str.contains("-")].set_index("code")
    pd.testing.assert_frame_equal(national, demo.organisations.set_index("code").loc[national.index])
    pd.testing.assert_frame_equal(big.values.loc[demo.values.index], demo.values)
    second = national_demo_dataset(2027)
    copy2 = big.values.loc[second.values.index + "-2"]
    np.testing.assert_array_equal(copy2.to_numpy(), second.values.to_numpy())
    assert not np.array_equal(copy2.fillna(-1).to_numpy(), demo.values.fillna(-1).to_numpy())


def test_scale_one_is_the_national_dataset_and_a_bad_scale_is_refused(demo):
    one = scaled_demo_dataset(1)
    pd.testing.assert_frame_equal(one.organisations, demo.organisations)
    pd.testing.assert_frame_equal(one.values, demo.values)
    for bad in (0, -2, 1.5, "3", True):
        with pytest.raises(InputError, match="1 or more"):
            scaled_demo_dataset(bad)


@pytest.mark.parametrize("seed", [2028, 2029])
def test_every_seed_reads_cleanly_no_tiny_percentage_looks_like_a_fraction(seed):
    """Seeds 2028/2029 drew 0.01-0.03 % over-52-week waits among a 2.2 % median, which the
    reader refuses as fractions typed by mistake; the demo rounds those to 0."""
    data = national_demo_dataset(seed)
    wb = build_template()
    fill_inputs(wb, data.organisations, data.values, quarter=data.quarter)
    inputs = read_inputs(wb)
    assert inputs.problem_lines() == []
    assert len(inputs.organisations) == 205


def test_xl_league_demo_scale_writes_and_prints_the_scaled_tables(tmp_path):
    result = run("demo", "--scale", "2", "--rows", "3", "-o", "out", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    path = tmp_path / "out" / "nof-league-tables-demo.xlsx"
    assert result.stdout.endswith("wrote out/nof-league-tables-demo.xlsx\n")
    titles = re.findall(r"^(\S+) league table \((\d+) trusts\)$", result.stdout, re.MULTILINE)
    assert titles == [("acute", "268"), ("non-acute", "122"), ("ambulance", "20")]
    inputs = read_inputs(path)
    assert inputs.problem_lines() == []
    assert len(inputs.organisations) == 410 and inputs.organisations.index.is_unique
    # the top and bottom printed are the workbook's league table's, codes whole
    wb = load_workbook(path, read_only=True)
    try:
        rows = list(wb["Acute league table"].iter_rows(values_only=True))
    finally:
        wb.close()
    code_col = rows[0].index("Code")
    written = [r[code_col] for r in rows[1:] if r[code_col] is not None]
    assert len(written) == 268
    acute = result.stdout.split("non-acute league table")[0]
    printed = [line.split("│")[2].strip() for line in acute.splitlines()
               if line.startswith("│") and "…" not in line.split("│")[1]]
    assert printed == written[:3] + written[-3:]


def test_xl_league_demo_refuses_a_scale_below_one(tmp_path):
    result = run("demo", "--scale", "0", "-o", "out", cwd=tmp_path)
    assert result.exit_code == 2
    assert "--scale" in result.output and not (tmp_path / "out").exists()
