"""The significance test of a quarter-on-quarter change (xl_league/engine/significance.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xl_league.engine.significance import SIGNIFICANCE_COLUMNS, change_significance

NAN = np.nan


def frames():
    cols = ["OF1001", "OF1002", "OF1003", "OF1004"]
    old = pd.DataFrame([[1.0, 2.0, 3.0, 4.0],          # R1: every metric 1 better → significant
                        [2.0, 2.0, 2.0, 2.0],          # R2: unchanged
                        [1.0, 1.0, 1.0, NAN],          # R3: a metric scored only in Q2
                        [NAN, NAN, NAN, NAN],          # R4: no scores in Q1
                        [2.0, 3.0, 2.0, 3.0]],         # R5: one metric of four moves
                       index=["R1", "R2", "R3", "R4", "R5"], columns=cols)
    new = pd.DataFrame([[1.0, 1.0, 2.0, 3.0],
                        [2.0, 2.0, 2.0, 2.0],
                        [1.0, 1.0, 1.0, 4.0],
                        [1.0, 1.0, NAN, NAN],
                        [2.0, 3.0, 2.0, 1.0]],
                       index=["R1", "R2", "R3", "R4", "R5"], columns=cols)
    new.loc["R1"] = old.loc["R1"] - [0.0, 1.0, 1.0, 1.0]
    new.loc["R1", "OF1001"] = 0.5                      # scores stay ≥ 1 elsewhere; a test value
    return old, new


def test_answers_by_hand():
    old, new = frames()
    out = change_significance(old, new)
    assert list(out.columns) == SIGNIFICANCE_COLUMNS and list(out.index) == list(new.index)
    assert out["change"].round(6).tolist()[:3] == [-0.875, 0.0, 0.75]
    assert out["significant"].tolist()[:3] == [True, False, False]
    # R3: metric OF1004 counts in Q2 only; a draw of it moves the Q2 mean, never below 0
    assert out.loc["R3", "change_low"] == 0.0 and out.loc["R3", "change_high"] > 0
    assert pd.isna(out.loc["R4", "significant"]) and np.isnan(out.loc["R4", "change"])
    # R5: one metric of four, −0.5 on the average: (3/4)^4 ≈ 32 % of draws miss it
    assert out.loc["R5", "change_high"] == 0.0 and not out.loc["R5", "significant"]


def test_seeded_and_independent_of_row_order():
    old, new = frames()
    a = change_significance(old, new, seed=11)
    b = change_significance(old.iloc[::-1], new.iloc[::-1], seed=11)
    pd.testing.assert_frame_equal(a, b.loc[a.index])
    pd.testing.assert_frame_equal(a, change_significance(old, new, seed=11))


def test_only_codes_in_both_quarters_and_chunking(monkeypatch):
    old, new = frames()
    out = change_significance(old.drop(index="R2"), new)
    assert "R2" not in out.index
    whole = change_significance(old, new)
    monkeypatch.setattr("xl_league.engine.significance._CHUNK_CELLS", 100)   # 5 replicates
    pd.testing.assert_frame_equal(change_significance(old, new), whole)


def test_confidence_level_widens_the_interval():
    old, new = frames()
    narrow = change_significance(old, new, confidence=0.5)
    wide = change_significance(old, new, confidence=0.99)
    assert (wide["change_low"] <= narrow["change_low"]).loc[["R1", "R3", "R5"]].all()
    with pytest.raises(ValueError):
        change_significance(old, new, replicates=0)
