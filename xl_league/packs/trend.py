"""A trust's trend over quarters, for its pack (``packs --history BOOK...``; issue 14).

Each quarter's figures come from that quarter's :class:`~xl_league.LeagueTables`: position,
average metric score with its likely range (95 %), segment and final segment. Quarters are put
in time order by the quarter each book records ("Q1 2025/26" before "Q2 2025/26" before
"Q1 2026/27"), never by the order they were given.

The Trend sheet shows them as a table and two native charts: the league position by quarter
(position 1 at the top), and the average metric score with the likely range as error bars.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl.chart import LineChart, Reference, Series
from openpyxl.chart.data_source import NumDataSource, NumRef
from openpyxl.chart.error_bar import ErrorBars
from openpyxl.chart.marker import Marker
from openpyxl.worksheet.worksheet import Worksheet

from ..engine import LeagueTables
from ..errors import InputError
from ..vocabulary import QuarterError
from ..vocabulary import quarter_key as _quarter_key
from .charts import OWN_COLOUR, _fill
from .content import PackContent, _int, _num

__all__ = ["QuarterFigures", "TrendRow", "quarter_key", "order_quarters", "trend_rows",
           "write_trend", "SHEET_TREND"]

SHEET_TREND = "Trend"
_COLUMNS = ("position", "average_score", "score_low", "score_high", "segment", "final_segment")


def quarter_key(label: str) -> tuple[int, int]:
    """The vocabulary's :func:`~xl_league.vocabulary.quarter_key`, its error in a pack's words.

    >>> quarter_key("Q2 2025/26") < quarter_key("Q1 2026/27")
    True
    """
    try:
        return _quarter_key(label)
    except QuarterError:
        raise InputError(f"quarter {label!r} is not recognised: write it as on the Settings "
                         "sheet, e.g. Q2 2025/26") from None


@dataclass(frozen=True)
class QuarterFigures:
    """One quarter's league figures, by organisation code (made once per quarter)."""

    quarter: str
    rows: dict[str, dict]
    ranked: dict[str, int]  # organisations ranked, by type

    @classmethod
    def of(cls, quarter: str, results: LeagueTables) -> "QuarterFigures":
        league = results.league
        ranked = league.groupby("type")["position"].count().astype(int).to_dict()
        return cls(quarter, league[["type", *_COLUMNS]].to_dict("index"), ranked)


def order_quarters(quarters: Sequence[tuple[str, LeagueTables]]) -> list[QuarterFigures]:
    """The quarters in time order (by the quarter each records); two of one quarter refused."""
    keyed = sorted(((quarter_key(q), q, r) for q, r in quarters), key=lambda t: t[0])
    for (k1, q1, _), (k2, q2, _) in zip(keyed, keyed[1:]):
        if k1 == k2:
            raise InputError(f"two workbooks record the same quarter ({q1!r} and {q2!r}): "
                             "give each quarter once")
    return [QuarterFigures.of(q, r) for _, q, r in keyed]


@dataclass(frozen=True)
class TrendRow:
    quarter: str
    position: int | None
    ranked: int | None
    average_score: float | None
    score_low: float | None
    score_high: float | None
    segment: int | None
    final_segment: int | None

    @property
    def above(self) -> float | None:
        """How far the likely range reaches above the average (error bar, plus)."""
        if self.average_score is None or self.score_high is None:
            return None
        return round(self.score_high - self.average_score, 6)

    @property
    def below(self) -> float | None:
        if self.average_score is None or self.score_low is None:
            return None
        return round(self.average_score - self.score_low, 6)


def trend_rows(code: str, org_type: str, quarters: Sequence[QuarterFigures]) -> list[TrendRow]:
    """``code``'s figures in each quarter (blank where it is not in that quarter's book)."""
    out = []
    for q in quarters:
        row = q.rows.get(code)
        if row is None:
            out.append(TrendRow(q.quarter, None, None, None, None, None, None, None))
            continue
        out.append(TrendRow(q.quarter, _int(row["position"]), q.ranked.get(org_type),
                            _num(row["average_score"]), _num(row["score_low"]),
                            _num(row["score_high"]), _int(row["segment"]),
                            _int(row["final_segment"])))
    return out


TREND_FIRST_ROW = 6  # first quarter's row (header on row 5)
_HEADERS = [("Quarter", 14), ("League position", 10), ("Ranked", 9),
            ("Average metric score", 11), ("Likely average from", 11),
            ("Likely average to", 11), ("Segment", 9), ("Final segment", 9),
            ("Range above the average", 11), ("Range below the average", 11)]


