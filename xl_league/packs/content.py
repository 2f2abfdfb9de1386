"""What a trust's pack shows, worked out from a :class:`~xl_league.LeagueTables` (pure).

Nothing here touches a workbook: :func:`peer_statistics` and :func:`domain_peer_medians` are
computed once per run, :func:`league_rows` once per type, and :func:`pack_content` once per
organisation; ``sheets.py``, ``charts.py`` and ``whatif_formulas.py`` lay the result out.

Peer statistics describe each metric's *raw values* within the metric's peer group (the
organisation's type, or its national pool, as the catalogue says): median and quartiles by the
"linear" quantile rule (Excel's QUARTILE.INC), plus the median *score* of the group for the
chart of scores against peers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine import LeagueTables, Metric

__all__ = ["PEER_STAT_COLUMNS", "TYPE_LABELS", "MetricRow", "DomainRow", "PackContent",
           "peer_statistics", "peer_groups", "domain_peer_medians", "league_rows",
           "LEAGUE_PUBLISHED", "LEAGUE_DETAIL", "pack_content", "type_label", "RunFigures"]

PEER_STAT_COLUMNS = ["peer_median", "peer_lower_quartile", "peer_upper_quartile",
                     "peers_with_value", "peer_median_score"]
TYPE_LABELS = {"acute": "Acute trust", "non-acute": "Mental health and community trust",
               "ambulance": "Ambulance trust", "icb": "Integrated care board"}

#: League table columns every pack carries: (key in LeagueTables.league, heading).
LEAGUE_PUBLISHED = [("position", "Position"), ("code", "Code"), ("name", "Name"),
                    ("average_score", "Average metric score"), ("segment", "Segment"),
                    ("final_segment", "Final segment")]
#: Further columns, only with ``include_peer_detail=True``.
LEAGUE_DETAIL = [("region", "Region"), ("subtype", "Subtype"),
                 ("metrics_scored", "Metrics scored"),
                 ("unadjusted_segment", "Unadjusted segment"), ("in_deficit", "In deficit"),
                 ("override_applied", "Override applied"),
                 ("score_low", "Likely average from"), ("score_high", "Likely average to"),
                 ("rank_low", "Likely position from"), ("rank_high", "Likely position to")]


def type_label(org_type: str) -> str:
    return TYPE_LABELS.get(org_type, org_type)


def _num(v) -> float | None:
    """A plain float, or None for NaN / NA / None."""
    if v is None or v is pd.NA:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _int(v) -> int | None:
    f = _num(v)
    return None if f is None else int(f)


def peer_groups(metric: Metric, types: pd.Series, national_pools) -> list[np.ndarray]:
    """Boolean masks over organisations, one per peer group of ``metric`` (as the engine scores)."""
    applies = types.isin(metric.types).to_numpy()
    if metric.peer_group == "national":
        groups = [types.isin(pool).to_numpy() & applies for pool in national_pools]
    else:
        groups = [(types == t).to_numpy() & applies for t in metric.types]
    return [g for g in groups if g.any()]


def _quartiles(values: np.ndarray) -> tuple[float, float, float, int]:
    """(median, lower quartile, upper quartile, n) of the finite values; NaNs when none."""
    v = values[~np.isnan(values)]
    if v.size == 0:
        return math.nan, math.nan, math.nan, 0
    q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75], method="linear")
    return float(med), float(q1), float(q3), int(v.size)


def peer_statistics(results: LeagueTables) -> dict[str, pd.DataFrame]:
    """Per metric (score ID): a frame indexed by code with :data:`PEER_STAT_COLUMNS`.

    Raw-value statistics are NaN for metrics without a raw value (score supplied or combined).
    Organisations the metric does not apply to are NaN throughout.
    """
    types = results.organisations["type"]
    codes = results.organisations.index
    out: dict[str, pd.DataFrame] = {}
    for metric in results.catalogue:
        stats = np.full((len(codes), len(PEER_STAT_COLUMNS)), np.nan)
        raw = (results.metric_values[metric.value_id].to_numpy(dtype=float, na_value=np.nan)
               if metric.value_id and metric.value_id in results.metric_values.columns
               else np.full(len(codes), np.nan))
        scores = results.metric_scores[metric.score_id].reindex(codes).to_numpy(dtype=float)
        for group in peer_groups(metric, types, results.methodology.national_pools):
            med, q1, q3, n = _quartiles(raw[group])
            score_median = _quartiles(scores[group])[0]
            stats[group] = (med, q1, q3, n if n else np.nan, score_median)
        out[metric.score_id] = pd.DataFrame(stats, index=codes, columns=PEER_STAT_COLUMNS)
    return out


def domain_peer_medians(results: LeagueTables) -> pd.DataFrame:
    """Median domain score of each type's organisations: index = type, columns = domains."""
    dom = results.domain_scores
    types = results.organisations["type"].reindex(dom.index)
    return dom.groupby(types).median()


