"""Quarter on quarter, over many quarters: each organisation's position and segment lined up.

:func:`history` takes the results of several quarters (each labelled with the quarter its
workbook records, e.g. ``"Q2 2025/26"``), orders them by that quarter — not by the order they
were given — and returns a :class:`History`:

``frame``   one row per organisation × quarter, columns :data:`HISTORY_COLUMNS` (the
            ``history --format csv`` contract), grouped by type, then organisation (in the
            order of its latest league position), then quarter, oldest first;
``movers``  each pair of successive quarters' largest position changes per type;
``wide``    per type, organisations × quarters (position, segment, average).

``significant`` is the change in average metric score from the previous quarter, by the same
test as ``compare`` (:mod:`xl_league.engine.significance`, a paired bootstrap [inferred]). It
is blank (NA) in the first quarter — there is no change to test — and where the organisation
was not in the previous quarter or has no average in one of the two.

Quarters are ``Q1``–``Q4`` of a financial year ``YYYY/YY`` (``Q1 2025/26`` < ``Q2 2025/26`` <
``Q1 2026/27``); two books of the same quarter, or a quarter written some other way, are an
error naming the book.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engine import LeagueTables
from ..errors import InputError
from ..vocabulary import quarter_key
from .compare import significance

__all__ = ["history", "History", "HISTORY_COLUMNS", "MOVERS_COLUMNS", "quarter_key",
           "QuarterResults"]

#: The ``history --format csv`` columns, in order.
HISTORY_COLUMNS = ("quarter", "type", "code", "name", "position", "average_score",
                   "unadjusted_segment", "segment", "final_segment", "score_low", "score_high",
                   "rank_low", "rank_high", "significant")
#: Columns of :attr:`History.movers`.
MOVERS_COLUMNS = ("quarter_from", "quarter_to", "type", "code", "name", "position_old",
                  "position_new", "places_gained", "segment_old", "segment_new",
                  "average_old", "average_new", "significant")
#: Movers kept per type and pair of quarters.
MOVERS_PER_TYPE = 10

@dataclass(frozen=True)
class QuarterResults:
    """One quarter: its label (as its workbook records it), its results, where it came from."""

    quarter: str | None
    results: LeagueTables
    source: str = ""


@dataclass(frozen=True)
class History:
    """The result of :func:`history` (see the module docstring)."""

    quarters: tuple[str, ...]
    sources: tuple[str, ...]
    frame: pd.DataFrame
    movers: pd.DataFrame
    types: tuple[str, ...]
    warnings: tuple[str, ...] = field(default=())

    def wide(self, org_type: str) -> pd.DataFrame:
        """Organisations of one type × quarters: columns (quarter, field), field one of
        position, segment, final_segment, average_score, significant; rows in frame order."""
        part = self.frame[self.frame["type"] == org_type]
        codes = list(dict.fromkeys(part["code"]))
        names = part.groupby("code", sort=False)["name"].last()
        fields = ["position", "segment", "final_segment", "average_score", "significant"]
        wide = part.pivot(index="code", columns="quarter", values=fields)
        wide = wide.swaplevel(axis=1).reindex(
            columns=pd.MultiIndex.from_product([list(self.quarters), fields]))
        wide = wide.reindex(codes)
        wide.insert(0, ("", "name"), names.reindex(codes))
        return wide


def history(quarters: Sequence[QuarterResults], *, seed: int | None = None) -> History:
    """Line up several quarters' results per organisation (see the module docstring)."""
    if not quarters:
        raise InputError("give at least one workbook")
    keyed = []
    for q in quarters:
        where = f"{q.source}: " if q.source else ""
        if not q.quarter or not str(q.quarter).strip():
            raise InputError(f"{where}no quarter is recorded (the 'quarter' row of the Settings "
                             "sheet is blank): type the quarter of its data there, e.g. "
                             "Q2 2025/26")
        try:
            keyed.append((quarter_key(q.quarter), q))
        except ValueError as exc:
            raise InputError(f"{where}the quarter on the Settings sheet, {exc}: write it as "
                             "Q1 to Q4 and the financial year, e.g. Q2 2025/26") from None
    keyed.sort(key=lambda kq: kq[0])
    for (k1, a), (k2, b) in zip(keyed, keyed[1:]):
        if k1 == k2 and a.source and a.source == b.source:
            raise InputError(f"{a.source} is given twice: give one workbook per quarter")
        if k1 == k2:
            raise InputError(f"{a.source or a.quarter} and {b.source or b.quarter} are both "
                             f"{b.quarter}: give one workbook per quarter")
    ordered = [q for _, q in keyed]
    labels = [_canonical(q.quarter) for q in ordered]

    parts = []
    for i, q in enumerate(ordered):
        league = q.results.league
        part = league[["type", "code", "name", "position", "average_score",
                       "unadjusted_segment", "segment", "final_segment", "score_low",
                       "score_high", "rank_low", "rank_high"]].copy()
        part.insert(0, "quarter", labels[i])
        part["_q"] = i
        part["significant"] = pd.array([pd.NA] * len(part), dtype="boolean")
        if i > 0:
            test = significance(ordered[i - 1].results, q.results, seed=seed)
            part["significant"] = test["significant"].reindex(part.index).astype("boolean")
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)

    type_order = list(ordered[-1].results.methodology.types)
    types = [t for t in type_order if (frame["type"] == t).any()]
    types += [t for t in dict.fromkeys(frame["type"]) if t not in types]
    # an organisation's latest quarter decides its type, name and place in the order
    latest = frame.sort_values("_q").groupby("code", sort=False).last()
    frame["type"] = frame["code"].map(latest["type"])
    frame["name"] = frame["code"].map(latest["name"])
    frame = frame.assign(
        _t=frame["type"].map({t: i for i, t in enumerate(types)}),
        _last=frame["code"].map(-latest["_q"]),
        _p=frame["code"].map(latest["position"].astype(float).fillna(np.inf)))
    frame = frame.sort_values(["_t", "_last", "_p", "code", "_q"], kind="stable")
    frame = frame[list(HISTORY_COLUMNS)].reset_index(drop=True)

    warnings = []
    for a, b, la, lb in zip(ordered, ordered[1:], labels, labels[1:]):
        if not a.results.league.index.isin(b.results.league.index).any():
            warnings.append(f"{la} and {lb} have no organisation in common (are these books "
                            "of the same organisations, e.g. the same trust types?)")
    return History(quarters=tuple(labels), sources=tuple(q.source for q in ordered),
                   frame=frame, movers=_movers(frame, labels), types=tuple(types),
                   warnings=tuple(warnings))


