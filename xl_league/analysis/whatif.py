"""What-if: change one organisation's inputs and see its segment and position move.

>>> import pandas as pd
>>> from xl_league.analysis import whatif
>>> orgs = pd.DataFrame({"code": ["RA1", "RA2", "RA3", "RA4"], "name": list("ABCD"),
...                      "type": "acute", "in_deficit": ["No", "Yes", "No", "No"]})
>>> values = pd.DataFrame({"code": ["RA1", "RA2", "RA3", "RA4"],
...                        "OF0013": [80.0, 78.0, 70.0, 60.0]})
>>> w = whatif(orgs, values, org="RA3", set_values={"OF0013": 79.0})
>>> w.summary.loc["position"].tolist()
[3, 2]
>>> w.others_affected
('RA2',)

Cut-points. By default the "after" run keeps the "before" run's national cut-points, fixed:
one organisation's change should not move the national quartiles (NHS England cuts once per
quarter over all 205 trusts), and keeping them fixed attributes the whole movement to the
change itself. ``recompute_cut_points=True`` re-derives them under the methodology's own rule
instead (with quartile rules, every organisation's segment can then move a little).

The scoring of others. A ranked metric scores each organisation by how many peers are
strictly better, so when one organisation's raw value overtakes a peer's, the peer's score
worsens: the re-ranked table lists every organisation whose metric scores changed.

Supplied scores. A supplied score (e.g. NHS England's published ``OF1xxx``) wins over the
score computed from the raw value, so changing the raw value alone would change nothing. When
a raw value is set where the organisation's score was supplied, its new score is read off its
peers' supplied scores (ranked metrics: the supplied score of the peers its new value equals
or beats) or computed with the catalogue's bands (banded metrics, and the combined finance
score built on them); the other organisations' supplied scores are kept as given, and a note
says so. See :func:`~xl_league.analysis._common.set_metric_value`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engine import Catalogue, LeagueTables, Methodology
from ..errors import InputError
from ..present import plain_value as _plain
from ._common import (Inputs, checked_inputs, clear_metric, find_organisation,
                      fixed_cut_points_run, set_metric_value)

__all__ = ["WhatIf", "whatif", "SUMMARY_FIELDS", "WHATIF_TABLE_COLUMNS"]

#: Rows of :attr:`WhatIf.summary`, in order.
SUMMARY_FIELDS = ("average_score", "metrics_scored", "unadjusted_segment", "in_deficit",
                  "segment", "final_segment", "position")
#: Columns of :attr:`WhatIf.table`, in order.
WHATIF_TABLE_COLUMNS = ("code", "name", "position_before", "position_after", "movement",
                        "average_before", "average_after", "segment_before", "segment_after",
                        "final_segment_before", "final_segment_after", "scores_changed")


@dataclass(frozen=True)
class WhatIf:
    """The result of :func:`whatif`.

    ``summary``: the organisation before and after (rows :data:`SUMMARY_FIELDS`, columns
    ``before``/``after``). ``table``: the whole league table of its type, re-ranked
    (:data:`WHATIF_TABLE_COLUMNS`; ``movement`` = places gained, positive = up;
    ``scores_changed`` = the score IDs whose score changed, comma-separated), in the "after"
    order. ``score_changes``: one row per organisation × metric whose score changed.
    ``changes``: what was changed (``what``, ``before``, ``after``).
    """

    code: str
    name: str
    org_type: str
    changes: pd.DataFrame
    before: LeagueTables
    after: LeagueTables
    summary: pd.DataFrame
    table: pd.DataFrame
    score_changes: pd.DataFrame
    recompute_cut_points: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def others_affected(self) -> tuple[str, ...]:
        """Codes of the other organisations whose metric scores changed."""
        codes = self.score_changes["code"]
        return tuple(dict.fromkeys(c for c in codes if c != self.code))


def whatif(organisations: pd.DataFrame, values: pd.DataFrame, *, org: str,
           set_values: dict[str, float | None] | None = None, deficit: bool | None = None,
           rsp: bool | None = None, methodology: Methodology | None = None,
           catalogue: Catalogue | None = None, recompute_cut_points: bool = False) -> WhatIf:
    """Recompute every league table with one organisation's inputs changed.

    ``set_values``: metric ID → new value, for ``org`` only. A value ID (``OF0013``) sets a raw
    value (ranked or banded metrics); a score ID (``OF1067``) sets a supplied score, 1 to 4;
    None clears the metric (no value and no score: it does not count in the average).
    ``deficit`` / ``rsp``: set the organisation's in-deficit / Recovery Support Programme flag
    (None = leave as it is). ``recompute_cut_points``: see the module docstring (default: the
    "before" cut-points are kept fixed). Unknown organisation or metric → InputError naming it.
    """
    base = checked_inputs(organisations, values, methodology, catalogue)
    code = find_organisation(base.organisations.index, org)
    org_type = str(base.organisations.at[code, "type"])
    set_values = dict(set_values or {})
    if not set_values and deficit is None and rsp is None:
        raise InputError("nothing to change: set a metric value (METRIC=VALUE) or the deficit "
                         "or Recovery Support Programme flag", organisation=code)
    set_values = _check_changes(base, code, org_type, set_values)

    changed = base.copy()
    change_rows = []
    notes: list[str] = []
    for metric_id, value in set_values.items():
        old = (changed.values.at[code, metric_id] if metric_id in changed.values.columns
               else np.nan)
        if value is None and pd.isna(old):  # cleared by the other ID: show what it had
            metric = changed.catalogue.by_column()[metric_id][0]
            other = metric.value_id if metric_id == metric.score_id else metric.score_id
            if other and other in changed.values.columns:
                old = changed.values.at[code, other]
        if value is None:
            notes.extend(clear_metric(changed, code, metric_id))
        else:
            notes.extend(set_metric_value(changed, code, metric_id, value))
        change_rows.append({"what": metric_id, "before": _plain(old),
                            "after": None if value is None else float(value)})
    for flag, value, label in (("in_deficit", deficit, "in deficit"),
                               ("in_rsp", rsp, "in Recovery Support Programme")):
        if value is not None:
            old = changed.organisations.at[code, flag]
            changed.organisations[flag] = changed.organisations[flag].astype("boolean")
            changed.organisations.at[code, flag] = bool(value)
            change_rows.append({"what": label, "before": _plain(old), "after": bool(value)})

    before = base.run()
    if recompute_cut_points:
        after = changed.run()
    else:
        after = fixed_cut_points_run(changed, before.cut_points)
        notes.append("cut-points kept at the 'before' values: "
                     + "; ".join(f"{r['pool']}: {r['c1']:.3f} / {r['c2']:.3f} / {r['c3']:.3f}"
                                 for _, r in before.cut_points.iterrows()))
    score_changes = _score_changes(before, after)
    return WhatIf(
        code=code, name=str(before.league.at[code, "name"]), org_type=org_type,
        changes=pd.DataFrame(change_rows, columns=["what", "before", "after"]),
        before=before, after=after, summary=_summary(before, after, code),
        table=_table(before, after, org_type, score_changes), score_changes=score_changes,
        recompute_cut_points=recompute_cut_points, notes=tuple(notes))


def _check_changes(base: Inputs, code: str, org_type: str,
                   set_values: dict[str, float | None]) -> dict[str, float | None]:
    """Validated {metric ID: value or None (clear)}, IDs in upper case."""
    known = base.catalogue.by_column()
    checked: dict[str, float | None] = {}
    for metric_id, value in set_values.items():
        key = str(metric_id).strip().upper()
        if key not in known:
            raise InputError(f"metric {metric_id!r} is not in the {base.catalogue.year} "
                             "catalogue: use a value ID such as OF0013 or a score ID such as "
                             "OF1067", metric=str(metric_id))
        metric, kind = known[key]
        if org_type not in metric.types:
            raise InputError(f"metric {key} ({metric.name}) does not apply to {org_type} "
                             f"organisations like {code} (it applies to "
                             f"{', '.join(metric.types)})", organisation=code, metric=key)
        if value is None:
            checked[key] = None
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"metric {key}: {value!r} is not a number", metric=key) from None
        if not math.isfinite(number):
            raise InputError(f"metric {key}: {value!r} is not a finite number", metric=key)
        if kind == "value" and metric.scoring not in ("ranked", "banded"):
            raise InputError(f"metric {key} is shown but not scored from its value: "
                             f"{metric.score_id} is a {metric.scoring} score; set "
                             f"{metric.score_id}=1..4 instead", metric=key)
        if kind == "score" and not 1.0 <= number <= 4.0:
            raise InputError(f"metric {key}: score {number:g} is outside 1 to 4", metric=key)
        checked[key] = number
    return checked


def _summary(before: LeagueTables, after: LeagueTables, code: str) -> pd.DataFrame:
    rows = {f: [_plain(before.league.at[code, f]), _plain(after.league.at[code, f])]
            for f in SUMMARY_FIELDS}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["before", "after"],
                                  dtype=object)


def _score_changes(before: LeagueTables, after: LeagueTables) -> pd.DataFrame:
    """One row per (organisation, metric) whose score differs between the two runs."""
    cols = [c for c in before.metric_scores.columns if c in after.metric_scores.columns]
    b = before.metric_scores[cols]
    a = after.metric_scores[cols].reindex(b.index)
    same = np.isclose(b.to_numpy(float), a.to_numpy(float), rtol=0, atol=1e-9, equal_nan=True)
    rows = []
    names = before.league["name"]
    for i, j in zip(*np.nonzero(~same)):
        code, sid = b.index[i], cols[j]
        rows.append({"code": code, "name": names.get(code, ""), "metric": sid,
                     "metric_name": before.catalogue[sid].name,
                     "score_before": _plain(b.iat[i, j]), "score_after": _plain(a.iat[i, j])})
    return pd.DataFrame(rows, columns=["code", "name", "metric", "metric_name", "score_before",
                                       "score_after"])


def _table(before: LeagueTables, after: LeagueTables, org_type: str,
           score_changes: pd.DataFrame) -> pd.DataFrame:
    b = before.table(org_type)
    a = after.table(org_type)
    changed = score_changes.groupby("code")["metric"].agg(", ".join) if len(score_changes) \
        else pd.Series(dtype=str)
    table = pd.DataFrame({
        "code": a.index, "name": a["name"],
        "position_before": b["position"].reindex(a.index), "position_after": a["position"],
        "average_before": b["average_score"].reindex(a.index), "average_after": a["average_score"],
        "segment_before": b["segment"].reindex(a.index), "segment_after": a["segment"],
        "final_segment_before": b["final_segment"].reindex(a.index),
        "final_segment_after": a["final_segment"],
        "scores_changed": changed.reindex(a.index).fillna(""),
    }, index=a.index)
    table["movement"] = (table["position_before"] - table["position_after"]).astype("Int64")
    return table[list(WHATIF_TABLE_COLUMNS)]
