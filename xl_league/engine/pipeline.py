"""The one call: organisations' inputs in, every result table out.

:func:`compute_league_tables` runs the NOF steps in order — metric scores (step 1), average
metric score and domains (2), segments (3), financial override (4), segment 5 (5), league
positions (6), likely ranges (7) — each implemented in its own module of this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError, MethodologyError
from .averages import average_metric_scores, domain_scores, round_half_up
from .catalogue import DOMAINS, Catalogue, load_catalogue
from .inputs import check_organisations, check_values, normalise_type
from .league import distance_to_next_segment, league_positions
from .likely_ranges import likely_ranges
from .methodology import Methodology, load_methodology
from .override import apply_financial_override, final_segment, resolve_deficit
from .scoring import score_metrics
from .segments import cut_points, pool_cuts_for, segment_of

__all__ = ["LeagueTables", "compute_league_tables", "LEAGUE_CSV_COLUMNS", "LEAGUE_COLUMNS"]

#: The ``table --format csv`` contract, in this order.
LEAGUE_CSV_COLUMNS = ["type", "position", "code", "name", "average_score", "metrics_scored",
                      "unadjusted_segment", "in_deficit", "segment", "final_segment",
                      "score_low", "score_high", "rank_low", "rank_high"]
#: Every column of :attr:`LeagueTables.league`.
LEAGUE_COLUMNS = LEAGUE_CSV_COLUMNS[:4] + ["region", "subtype"] + LEAGUE_CSV_COLUMNS[4:] + [
    "override_applied", "deficit_derived", "in_rsp", "distance_to_next_segment",
    "average_score_unrounded"]


@dataclass(frozen=True)
class LeagueTables:
    """Every result table of one run. DataFrames are indexed by organisation code."""

    methodology: Methodology
    catalogue: Catalogue
    league: pd.DataFrame            # one row per organisation, LEAGUE_COLUMNS, in table order
    metric_scores: pd.DataFrame     # score_id columns, 1.00–4.00, NaN = no score
    metric_ranks: pd.DataFrame      # rank within the metric's peer group (1 = best)
    metric_peers: pd.DataFrame      # organisations scored in that peer group
    supplied_scores: pd.DataFrame   # True where the score was supplied, not computed
    domain_scores: pd.DataFrame     # columns = domains
    domain_segments: pd.DataFrame
    cut_points: pd.DataFrame        # one row per pool: pool, rule, organisations, c1, c2, c3
    domain_cut_points: pd.DataFrame
    organisations: pd.DataFrame     # the checked inputs: name, type, region, subtype, flags
    metric_values: pd.DataFrame     # the checked input columns (raw values / supplied scores)
    notes: tuple[str, ...] = field(default=())

    def table(self, org_type: str) -> pd.DataFrame:
        """The league table of one type ('acute', 'non-acute', 'ambulance', 'icb')."""
        key = normalise_type(org_type)
        if key is None or key not in self.methodology.types:
            raise InputError(f"type {org_type!r} is not one of {', '.join(self.methodology.types)}")
        rows = self.league[self.league["type"] == key]
        if rows.empty:
            raise InputError(f"there are no {key} organisations in the inputs")
        return rows

    @property
    def types_present(self) -> list[str]:
        return [t for t in self.methodology.types if (self.league["type"] == t).any()]

    def cuts_for(self, code: str) -> tuple[float, float, float]:
        t = self.league.at[code, "type"]
        for _, row in self.cut_points.iterrows():
            if t in row["pool"].split(" + "):
                return (row["c1"], row["c2"], row["c3"])
        raise KeyError(code)


def compute_league_tables(organisations: pd.DataFrame, values: pd.DataFrame,
                          methodology: Methodology | None = None,
                          catalogue: Catalogue | None = None) -> LeagueTables:
    """Score, average, segment, override and rank every organisation.

    ``organisations``: one row per organisation — ``code`` (index or column), ``name``,
    ``type`` (acute / non-acute / ambulance / icb, or NHS England's names), optional ``region``,
    ``subtype``, ``in_deficit`` (Yes/No/blank), ``in_rsp`` (Yes/No/blank).
    ``values``: one row per organisation (same codes), one column per metric ID: raw values
    under value IDs (``OF0023``) and/or supplied scores under score IDs (``OF1023``).
    """
    meth = methodology or load_methodology()
    cat = catalogue or load_catalogue(meth)
    orgs = check_organisations(organisations, meth)
    vals = check_values(values, orgs, cat)
    notes: list[str] = []

    # Step 1: metric scores
    ms = score_metrics(orgs, vals, cat, meth)
    notes.extend(ms.notes)

    # Step 2: average metric score and domains
    avg = average_metric_scores(ms.scores, cat, meth.minimum_metrics)
    avg2 = round_half_up(avg["average_score_unrounded"].to_numpy(), meth.average_decimals)
    dom = domain_scores(ms.scores, cat)
    summary = pd.DataFrame({"type": orgs["type"], "average_score": avg2}, index=orgs.index)
    if np.isnan(avg2).all():
        if meth.minimum_metrics > 1 and ms.scores.notna().any(axis=None):
            raise MethodologyError(
                f"minimum metrics is {meth.minimum_metrics}, and no organisation has that many "
                "metric scores: lower minimum_metrics on the Settings sheet, or fill in more "
                "metric values")
        raise InputError("no organisation has any metric score: fill in metric values")

    # Step 3: segments
    cuts = cut_points(summary, "average_score", meth)
    org_cuts = pool_cuts_for(orgs["type"], cuts)
    unadjusted = segment_of(avg2, org_cuts)
    dom_segments, dom_cuts = _domain_segments(dom, orgs["type"], meth)

    # Step 4: financial override
    in_deficit, derived = resolve_deficit(orgs["in_deficit"], vals, ms.scores, meth)
    if derived.any():
        notes.append(f"deficit flag derived from finance metrics for {int(derived.sum())} "
                     f"organisation(s): {', '.join(orgs.index[derived])}")
    segment = apply_financial_override(unadjusted, in_deficit, meth.override_cap_segment)

    # Step 5: segment 5
    in_rsp = orgs["in_rsp"].to_numpy(dtype=bool)
    final = final_segment(segment, in_rsp, meth)
    for code in orgs.index[in_rsp & (final != meth.rsp_segment)]:
        notes.append(f"{code} is flagged in the Recovery Support Programme but its segment is "
                     f"not one of {list(meth.rsp_applies_to_segments)}, so it is not shown as "
                     f"segment {meth.rsp_segment}")

    # Step 6: league positions
    position = league_positions(orgs["type"], segment, avg2)
    distance = [distance_to_next_segment(a, s, c, meth.average_decimals)
                for a, s, c in zip(avg2, unadjusted, org_cuts)]

    # Step 7: likely ranges
    counted = [m.score_id for m in cat if m.in_average]
    ranges = likely_ranges(ms.scores, counted, orgs["type"], in_deficit, org_cuts,
                           ~np.isnan(avg2), replicates=meth.bootstrap_replicates,
                           seed=meth.bootstrap_seed, confidence=meth.bootstrap_confidence,
                           cap_segment=meth.override_cap_segment,
                           decimals=meth.average_decimals)

    league = pd.DataFrame({
        "type": orgs["type"], "position": position, "code": orgs.index, "name": orgs["name"],
        "region": orgs["region"], "subtype": orgs["subtype"], "average_score": avg2,
        "metrics_scored": avg["metrics_scored"], "unadjusted_segment": unadjusted,
        "in_deficit": in_deficit, "segment": segment, "final_segment": final,
        "score_low": ranges["score_low"], "score_high": ranges["score_high"],
        "rank_low": ranges["rank_low"], "rank_high": ranges["rank_high"],
        "override_applied": ~np.isnan(segment) & (segment != unadjusted),
        "deficit_derived": derived, "in_rsp": in_rsp, "distance_to_next_segment": distance,
        "average_score_unrounded": avg["average_score_unrounded"],
    }, index=orgs.index.rename(None))[LEAGUE_COLUMNS]
    for col in ("position", "metrics_scored", "unadjusted_segment", "segment", "final_segment",
                "rank_low", "rank_high"):
        league[col] = league[col].astype("Int64")
    type_order = {t: i for i, t in enumerate(meth.types)}
    league = league.assign(_t=league["type"].map(type_order),
                           _p=league["position"].astype(float).fillna(np.inf))
    league = league.sort_values(["_t", "_p", "code"], kind="stable").drop(columns=["_t", "_p"])
    order = league.index
    return LeagueTables(
        methodology=meth, catalogue=cat, league=league,
        metric_scores=ms.scores.loc[order], metric_ranks=ms.ranks.loc[order],
        metric_peers=ms.peers.loc[order], supplied_scores=ms.supplied.loc[order],
        domain_scores=dom.loc[order], domain_segments=dom_segments.loc[order],
        cut_points=cuts, domain_cut_points=dom_cuts, organisations=orgs.loc[order],
        metric_values=vals.loc[order], notes=tuple(notes))


def _domain_segments(dom: pd.DataFrame, types: pd.Series, meth: Methodology
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Domain segments: quartiles of each domain's scores, with their own cut-points.

    NHS England's published domain segments (OF4100–OF4105) have cut-points of their own per
    domain [measured], so fixed overall cut-points do not apply to domains: a domain with fixed
    cut-points of its own (``meth.domain_cut_points``) is cut at them; any other is cut at
    national quartiles (blank where too few to cut).
    """
    quartiles = meth
    if meth.cut_point_rule == "fixed":
        quartiles = meth.with_settings(cut_point_rule="national-quartiles", fixed_cut_points=())
    segs = pd.DataFrame(index=dom.index)
    all_cuts = []
    for domain in dom.columns:
        frame = pd.DataFrame({"type": types, "score": round_half_up(dom[domain].to_numpy(), 2)})
        fixed = meth.cut_points_for_domain(domain)  # e.g. inferred from NHS England's segments
        rule = (quartiles if fixed is None
                else meth.with_settings(cut_point_rule="fixed", fixed_cut_points=fixed))
        try:
            cuts = cut_points(frame, "score", rule, what=f"{domain} domain score")
        except InputError:
            segs[domain] = np.nan  # too few organisations to cut this domain into quartiles
            continue
        segs[domain] = segment_of(frame["score"].to_numpy(), pool_cuts_for(types, cuts))
        all_cuts.append(cuts.assign(domain=domain))
    dom_cuts = (pd.concat(all_cuts, ignore_index=True) if all_cuts
                else pd.DataFrame(columns=["domain", "pool", "rule", "organisations", "c1", "c2", "c3"]))
    return segs[[d for d in DOMAINS if d in segs.columns]], dom_cuts
