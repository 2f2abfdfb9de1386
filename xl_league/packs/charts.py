"""Native Excel charts for a pack (openpyxl.chart): no images, they redraw when values change.

* :func:`metric_scores_chart` — the organisation's metric scores against its peer group's
  median score, one pair of bars per metric (Metrics sheet).
* :func:`domain_scores_chart` — domain scores against the peer median (Summary sheet).
* :func:`league_scatter` — where the organisation sits in its league: every organisation of
  the type as a point (position across, average metric score up), coloured by segment, the
  organisation itself as a large marker (Summary sheet).
"""

from __future__ import annotations

import math

from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.chart.marker import Marker
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["SEGMENT_COLOURS", "metric_scores_chart", "domain_scores_chart", "league_scatter"]

#: Fill colour per final segment (1 best … 5 Recovery Support Programme), NHS identity palette.
SEGMENT_COLOURS = {1: "007F3B", 2: "78BE20", 3: "FFB81C", 4: "DA291C", 5: "7C2855"}
OWN_COLOUR = "005EB8"   # NHS Blue
PEER_COLOUR = "AEB7BD"  # NHS mid grey


def _score_axis(chart) -> None:
    """Scores run 1 (best) to 4 (worst); bars start at 0 so a best score still shows a bar."""
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 4
    chart.y_axis.majorUnit = 0.5
    chart.y_axis.number_format = "0.0"
    chart.y_axis.delete = False
    chart.x_axis.delete = False


def _paired_bars(ws: Worksheet, title: str, cats: Reference, own: Reference, peer: Reference,
                 own_name: str, horizontal: bool) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.grouping = "clustered"
    chart.title = title
    chart.style = 10
    for ref, colour, name in ((own, OWN_COLOUR, own_name), (peer, PEER_COLOUR, "Peer median")):
        s = Series(ref, title=name)
        s.graphicalProperties.solidFill = colour
        s.graphicalProperties.line.solidFill = colour
        chart.series.append(s)
    chart.set_categories(cats)
    _score_axis(chart)
    chart.y_axis.title = "Score (1 best, 4 worst)"
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"  # first metric at the top, like the table
        chart.y_axis.crosses = "max"
    chart.legend.position = "b"
    chart.gapWidth = 60
    return chart


def metric_scores_chart(ws: Worksheet, first_row: int, last_row: int, *, cat_col: int,
                        own_col: int, peer_col: int, own_name: str) -> BarChart:
    """Horizontal bars: metric scores (``own_col``) against the peer median score (``peer_col``)."""
    chart = _paired_bars(
        ws, "Metric scores against the peer median (shorter is better)",
        Reference(ws, min_col=cat_col, min_row=first_row, max_row=last_row),
        Reference(ws, min_col=own_col, min_row=first_row, max_row=last_row),
        Reference(ws, min_col=peer_col, min_row=first_row, max_row=last_row),
        own_name, horizontal=True)
    n = last_row - first_row + 1
    chart.width = 18
    chart.height = max(8.0, 0.9 * n + 3)
    return chart


def domain_scores_chart(ws: Worksheet, first_row: int, last_row: int, *, cat_col: int,
                        own_col: int, peer_col: int, own_name: str) -> BarChart:
    """Columns: domain scores against the peer median domain score."""
    chart = _paired_bars(
        ws, "Domain scores against the peer median (lower is better)",
        Reference(ws, min_col=cat_col, min_row=first_row, max_row=last_row),
        Reference(ws, min_col=own_col, min_row=first_row, max_row=last_row),
        Reference(ws, min_col=peer_col, min_row=first_row, max_row=last_row),
        own_name, horizontal=False)
    chart.width = 17
    chart.height = 8.5
    return chart


def league_scatter(league_ws: Worksheet, segment_blocks: list[tuple[int, int, int]],
                   own_row: int, *, position_col: int, average_col: int, own_name: str,
                   type_label: str, average_range: tuple[float, float] | None = None,
                   organisations: int | None = None) -> ScatterChart:
    """Position (across) against average metric score (up), one series per segment block.

    ``segment_blocks``: (segment, first_row, last_row) on ``league_ws`` — the league is sorted
    by segment, so each segment is one contiguous block of rows.
    """
    chart = ScatterChart()
    chart.title = f"Where you sit in the {type_label.lower()} league"
    chart.style = 13
    chart.scatterStyle = "marker"

    def add(first: int, last: int, name: str, colour: str, size: int, symbol: str) -> None:
        xs = Reference(league_ws, min_col=position_col, min_row=first, max_row=last)
        ys = Reference(league_ws, min_col=average_col, min_row=first, max_row=last)
        s = Series(ys, xs, title=name)
        s.marker = Marker(symbol=symbol, size=size)
        s.marker.graphicalProperties = _fill(colour)
        s.graphicalProperties.line.noFill = True
        chart.series.append(s)

    for segment, first, last in segment_blocks:
        add(first, last, f"Segment {segment}", SEGMENT_COLOURS.get(segment, PEER_COLOUR), 4,
            "circle")
    add(own_row, own_row, own_name, OWN_COLOUR, 11, "diamond")
    chart.x_axis.title = "League position"
    chart.y_axis.title = "Average metric score"
    chart.x_axis.scaling.min = 0
    if organisations:
        chart.x_axis.scaling.max = max(10, math.ceil(organisations / 10) * 10)
    if average_range is not None:  # a little room above and below the league's averages
        chart.y_axis.scaling.min = max(0.0, math.floor(average_range[0] * 4 - 0.5) / 4)
        chart.y_axis.scaling.max = math.ceil(average_range[1] * 4 + 0.5) / 4
    chart.y_axis.number_format = "0.00"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.width = 17
    chart.height = 9
    return chart


def _fill(colour: str) -> GraphicalProperties:
    gp = GraphicalProperties(solidFill=colour)
    gp.line.solidFill = colour
    return gp
