"""Timing helpers for the benchmark: every figure its samples (min / median / max), every ratio
the median of paired runs.

A figure and its baseline are timed in pairs, alternately (baseline, figure, baseline,
figure, ...), so that whatever else the machine is doing at the time weighs on both alike;
the ratio is the median of the per-pair ratios (figure / baseline of the same pair), not a
ratio of medians taken at different times.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Timing", "spread", "time_once", "time_pair", "time_median"]


def spread(samples) -> dict[str, float] | None:
    """``{"min", "median", "max", "n"}`` of some samples (None when there are none)."""
    samples = list(samples)
    if not samples:
        return None
    return {"min": min(samples), "median": statistics.median(samples), "max": max(samples),
            "n": len(samples)}


@dataclass(frozen=True)
class Timing:
    """The samples of a figure and of its baseline, taken in pairs (no baseline: none)."""

    samples: tuple[float, ...]
    baseline_samples: tuple[float, ...] = ()

    @property
    def seconds(self) -> float:
        return statistics.median(self.samples)

    @property
    def baseline(self) -> float | None:
        return statistics.median(self.baseline_samples) if self.baseline_samples else None

    @property
    def pair_ratios(self) -> tuple[float, ...]:
        return tuple(s / b for s, b in zip(self.samples, self.baseline_samples) if b > 0)

    @property
    def ratio(self) -> float | None:
        """The median of the per-pair ratios figure / baseline."""
        return statistics.median(self.pair_ratios) if self.pair_ratios else None


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
    """``repeats`` timed calls of ``fn``."""
    return Timing(tuple(time_once(fn, setup) for _ in range(max(1, repeats))))


def time_pair(fn: Callable[[], object], baseline: Callable[[], object], repeats: int, *,
              setup: Callable[[], object] | None = None,
              baseline_setup: Callable[[], object] | None = None) -> Timing:
    """``repeats`` pairs: ``baseline`` then ``fn``, alternately."""
    ours: list[float] = []
    base: list[float] = []
    for _ in range(max(1, repeats)):
        base.append(time_once(baseline, baseline_setup))
        ours.append(time_once(fn, setup))
    return Timing(tuple(ours), tuple(base))
