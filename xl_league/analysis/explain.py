"""Explain one organisation's result: where its average comes from and what the override did.

:func:`explain` breaks the average metric score down by domain and metric — each metric's raw
value, score, rank in its peer group and contribution to the average (score / metrics scored,
so the contributions add up to the average) — and says in plain words what decided the
segment: the cut-points, the financial override and where the deficit flag came from, the
Recovery Support Programme, how far the average is from the next segment, and the likely
ranges.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engine import LeagueTables
from ..engine.catalogue import DOMAINS
from ..present import plain_value as _plain
from ._common import find_organisation, is_missing

__all__ = ["Explanation", "explain", "EXPLAIN_METRIC_COLUMNS", "EXPLAIN_DOMAIN_COLUMNS"]

#: Columns of :attr:`Explanation.metrics`.
EXPLAIN_METRIC_COLUMNS = ("domain", "metric", "name", "value_id", "raw_value", "score",
                          "supplied", "rank", "peers", "counts", "contribution")
#: Columns of :attr:`Explanation.domains`.
EXPLAIN_DOMAIN_COLUMNS = ("domain", "metrics_scored", "domain_score", "domain_segment",
                          "contribution")


@dataclass(frozen=True)
class Explanation:
    """The result of :func:`explain`.

    ``summary``: the organisation's league row as plain values (average_score, metrics_scored,
    unadjusted_segment, in_deficit, deficit_derived, override_applied, segment, final_segment,
    in_rsp, position, distance_to_next_segment, score_low, score_high, rank_low, rank_high,
    cut_points). ``metrics``: one row per metric that applies to its type
    (:data:`EXPLAIN_METRIC_COLUMNS`; ``counts`` = the score enters the average;
    ``contribution`` = score / metrics scored). ``domains``: :data:`EXPLAIN_DOMAIN_COLUMNS`.
    ``lines``: the plain-words explanation, one sentence per line.
    """

    code: str
    name: str
    org_type: str
    summary: dict
    metrics: pd.DataFrame
    domains: pd.DataFrame
    lines: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        """The plain-words explanation as one string, a line per sentence."""
        return "\n".join(self.lines) + "\n"


def explain(results: LeagueTables, org: str) -> Explanation:
    """Explain ``org``'s average, segment and position in ``results``."""
    code = find_organisation(results.league.index, org)
    row = results.league.loc[code]
    org_type = str(row["type"])
    metrics = _metric_rows(results, code, org_type)
    domains = _domain_rows(results, code, metrics)
    summary = {k: _plain(row[k]) for k in (
        "average_score", "metrics_scored", "unadjusted_segment", "in_deficit", "deficit_derived",
        "override_applied", "segment", "final_segment", "in_rsp", "position",
        "distance_to_next_segment", "score_low", "score_high", "rank_low", "rank_high")}
    summary["cut_points"] = results.cuts_for(code) if summary["average_score"] is not None \
        else None
    if summary["cut_points"] is not None:
        summary["cut_points"] = tuple(float(c) for c in summary["cut_points"])
    lines = _lines(results, code, summary, metrics, domains)
    return Explanation(code=code, name=str(row["name"]), org_type=org_type, summary=summary,
                       metrics=metrics, domains=domains, lines=tuple(lines))


def _metric_rows(results: LeagueTables, code: str, org_type: str) -> pd.DataFrame:
    n = int(results.league.at[code, "metrics_scored"])
    rows = []
    for m in results.catalogue.for_type(org_type):
        sid = m.score_id
        raw = (results.metric_values.at[code, m.value_id]
               if m.value_id and m.value_id in results.metric_values.columns else np.nan)
        score = results.metric_scores.at[code, sid] if sid in results.metric_scores else np.nan
        counts = bool(m.in_average and not is_missing(score))
        rows.append({
            "domain": m.domain, "metric": sid, "name": m.name, "value_id": m.value_id or "",
            "raw_value": _plain(raw), "score": _plain(score),
            "supplied": bool(results.supplied_scores.at[code, sid]),
            "rank": _plain(results.metric_ranks.at[code, sid]),
            "peers": _plain(results.metric_peers.at[code, sid]),
            "counts": counts, "contribution": float(score) / n if counts and n else None,
        })
    frame = pd.DataFrame(rows, columns=list(EXPLAIN_METRIC_COLUMNS))
    for col in ("rank", "peers"):
        frame[col] = pd.array([None if is_missing(v) else int(v) for v in frame[col]],
                              dtype="Int64")
    for col in ("raw_value", "score", "contribution"):
        frame[col] = frame[col].astype(float)
    order = {d: i for i, d in enumerate(DOMAINS)}
    frame = frame.assign(_d=frame["domain"].map(order).fillna(len(order)))
    return frame.sort_values("_d", kind="stable").drop(columns="_d").reset_index(drop=True)