def write_trend(wb, ws: Worksheet, c: PackContent, rows: list[TrendRow]) -> None:
    """The Trend sheet: a row per quarter and two charts (position; average with range)."""
    from .sheets import (add_chart, define_name, print_setup, protect, put, segment_formatting,
                         _title)
    _title(ws, f"Trend · {c.name} ({c.code})",
           f"{c.type_label} league · {len(rows)} quarters, oldest first")
    put(ws, 3, 1, "Each quarter as its own workbook recorded it. The likely range (95 %) shows "
        "how far the average could move with a different mix of the organisation's own metric "
        "scores: a move inside both quarters' ranges may be noise.", "xl_note")
    header = TREND_FIRST_ROW - 1
    for i, (text, width) in enumerate(_HEADERS, start=1):
        put(ws, header, i, text, "xl_header")
        ws.column_dimensions[chr(64 + i)].width = width
    ws.row_dimensions[header].height = 44
    styles = ["xl_centre", "xl_int", "xl_int", "xl_score", "xl_score", "xl_score", "xl_int",
              "xl_int", "xl_score", "xl_score"]
    r = header
    for t in rows:
        r += 1
        for col, (v, style) in enumerate(zip(
                (t.quarter, t.position, t.ranked, t.average_score, t.score_low, t.score_high,
                 t.segment, t.final_segment, t.above, t.below), styles), start=1):
            put(ws, r, col, v, style)
    first, last = TREND_FIRST_ROW, r
    segment_formatting(ws, f"G{first}:H{last}")
    define_name(wb, "TrendTable", ws, f"$A${first}:$J${last}")
    put(ws, last + 1, 1, "Blank: the organisation is not in that quarter's workbook, or had "
        "too few metric scores for an average.", "xl_note")
    worst = max([t.ranked or 0 for t in rows] + [c.organisations_in_type])
    add_chart(ws, f"A{last + 3}", position_chart, ws=ws, first_row=first, last_row=last,
              organisations=worst)
    add_chart(ws, f"F{last + 3}", average_chart, ws=ws, first_row=first, last_row=last)
    ws.sheet_view.showGridLines = False
    print_setup(ws, f"{c.code} {c.name}")
    protect(ws)


def position_chart(ws: Worksheet, first_row: int, last_row: int, organisations: int) -> LineChart:
    """League position by quarter, position 1 at the top."""
    chart = LineChart()
    chart.title = "League position by quarter (1 = top)"
    chart.style = 12
    s = Series(Reference(ws, min_col=2, min_row=first_row, max_row=last_row),
               title="League position")
    s.marker = Marker(symbol="circle", size=8)
    s.marker.graphicalProperties = _fill(OWN_COLOUR)
    s.graphicalProperties.line.solidFill = OWN_COLOUR
    chart.series.append(s)
    chart.set_categories(Reference(ws, min_col=1, min_row=first_row, max_row=last_row))
    chart.y_axis.scaling.orientation = "maxMin"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = max(10, math.ceil(organisations / 10) * 10)
    chart.y_axis.majorUnit = 10
    chart.x_axis.crosses = "max"  # quarters along the bottom, under the worst position
    chart.y_axis.title = "League position"
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.legend = None
    chart.width, chart.height = 12, 8
    return chart


def average_chart(ws: Worksheet, first_row: int, last_row: int) -> LineChart:
    """The average metric score by quarter (markers) with its likely range as error bars."""
    chart = LineChart()
    chart.title = "Average metric score with its likely range (lower is better)"
    chart.style = 12
    s = Series(Reference(ws, min_col=4, min_row=first_row, max_row=last_row),
               title="Average metric score")
    s.marker = Marker(symbol="diamond", size=9)
    s.marker.graphicalProperties = _fill(OWN_COLOUR)
    s.graphicalProperties.line.noFill = True
    s.errBars = ErrorBars(errDir="y", errBarType="both", errValType="cust",
                          plus=NumDataSource(numRef=NumRef(
                              f=f"{_quoted(ws)}!$I${first_row}:$I${last_row}")),
                          minus=NumDataSource(numRef=NumRef(
                              f=f"{_quoted(ws)}!$J${first_row}:$J${last_row}")))
    chart.series.append(s)
    chart.set_categories(Reference(ws, min_col=1, min_row=first_row, max_row=last_row))
    chart.y_axis.title = "Average metric score"
    chart.y_axis.scaling.min = 1
    chart.y_axis.scaling.max = 4
    chart.y_axis.majorUnit = 0.5
    chart.y_axis.number_format = "0.00"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend = None
    chart.width, chart.height = 14, 8
    return chart


def _quoted(ws: Worksheet) -> str:
    from openpyxl.utils import quote_sheetname
    return quote_sheetname(ws.title)