@dataclass(frozen=True)
class MetricRow:
    """One metric of the organisation's type, as the pack's Metrics and What-if sheets show it."""

    score_id: str
    value_id: str | None
    name: str
    domain: str
    direction: str
    scoring: str
    peer_group: str
    in_average: bool
    value: float | None
    score: float | None
    supplied: bool
    rank: int | None
    peers: int | None
    peer_median: float | None
    peer_lower_quartile: float | None
    peer_upper_quartile: float | None
    peer_median_score: float | None


@dataclass(frozen=True)
class DomainRow:
    domain: str
    score: float | None
    peer_median: float | None
    segment: int | None


@dataclass(frozen=True)
class PackContent:
    """Everything one organisation's pack shows (values only; formulas are built on top)."""

    code: str
    name: str
    org_type: str
    region: str
    subtype: str
    year: str
    quarter: str | None
    position: int | None
    organisations_in_type: int
    ranked_in_type: int
    average_score: float | None
    metrics_scored: int
    unadjusted_segment: int | None
    in_deficit: bool
    deficit_derived: bool
    override_applied: bool
    segment: int | None
    in_rsp: bool
    final_segment: int | None
    score_low: float | None
    score_high: float | None
    rank_low: int | None
    rank_high: int | None
    distance_to_next_segment: float | None
    cut_points: tuple[float, float, float]
    cut_point_pool: str
    cut_point_rule: str
    override_cap: int
    rsp_segment: int
    rsp_applies_to_segments: tuple[int, ...]
    minimum_metrics: int
    best_score: float
    worst_score: float
    metrics: tuple[MetricRow, ...]
    domains: tuple[DomainRow, ...]
    notes: tuple[str, ...]
    league_index: int  # 0-based row of this organisation in its type's league rows

    @property
    def type_label(self) -> str:
        return type_label(self.org_type)

    @property
    def next_segment_target(self) -> float | None:
        """The 2-dp average to reach to move up one segment (None in segment 1 / unscored)."""
        if self.distance_to_next_segment is None or self.average_score is None:
            return None
        return round(self.average_score - self.distance_to_next_segment, 2)


def league_rows(results: LeagueTables, org_type: str, include_peer_detail: bool) -> list[list]:
    """The type's league table as plain Python rows (columns: published, then detail)."""
    table = results.table(org_type)
    columns = LEAGUE_PUBLISHED + (LEAGUE_DETAIL if include_peer_detail else [])
    rows = []
    for rec in table[[k for k, _ in columns]].itertuples(index=False, name=None):
        row = []
        for (key, _), v in zip(columns, rec):
            if key in ("code", "name", "region", "subtype"):
                row.append("" if v is None or v is pd.NA else str(v))
            elif key in ("in_deficit", "override_applied"):
                row.append("Yes" if bool(v) else "No")
            elif key in ("average_score", "score_low", "score_high"):
                row.append(_num(v))
            else:
                row.append(_int(v))
        rows.append(row)
    return rows


def _org_notes(results: LeagueTables, code: str) -> tuple[str, ...]:
    """The engine's notes that concern this organisation (they start with or name its code)."""
    return tuple(n for n in results.notes if n.startswith(f"{code}:") or n.startswith(f"{code} ")
                 or (n.startswith("deficit flag derived") and code in n.split(": ", 1)[-1]
                     .split(", ")))


