"""Step 1 — metric scores, 1.00 (best) to 4.00 (worst).

``ranked``: within the peer group (the organisation's type, or its national pool), with ``n``
organisations holding a value and ``b`` of them strictly better, score = 1 + 3·b/(n−1); tied
values share the better score; n = 1 gives 1.00. ``banded``: the catalogue's bands.
``combined``: the catalogue's 4×4 lookup on two component scores. ``supplied``: typed in.
A supplied score (the metric's score-ID column) always wins over a computed one.
Missing value or a type the metric does not apply to: no score (NaN), nothing imputed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalogue import Catalogue, Metric
from .methodology import Methodology

__all__ = ["MetricScores", "score_metrics", "ranked_scores", "banded_scores", "combined_scores",
           "competition_better_counts", "peer_groups"]


@dataclass(frozen=True)
class MetricScores:
    scores: pd.DataFrame   # index code, columns score_id, float (NaN = no score)
    ranks: pd.DataFrame    # rank within the peer group, 1 = best (competition ranking)
    peers: pd.DataFrame    # n: organisations with a score in the peer group
    supplied: pd.DataFrame  # True where the score was supplied rather than computed
    notes: tuple[str, ...]


def competition_better_counts(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    """For each finite value, how many other values are strictly better (NaN stays NaN)."""
    out = np.full(values.shape, np.nan)
    ok = ~np.isnan(values)
    v = values[ok]
    s = np.sort(v)
    if higher_is_better:
        out[ok] = len(s) - np.searchsorted(s, v, side="right")
    else:
        out[ok] = np.searchsorted(s, v, side="left")
    return out


def ranked_scores(values: np.ndarray, higher_is_better: bool, best: float = 1.0,
                  worst: float = 4.0) -> np.ndarray:
    """Scores for one peer group's values: best + (worst−best)·b/(n−1); NaN where no value."""
    b = competition_better_counts(values, higher_is_better)
    n = int(np.count_nonzero(~np.isnan(values)))
    if n <= 1:
        return np.where(np.isnan(values), np.nan, best)
    return best + (worst - best) * b / (n - 1)


def banded_scores(values: np.ndarray, metric: Metric) -> np.ndarray:
    """Bands are tried in order; the first match gives the score, else ``else_score``."""
    out = np.full(values.shape, np.nan)
    todo = ~np.isnan(values)
    for band in metric.bands:
        ops = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}
        with np.errstate(invalid="ignore"):
            hit = todo & ops[band.op](values, band.threshold)
        out[hit] = band.score
        todo &= ~hit
    out[todo] = metric.else_score
    return out


def combined_scores(first: np.ndarray, second: np.ndarray, metric: Metric
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The 4×4 lookup; returns (scores, used-an-unobserved-cell mask)."""
    out = np.full(first.shape, np.nan)
    unobserved = np.zeros(first.shape, dtype=bool)
    ok = ~np.isnan(first) & ~np.isnan(second)
    r = np.clip(np.rint(first[ok]).astype(int), 1, 4) - 1
    c = np.clip(np.rint(second[ok]).astype(int), 1, 4) - 1
    matrix = np.asarray(metric.matrix, dtype=float)
    seen = np.asarray(metric.observed, dtype=bool)
    out[ok] = matrix[r, c]
    unobserved[ok] = ~seen[r, c]
    return out, unobserved


def peer_groups(metric: Metric, types: pd.Series, meth: Methodology) -> list[np.ndarray]:
    """Boolean masks over organisations, one per peer group of this metric."""
    applies = types.isin(metric.types).to_numpy()
    if metric.peer_group == "national":
        groups = [types.isin(pool).to_numpy() & applies for pool in meth.national_pools]
    else:
        groups = [(types == t).to_numpy() & applies for t in metric.types]
    return [g for g in groups if g.any()]


def score_metrics(organisations: pd.DataFrame, values: pd.DataFrame, catalogue: Catalogue,
                  meth: Methodology) -> MetricScores:
    """Every catalogue metric's score for every organisation (the metric-scores table)."""
    codes = organisations.index
    types = organisations["type"]
    n_orgs = len(codes)
    scores: dict[str, np.ndarray] = {}
    ranks: dict[str, np.ndarray] = {}
    peers: dict[str, np.ndarray] = {}
    supplied: dict[str, np.ndarray] = {}
    notes: list[str] = []

    def column(col_id: str | None) -> np.ndarray:
        if col_id and col_id in values.columns:
            column: np.ndarray = values[col_id].to_numpy(dtype=float, na_value=np.nan)
            return column
        return np.full(n_orgs, np.nan)

    ordered = [m for m in catalogue if m.scoring != "combined"] + \
              [m for m in catalogue if m.scoring == "combined"]
    for metric in ordered:
        applies = types.isin(metric.types).to_numpy()
        raw = column(metric.value_id)
        computed = np.full(n_orgs, np.nan)
        given = column(metric.score_id)
        use_given = ~np.isnan(given)
        if metric.scoring == "ranked":
            for group in peer_groups(metric, types, meth):
                computed[group] = ranked_scores(raw[group], metric.higher_is_better,
                                                meth.best_score, meth.worst_score)
            for band in metric.floor:  # e.g. below a national standard: 4 whatever the rank
                computed[band.matches_array(raw)] = band.score
        elif metric.scoring == "banded":
            computed = banded_scores(raw, metric)
        elif metric.scoring == "combined":
            a, b = (scores[c] for c in metric.components)
            computed, unobserved = combined_scores(a, b, metric)
            filled = [str(c) for c in codes[unobserved & applies & ~use_given]]
            if filled:  # one note per metric, naming the organisations
                shown = ", ".join(filled[:8]) + (f" and {len(filled) - 8} more"
                                                 if len(filled) > 8 else "")
                notes.append(f"{metric.score_id}: {len(filled)} organisation"
                             f"{'s' if len(filled) != 1 else ''} ({shown}) fall in cells of "
                             "the finance matrix NHS England's data has not shown; scored by "
                             "the published pattern")
        score = np.where(use_given, given, computed)
        score[~applies] = np.nan
        scores[metric.score_id] = score
        supplied[metric.score_id] = use_given & applies
        # per-metric rank within the peer group, on the score (lower score = better)
        rank = np.full(n_orgs, np.nan)
        size = np.full(n_orgs, np.nan)
        for group in peer_groups(metric, types, meth):
            s = score[group]
            rank[group] = competition_better_counts(s, higher_is_better=False) + 1
            size[group] = np.where(np.isnan(s), np.nan, np.count_nonzero(~np.isnan(s)))
        ranks[metric.score_id] = rank
        peers[metric.score_id] = size

    def frame(d: dict[str, np.ndarray]) -> pd.DataFrame:
        return pd.DataFrame(d, index=codes)[[m.score_id for m in catalogue]]

    return MetricScores(frame(scores), frame(ranks), frame(peers), frame(supplied), tuple(notes))
