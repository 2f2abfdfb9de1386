"""The cut-points NHS England used, inferred from its published averages and segments.

A segment is decided by the (2-dp) score alone: at or above cut-point c_j → segment j + 1 or
worse. So c_j lies above the highest score in segments 1..j and at or below the lowest score in
segments j+1..4: ``c_j in (lo_j, hi_j]``. Any point in those intervals reproduces every
published segment; :func:`infer_cut_points` returns the intervals and a point inside each.

A side with no organisations is open: c_j > lo_j only (no organisation in a worse segment), or
c_j <= hi_j only (none in a better one); the point is then placed within the score range
(best..worst), and the interval says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

__all__ = ["CutPointInterval", "InferredCutPoints", "infer_cut_points", "quartiles_inside"]

_EPS = 1e-9


@dataclass(frozen=True)
class CutPointInterval:
    """c in (low, high]; None = open on that side."""

    low: float | None
    high: float | None

    def contains(self, c: float) -> bool:
        return ((self.low is None or c > self.low + _EPS)
                and (self.high is None or c <= self.high + _EPS))

    def text(self, name: str) -> str:
        if self.low is not None and self.high is not None:
            return f"{name} in ({self.low:.2f}, {self.high:.2f}]"
        if self.low is not None:
            return f"{name} > {self.low:.2f}"
        if self.high is not None:
            return f"{name} <= {self.high:.2f}"
        return f"{name} unconstrained"


@dataclass(frozen=True)
class InferredCutPoints:
    intervals: tuple[CutPointInterval, CutPointInterval, CutPointInterval]
    points: tuple[float, float, float]
    organisations: int

    def text(self) -> str:
        """``c1 in (2.06, 2.07], c2 in (2.34, 2.35], c3 in (2.64, 2.69]``."""
        return ", ".join(iv.text(f"c{j}") for j, iv in enumerate(self.intervals, start=1))

    def points_text(self) -> str:
        return ", ".join(f"{p:g}" for p in self.points)


def _floats(x) -> np.ndarray:
    if hasattr(x, "to_numpy"):
        return x.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(x, dtype=float)


def infer_cut_points(scores, segments, *, best: float = 1.0, worst: float = 4.0,
                     what: str = "average metric score") -> InferredCutPoints | None:
    """The intervals of (c1, c2, c3) consistent with published (score, segment 1–4) pairs.

    None when there are no pairs. Raises :class:`InputError` when no cut-points could give the
    published segments (a higher score in a better segment).
    """
    a, s = _floats(scores), _floats(segments)
    ok = ~np.isnan(a) & ~np.isnan(s)
    a, s = a[ok], s[ok]
    if a.size == 0:
        return None
    intervals = []
    for j in (1, 2, 3):
        below, above = a[s <= j], a[s > j]
        low = float(below.max()) if below.size else None
        high = float(above.min()) if above.size else None
        if low is not None and high is not None and low >= high - _EPS:
            raise InputError(
                f"the published segments cannot come from cut-points: an {what} of "
                f"{low:.2f} is in segment {int(s[a == low].min())} or better while "
                f"{high:.2f} is in segment {int(s[a == high].max())} or worse; give the "
                "national cut-points with --cutoffs c1,c2,c3")
        intervals.append(CutPointInterval(low, high))
    points = _points_inside(intervals, best, worst)
    return InferredCutPoints(tuple(intervals), points, int(a.size))  # type: ignore[arg-type]


def _points_inside(intervals: list[CutPointInterval], best: float, worst: float
                   ) -> tuple[float, float, float]:
    """A point inside each interval, increasing; intervals sharing one gap (an empty segment
    between them) split it evenly; open sides are bounded by the score range."""
    spans = [(iv.low if iv.low is not None else best - 0.01,
              iv.high if iv.high is not None else worst + 0.01) for iv in intervals]
    points: list[float] = []
    j = 0
    while j < 3:
        k = j
        while k + 1 < 3 and spans[k + 1] == spans[j]:
            k += 1
        low, high = spans[j]
        count = k - j + 1
        for i in range(count):
            points.append(round(low + (high - low) * (i + 1) / (count + 1), 4))
        j = k + 1
    for i in range(1, 3):  # spans that overlap without being equal (never with real data)
        if points[i] <= points[i - 1]:
            points[i] = points[i - 1] + 0.0001
    return tuple(points)  # type: ignore[return-value]


def quartiles_inside(quartiles, inferred: InferredCutPoints) -> list[int]:
    """The cut-points (1-based) whose quartile lies outside the inferred interval."""
    return [j for j, (q, iv) in enumerate(zip(quartiles, inferred.intervals), start=1)
            if not iv.contains(float(q))]