class RunFigures:
    """The results' tables as plain dictionaries, made once per run: a pack reads a few
    hundred single figures, and pandas' per-value lookups would cost more than the pack."""

    def __init__(self, results: LeagueTables, stats: dict[str, pd.DataFrame],
                 domain_medians: pd.DataFrame):
        def rows(frame: pd.DataFrame) -> dict[str, dict]:
            return frame.to_dict("index")

        self.league = rows(results.league)
        self.values = rows(results.metric_values)
        self.scores = rows(results.metric_scores)
        self.supplied = rows(results.supplied_scores)
        self.ranks = rows(results.metric_ranks)
        self.peers = rows(results.metric_peers)
        self.domain_scores = rows(results.domain_scores)
        self.domain_segments = rows(results.domain_segments)
        self.domain_medians = rows(domain_medians)
        self.stats = {sid: rows(frame) for sid, frame in stats.items()}
        self._by_type: dict[str, tuple] = {}
        self._results = results

    def of_type(self, org_type: str) -> tuple[pd.Index, int, pd.Series]:
        """(codes in league order, organisations ranked, the cut-point pool's row)."""
        if org_type not in self._by_type:
            league = self._results.league
            codes = league.index[league["type"] == org_type]
            cut_points = self._results.cut_points
            pool_row = cut_points[cut_points["pool"].str.split(" + ", regex=False)
                                  .apply(lambda p: org_type in p)].iloc[0]
            self._by_type[org_type] = (codes, int(league.loc[codes, "position"].notna().sum()),
                                       pool_row)
        return self._by_type[org_type]


def pack_content(results: LeagueTables, code: str, stats: dict[str, pd.DataFrame],
                 domain_medians: pd.DataFrame, *, quarter: str | None = None,
                 figures: RunFigures | None = None) -> PackContent:
    """The figures for ``code``'s pack (``stats``/``domain_medians`` from this module;
    ``figures`` made once per run from them, or made here)."""
    f = figures or RunFigures(results, stats, domain_medians)
    row = f.league[code]
    org_type = str(row["type"])
    meth = results.methodology
    table_codes, ranked, pool_row = f.of_type(org_type)
    values, scores = f.values.get(code, {}), f.scores[code]
    metrics = []
    for m in results.catalogue.for_type(org_type):
        st = f.stats[m.score_id][code]
        value = _num(values[m.value_id]) if m.value_id and m.value_id in values else None
        metrics.append(MetricRow(
            score_id=m.score_id, value_id=m.value_id, name=m.name, domain=m.domain,
            direction=m.direction, scoring=m.scoring, peer_group=m.peer_group,
            in_average=m.in_average, value=value,
            score=_num(scores[m.score_id]),
            supplied=bool(f.supplied[code][m.score_id]),
            rank=_int(f.ranks[code][m.score_id]),
            peers=_int(f.peers[code][m.score_id]),
            peer_median=_num(st["peer_median"]),
            peer_lower_quartile=_num(st["peer_lower_quartile"]),
            peer_upper_quartile=_num(st["peer_upper_quartile"]),
            peer_median_score=_num(st["peer_median_score"])))
    domains = []
    medians = f.domain_medians.get(org_type, {})
    for d in results.domain_scores.columns:
        if not any(m.domain == d and m.in_average for m in metrics):
            continue
        seg = f.domain_segments[code].get(d) if code in f.domain_segments else None
        domains.append(DomainRow(d, _num(f.domain_scores[code][d]), _num(medians.get(d)),
                                 _int(seg)))
    cuts = tuple(float(pool_row[c]) for c in ("c1", "c2", "c3"))  # as results.cuts_for(code)
    return PackContent(
        code=code, name=str(row["name"]), org_type=org_type, region=str(row["region"] or ""),
        subtype=str(row["subtype"] or ""), year=meth.year, quarter=quarter,
        position=_int(row["position"]), organisations_in_type=len(table_codes),
        ranked_in_type=ranked,
        average_score=_num(row["average_score"]), metrics_scored=int(row["metrics_scored"]),
        unadjusted_segment=_int(row["unadjusted_segment"]), in_deficit=bool(row["in_deficit"]),
        deficit_derived=bool(row["deficit_derived"]),
        override_applied=bool(row["override_applied"]), segment=_int(row["segment"]),
        in_rsp=bool(row["in_rsp"]), final_segment=_int(row["final_segment"]),
        score_low=_num(row["score_low"]), score_high=_num(row["score_high"]),
        rank_low=_int(row["rank_low"]), rank_high=_int(row["rank_high"]),
        distance_to_next_segment=_num(row["distance_to_next_segment"]),
        cut_points=cuts, cut_point_pool=str(pool_row["pool"]), cut_point_rule=str(pool_row["rule"]),
        override_cap=meth.override_cap_segment, rsp_segment=meth.rsp_segment,
        rsp_applies_to_segments=tuple(meth.rsp_applies_to_segments),
        minimum_metrics=meth.minimum_metrics, best_score=meth.best_score,
        worst_score=meth.worst_score, metrics=tuple(metrics), domains=tuple(domains),
        notes=_org_notes(results, code), league_index=int(table_codes.get_loc(code)))
