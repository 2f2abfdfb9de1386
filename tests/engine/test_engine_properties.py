"""Properties of the engine that hold for any input (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xl_league import compute_league_tables, load_methodology
from xl_league.engine.scoring import ranked_scores

METHOD = load_methodology().with_settings(bootstrap_replicates=0)
TYPES = ["acute", "non-acute", "ambulance"]
#: supplied-score metrics that every trust type has
SCORE_IDS = ["OF1061", "OF1082", "OF1084", "OF1080"]
#: each example runs the whole engine (~30 ms): keep the file to a few seconds
FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CHEAP = settings(max_examples=200, deadline=None)

score = st.integers(100, 400).map(lambda i: i / 100)  # 1.00 .. 4.00
maybe_score = st.one_of(score, score, st.none())


@st.composite
def trusts(draw, min_size=4, max_size=24):
    """(organisations, values): supplied scores, everyone with at least one score."""
    n = draw(st.integers(min_size, max_size))
    codes = [f"R{i:03d}" for i in draw(st.lists(st.integers(0, 999), min_size=n, max_size=n,
                                                 unique=True))]
    orgs = pd.DataFrame({
        "code": codes,
        "type": draw(st.lists(st.sampled_from(TYPES), min_size=n, max_size=n)),
        "in_deficit": draw(st.lists(st.sampled_from(["Yes", "No", None]), min_size=n, max_size=n)),
        "in_rsp": draw(st.lists(st.sampled_from(["Yes", "No"]), min_size=n, max_size=n)),
    })
    columns = {SCORE_IDS[0]: draw(st.lists(score, min_size=n, max_size=n))}
    for metric in SCORE_IDS[1:]:
        column = draw(st.lists(maybe_score, min_size=n, max_size=n))
        if any(v is not None for v in column):
            columns[metric] = column
    values = pd.DataFrame(columns, index=codes, dtype=float)
    return orgs, values


def league_of(orgs, values, meth=METHOD):
    return compute_league_tables(orgs, values, meth).league


@FAST
@given(trusts())
def test_positions_are_a_competition_ranking_within_each_type(data):
    league = league_of(*data)
    for _, table in league.groupby("type"):
        keys = list(zip(table["segment"], table["average_score"]))
        for (seg, avg), position in zip(keys, table["position"]):
            assert position == 1 + sum(k < (seg, avg) for k in keys)
        assert table["position"].min() == 1


@FAST
@given(trusts())
def test_segment_is_monotone_in_the_average_score(data):
    league = league_of(*data).sort_values("average_score")
    assert league["unadjusted_segment"].is_monotonic_increasing
    assert set(league["unadjusted_segment"]) <= {1, 2, 3, 4}


@FAST
@given(trusts())
def test_a_trust_in_deficit_is_never_in_segment_1_or_2(data):
    league = league_of(*data)
    assert (league.loc[league["in_deficit"], "segment"] >= 3).all()
    # and the override only ever moves a trust down to 3, never to 4
    assert (league["segment"] >= league["unadjusted_segment"]).all()
    assert ((league["segment"] == 4) == (league["unadjusted_segment"] == 4)).all()


@FAST
@given(trusts(), st.randoms(use_true_random=False))
def test_permuting_input_rows_changes_nothing(data, random):
    orgs, values = data
    meth = METHOD.with_settings(bootstrap_replicates=40)
    order = list(range(len(orgs)))
    random.shuffle(order)
    first = compute_league_tables(orgs, values, meth)
    second = compute_league_tables(orgs.iloc[order], values.iloc[order[::-1]], meth)
    pd.testing.assert_frame_equal(first.league.sort_index(), second.league.sort_index())
    pd.testing.assert_frame_equal(first.metric_scores.sort_index(),
                                  second.metric_scores.sort_index())
    pd.testing.assert_frame_equal(first.cut_points, second.cut_points)


@FAST
@given(trusts(min_size=8, max_size=40))
def test_national_quartiles_hold_a_quarter_each_within_what_ties_allow(data):
    result = compute_league_tables(*data, METHOD)
    league, cuts = result.league, result.cut_points
    averages = league["average_score"].to_numpy(dtype=float)
    n = len(averages)
    assert len(cuts) == 1  # one national pool of trusts
    for j, column in enumerate(["c1", "c2", "c3"], start=1):
        c = float(cuts.at[0, column])
        p = j / 4
        better = int((league["unadjusted_segment"] <= j).sum())  # strictly below c_j
        tied = int(np.isclose(averages, c, rtol=0, atol=1e-9).sum())
        # QUARTILE.INC puts c_j at position (n - 1) p; ties at c_j go to the worse segment
        assert n * p - p - tied - 1e-9 < better <= n * p - p + 1 + 1e-9


@st.composite
def raw_trusts(draw):
    """Raw values for ranked and banded metrics of all trust types."""
    n = draw(st.integers(4, 20))
    codes = [f"T{i:02d}" for i in range(n)]
    orgs = pd.DataFrame({"code": codes,
                         "type": draw(st.lists(st.sampled_from(TYPES), min_size=n, max_size=n))})
    value = st.floats(-50, 150, allow_nan=False, width=32)
    columns = {metric: draw(st.lists(value, min_size=n, max_size=n))
               for metric in ("OF0061", "OF0082", "OF0084", "OF0079", "OF0081")}
    return orgs, pd.DataFrame(columns, index=codes)


@FAST
@given(raw_trusts())
def test_scores_and_averages_are_always_within_1_and_4(data):
    result = compute_league_tables(*data, METHOD)
    scores = result.metric_scores.to_numpy(dtype=float)
    assert np.nanmin(scores) >= 1.0 and np.nanmax(scores) <= 4.0
    assert result.league["average_score"].between(1.0, 4.0).all()
    assert result.metric_scores[["OF1061", "OF1082", "OF1084", "OF1080"]].notna().all().all()


@CHEAP
@given(st.lists(st.integers(0, 30), min_size=1, max_size=25), st.integers(0, 30), st.booleans())
def test_a_newcomer_never_improves_anyone_it_beats_nor_worsens_anyone_else(values, new,
                                                                          higher_is_better):
    before = ranked_scores(np.array(values, float), higher_is_better)
    after = ranked_scores(np.array(values + [new], float), higher_is_better)[:-1]
    beaten = np.array([(new > v) if higher_is_better else (new < v) for v in values])
    assert (after[beaten] >= before[beaten] - 1e-12).all()
    assert (after[~beaten] <= before[~beaten] + 1e-12).all()