def _canonical(label: str) -> str:
    """``" q2  2025/26"`` → ``"Q2 2025/26"``."""
    year, q = quarter_key(label)
    return f"Q{q} {year}/{(year + 1) % 100:02d}"


def _movers(frame: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    """Per pair of successive quarters and type, the largest position changes."""
    rows = []
    for old, new in zip(labels, labels[1:]):
        a = frame[frame["quarter"] == old].set_index("code")
        b = frame[frame["quarter"] == new].set_index("code")
        both = b.index.intersection(a.index, sort=False)
        pair = pd.DataFrame({
            "quarter_from": old, "quarter_to": new, "type": b.loc[both, "type"],
            "code": both, "name": b.loc[both, "name"],
            "position_old": a.loc[both, "position"], "position_new": b.loc[both, "position"],
            "segment_old": a.loc[both, "segment"], "segment_new": b.loc[both, "segment"],
            "average_old": a.loc[both, "average_score"],
            "average_new": b.loc[both, "average_score"],
            "significant": b.loc[both, "significant"]}).reset_index(drop=True)
        pair["places_gained"] = (pair["position_old"] - pair["position_new"]).astype("Int64")
        pair = pair[pair["places_gained"].notna() & (pair["places_gained"] != 0)]
        pair = pair.assign(_size=pair["places_gained"].abs().astype(float))
        for _t, part in pair.groupby("type", sort=False):
            rows.append(part.sort_values(["_size", "code"], ascending=[False, True],
                                         kind="stable").head(MOVERS_PER_TYPE))
    if not rows:
        return pd.DataFrame(columns=list(MOVERS_COLUMNS))
    movers = pd.concat(rows, ignore_index=True)
    return movers[list(MOVERS_COLUMNS)]
