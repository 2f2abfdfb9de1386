"""Timing helpers for the benchmark: medians of repeats, each figure beside its baseline.

A figure and its baseline are timed in the same loop (figure, baseline, figure, baseline, ...)
so that whatever else the machine is doing at the time weighs on both alike; the ratio is
the median of the figure over the median of the baseline.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Timing", "time_once", "time_pair", "time_median"]


@dataclass(frozen=True)
class Timing:
    """Median seconds of a figure and of its baseline (None when there is no baseline)."""

    seconds: float
    baseline: float | None = None
    samples: tuple[float, ...] = ()
    baseline_samples: tuple[float, ...] = ()

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.seconds / self.baseline


def time_once(fn: Callable[[], object], setup: Callable[[], object] | None = None) -> float:
    """Seconds for one call of ``fn`` (``setup`` runs first, untimed; garbage collected first)."""
    if setup is not None:
        setup()
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_median(fn: Callable[[], object], repeats: int,
                setup: Callable[[], object] | None = None) -> Timing:
    """Median of ``repeats`` timed calls of ``fn``."""
    samples = tuple(time_once(fn, setup) for _ in range(max(1, repeats)))
    return Timing(statistics.median(samples), samples=samples)


def time_pair(fn: Callable[[], object], baseline: Callable[[], object], repeats: int, *,
              setup: Callable[[], object] | None = None,
              baseline_setup: Callable[[], object] | None = None) -> Timing:
    """Medians of ``fn`` and ``baseline``, timed alternately ``repeats`` times each."""
    ours: list[float] = []
    base: list[float] = []
    for _ in range(max(1, repeats)):
        ours.append(time_once(fn, setup))
        base.append(time_once(baseline, baseline_setup))
    return Timing(statistics.median(ours), statistics.median(base), tuple(ours), tuple(base))