def _domain_rows(results: LeagueTables, code: str, metrics: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for domain in dict.fromkeys(metrics["domain"]):
        part = metrics[metrics["domain"] == domain]
        ds = (results.domain_scores.at[code, domain]
              if domain in results.domain_scores.columns else np.nan)
        dseg = (results.domain_segments.at[code, domain]
                if domain in results.domain_segments.columns else np.nan)
        rows.append({"domain": domain, "metrics_scored": int(part["counts"].sum()),
                     "domain_score": float(ds) if not is_missing(ds) else np.nan,
                     "domain_segment": None if is_missing(dseg) else int(dseg),
                     "contribution": float(part["contribution"].sum(min_count=1))})
    frame = pd.DataFrame(rows, columns=list(EXPLAIN_DOMAIN_COLUMNS))
    frame["domain_segment"] = frame["domain_segment"].astype("Int64")
    return frame


def _n(x: float, decimals: int = 2) -> str:
    """A number for a sentence: fixed decimals (ASCII minus, safe on any console)."""
    return f"{x:.{decimals}f}"


def _v(x: float) -> str:
    """A raw value for a sentence: as few decimals as it needs (up to 4)."""
    return f"{x:.4f}".rstrip("0").rstrip(".")


def _lines(results: LeagueTables, code: str, s: dict, metrics: pd.DataFrame,
           domains: pd.DataFrame) -> list[str]:
    meth = results.methodology
    name = results.league.at[code, "name"]
    out = [f"{code} {name} ({results.league.at[code, 'type']})."]
    avg = s["average_score"]
    if avg is None:
        out.append("No metric scores: no average metric score, so no segment or position. "
                   "Fill in its metric values.")
        return out
    counted = metrics[metrics["counts"]]
    out.append(f"Average metric score {_n(avg)}: the mean of {s['metrics_scored']} metric "
               f"scores (sum {_n(float(counted['score'].sum()))} / {s['metrics_scored']}); "
               "lower is better.")
    for _, d in domains.iterrows():
        if d["metrics_scored"]:
            out.append(f"  {d['domain']}: domain score {_n(d['domain_score'])} from "
                       f"{d['metrics_scored']} metric(s), contributing "
                       f"{_n(d['contribution'])} to the average.")
    worst = counted.sort_values(["score", "metric"], ascending=[False, True]).head(3)
    if len(worst):
        out.append("Worst scores (pulling the average up): " + "; ".join(
            f"{r['metric']} {r['name']} {_n(r['score'])}" for _, r in worst.iterrows()) + ".")
    not_scored = metrics[~metrics["counts"] & metrics["score"].isna()]
    if len(not_scored):
        out.append("No score (no value), not counted: "
                   + ", ".join(not_scored["metric"]) + ".")
    c1, c2, c3 = s["cut_points"]
    out.append(f"Cut-points {_n(c1, 3)} / {_n(c2, 3)} / {_n(c3, 3)} ({_rule(results)}): the "
               f"average {_n(avg)} is in segment {s['unadjusted_segment']} before the "
               "financial override.")
    out.append(_override_sentence(results, code, s))
    if s["in_rsp"]:
        if s["final_segment"] == meth.rsp_segment:
            out.append(f"In the Recovery Support Programme: shown as segment {meth.rsp_segment}, "
                       f"ranked with segment {s['segment']}.")
        else:
            out.append(f"Flagged in the Recovery Support Programme, but segment {s['segment']} "
                       f"is not one it applies to, so it stays segment {s['final_segment']}.")
    out.append(f"League position {s['position']} of "
               f"{int((results.league['type'] == results.league.at[code, 'type']).sum())} "
               f"{results.league.at[code, 'type']} organisations (ordered by segment, then "
               "average).")
    out.append(_distance_sentence(s, meth.override_cap_segment))
    if s["score_low"] is not None and s["rank_low"] is not None:
        out.append(f"Likely range of the average score {_n(s['score_low'])} to "
                   f"{_n(s['score_high'])}; of the position {s['rank_low']} to "
                   f"{s['rank_high']}.")
    return out


def _rule(results: LeagueTables) -> str:
    rule = results.methodology.cut_point_rule
    return {"fixed": "fixed national cut-points",
            "national-quartiles": "national quartiles of the average scores",
            "type-quartiles": "quartiles of this type's average scores"}.get(rule, rule)


def _override_sentence(results: LeagueTables, code: str, s: dict) -> str:
    cap = results.methodology.override_cap_segment
    unadj, avg = s["unadjusted_segment"], _n(s["average_score"])
    given = results.organisations.at[code, "in_deficit"]
    if s["deficit_derived"]:
        source = _derivation(results, code, bool(s["in_deficit"]))
    elif is_missing(given):
        source = ("The deficit flag was blank and could not be derived (no finance values, "
                  "or the fallback is off): treated as not in deficit")
    else:
        source = "In deficit (flag from the workbook)" if s["in_deficit"] else \
            "Not in deficit (flag from the workbook)"
    if not s["in_deficit"]:
        return f"{source}: no financial override; the segment is {s['segment']}."
    if s["override_applied"]:
        return (f"{source}: the financial override caps the segment at {cap}; without it the "
                f"average {avg} would be segment {unadj}.")
    return (f"{source}: the financial override caps the segment at {cap}, but the average "
            f"{avg} already puts it in segment {unadj}, so the override changes nothing.")


def _derivation(results: LeagueTables, code: str, in_deficit: bool) -> str:
    """How a blank deficit flag was derived, naming the finance values used."""
    meth = results.methodology
    evidence = []
    for value_id, below, label in (
            (meth.deficit_plan_metric, meth.deficit_plan_below, "planned surplus/deficit"),
            (meth.deficit_variance_metric, meth.deficit_variance_below,
             "year-to-date variance to plan")):
        v = (results.metric_values.at[code, value_id]
             if value_id in results.metric_values.columns else np.nan)
        if not is_missing(v):
            op = "<" if v < below else ">="
            evidence.append((v < below, f"{label} {_v(float(v))} % ({value_id} {op} {_v(below)})"))
            continue
        sid = "OF1" + value_id[3:]
        sc = results.metric_scores.at[code, sid] if sid in results.metric_scores else np.nan
        if not is_missing(sc):
            evidence.append((sc > 1, f"{label} scored {_v(float(sc))} ({sid} "
                                     f"{'> 1, a shortfall' if sc > 1 else '= 1, no shortfall'})"))
    used = [w for bad, w in evidence if bad == in_deficit] if in_deficit else \
        [w for _, w in evidence]
    verdict = "in deficit" if in_deficit else "not in deficit"
    return (f"The deficit flag was blank and was derived as {verdict} from "
            f"{' and '.join(used) if used else 'the finance metrics'}")


def _distance_sentence(s: dict, cap: int) -> str:
    unadj = s["unadjusted_segment"]
    if unadj == 1:
        text = "The average is already in segment 1, the best."
    else:
        dist = s["distance_to_next_segment"]
        c = s["cut_points"][unadj - 2]
        target = s["average_score"] - dist
        text = (f"To reach segment {unadj - 1} the average must fall by {_n(dist)} to "
                f"{_n(target)} or below (cut-point {_n(c, 3)}).")
    if s["in_deficit"] and unadj - 1 < cap:
        text += f" While in deficit, the financial override keeps the segment at {cap} or worse."
    return text
