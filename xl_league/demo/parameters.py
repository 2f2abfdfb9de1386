"""Distributions of the synthetic national dataset, per trust type and metric, as data.

Each metric's values are drawn from a quantile function: piecewise-linear through knots
``(p, value)`` — so the distribution's quartiles are exactly the knots at 0.25, 0.5 and 0.75,
and a flat stretch (the same value at two knots) is a point mass, e.g. the many trusts that plan
exactly to break even. ``p`` comes from a normal variate that mixes the trust's latent
"performance" with noise (``rho`` = how strongly this metric follows it), so a trust that does
well on one metric tends to do well on others and the league tables look realistic.

Sources (hard-coded here so the demo needs no data files):

* Acute trusts: the peer medians and quartiles NHS England published for Q3 2025/26
  (``nof-methodology.md``, "Typical values"), except OF0003 (over-52-week waits, assumed from
  the national position: about 2 % of the waiting list) — tails are assumed.
* Mental health and community trusts: the ``Median_value``, ``Lower_quartile`` and
  ``Upper_quartile`` NHS England published for Q2 2025/26 in its trust-data file, with the
  observed minimum and maximum as the ends; which subtypes report a metric follows the same
  file (e.g. 52-week community waits: every community trust, about half of mental-health trusts).
* Ambulance trusts: assumed. Category 2 mean response time median 34 minutes (quartiles 30.5
  to 37), in line with the 30–40 minutes trusts reported through 2024–25 against the 30-minute
  ambition; staff survey scores and sickness absence a little worse than acute trusts, as the
  NHS staff survey and sickness statistics show for ambulance staff.
* Finance: acute plans −1.6 % (−4.1 to 0.0), year-to-date variance −0.2 % (−1.9 to 0.0) with
  about a quarter exactly on plan; mental-health/community trusts mostly plan to break even
  (about a fifth plan a deficit) — giving about three quarters of acute trusts and a quarter
  to a third of non-acute trusts in deficit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ValueSpec", "ScoreSpec", "SPECS", "FINANCE_IDS", "spread"]

FINANCE_IDS = ("OF0079", "OF0081")


@dataclass(frozen=True)
class ValueSpec:
    """A raw value: quantile knots, decimals, how strongly it follows performance, coverage."""

    knots: tuple[tuple[float, float], ...]
    decimals: int = 2
    rho: float = 0.4
    # probability that a trust of this subtype reports the metric (default 1)
    coverage: dict[str, float] = field(default_factory=dict)
    default_coverage: float = 1.0


@dataclass(frozen=True)
class ScoreSpec:
    """A supplied 1–4 score: the probability of each score, 1 (best) to 4 (worst)."""

    probabilities: tuple[float, float, float, float]
    rho: float = 0.4
    coverage: dict[str, float] = field(default_factory=dict)
    default_coverage: float = 1.0


def spread(median: float, lower_quartile: float, upper_quartile: float, low: float,
           high: float, decimals: int = 2, rho: float = 0.4, **kwargs) -> ValueSpec:
    """Knots from published quartiles, normal-like 5 %/95 % tails, bounded by [low, high]."""
    p05 = max(low, median - 2.44 * (median - lower_quartile))
    p95 = min(high, median + 2.44 * (upper_quartile - median))
    knots = ((0.0, low), (0.05, p05), (0.25, lower_quartile), (0.5, median),
             (0.75, upper_quartile), (0.95, p95), (1.0, high))
    return ValueSpec(knots=knots, decimals=decimals, rho=rho, **kwargs)


_SPECIALIST = "Acute - Specialist"
_MH = "Mental Health and Learning Disability"
_COMMUNITY = "Community"
_CARE = "Care Trust"

_ACUTE: dict[str, ValueSpec | ScoreSpec] = {
    # Access to services
    "OF0023": spread(60.9, 57.5, 65.4, 40.0, 88.0),                   # RTT <= 18 weeks %
    "OF1106": ScoreSpec((0.30, 0.30, 0.22, 0.18), default_coverage=0.96),  # vs own plan
    "OF0003": spread(2.2, 1.2, 3.4, 0.0, 9.0),                        # > 52 weeks % [assumed]
    "OF0010": spread(77.6, 74.8, 82.0, 55.0, 96.0, coverage={_SPECIALIST: 0.6}),
    "OF0011": spread(71.5, 65.4, 77.9, 45.0, 95.0, coverage={_SPECIALIST: 0.6}),
    "OF0013": spread(73.1, 70.1, 78.2, 55.0, 96.0, coverage={_SPECIALIST: 0.15},
                     default_coverage=0.99),
    "OF0014": spread(8.2, 4.8, 10.6, 0.3, 22.0, coverage={_SPECIALIST: 0.15},
                     default_coverage=0.99),
    # Effectiveness and experience
    "OF0025": spread(0.78, 0.45, 1.08, 0.05, 2.6, coverage={_SPECIALIST: 0.5},
                     default_coverage=0.98),
    # Patient safety
    "OF0020": spread(3.0, 2.0, 5.0, 0.0, 14.0, decimals=0, rho=0.25,
                     coverage={_SPECIALIST: 0.7}, default_coverage=0.99),  # MRSA cases
    "OF0088": spread(1.11, 0.95, 1.28, 0.4, 2.2, rho=0.25, coverage={_SPECIALIST: 0.7},
                     default_coverage=0.99),
    "OF0048": spread(1.17, 1.06, 1.28, 0.6, 1.9, rho=0.25, coverage={_SPECIALIST: 0.7},
                     default_coverage=0.99),
    "OF0061": spread(6.41, 6.23, 6.58, 5.6, 7.2),                     # raising concerns /10
    # People and workforce
    "OF0082": spread(5.0, 4.5, 5.5, 3.2, 7.0),                        # sickness absence %
    "OF0084": spread(6.87, 6.70, 7.03, 6.1, 7.5),                     # engagement /10
    # Finance and productivity
    "OF0079": ValueSpec(((0.0, -9.0), (0.05, -7.0), (0.25, -4.1), (0.5, -1.6), (0.70, 0.0),
                         (0.96, 0.0), (1.0, 1.2))),
    "OF0081": ValueSpec(((0.0, -6.0), (0.05, -4.0), (0.25, -1.9), (0.5, -0.2), (0.55, 0.0),
                         (0.80, 0.0), (1.0, 1.5))),
    "OF0085": spread(2.6, 0.7, 4.5, -6.0, 11.0, default_coverage=0.97),  # implied productivity
}

_NON_ACUTE: dict[str, ValueSpec | ScoreSpec] = {
    # Access to services (Q2 2025/26 medians and quartiles)
    "OF0005": ValueSpec(((0.0, 0.0), (0.25, 0.01), (0.5, 0.38), (0.75, 6.83), (0.95, 30.0),
                         (1.0, 68.0)), coverage={_MH: 0.55, _COMMUNITY: 1.0, _CARE: 1.0}),
    "OF0041": ValueSpec(((0.0, -25.0), (0.05, -12.0), (0.25, 0.15), (0.5, 7.26), (0.75, 13.75),
                         (0.95, 30.0), (1.0, 44.0)), rho=0.3,
                        coverage={_MH: 0.9, _COMMUNITY: 0.5, _CARE: 1.0}),
    # Effectiveness and experience
    "OF0057": ValueSpec(((0.0, 52.0), (0.05, 66.0), (0.25, 82.36), (0.5, 88.53), (0.75, 90.76),
                         (0.95, 95.5), (1.0, 98.2)), coverage={_MH: 0.5, _COMMUNITY: 1.0,
                                                                _CARE: 0.5}),
    "OF0063": spread(23.63, 19.3, 26.83, 8.5, 42.0,
                     coverage={_MH: 0.98, _COMMUNITY: 0.07, _CARE: 1.0}),
    "OF1035": ScoreSpec((0.06, 0.82, 0.06, 0.06), rho=0.3,
                        coverage={_MH: 0.98, _COMMUNITY: 0.07, _CARE: 1.0}),
    # Patient safety
    "OF0016": ValueSpec(((0.0, 26.0), (0.05, 35.0), (0.25, 51.46), (0.5, 59.52), (0.75, 75.38),
                         (0.95, 95.0), (1.0, 100.0)),
                        coverage={_MH: 0.98, _COMMUNITY: 0.14, _CARE: 1.0}),
    "OF0061": spread(6.81, 6.57, 6.95, 5.68, 7.43),
    "OF1067": ScoreSpec((0.05, 0.35, 0.55, 0.05), coverage={_MH: 0.07, _COMMUNITY: 0.21,
                                                            _CARE: 0.0}),
    # People and workforce
    "OF0082": spread(5.1, 4.7, 5.8, 3.25, 7.46),
    "OF0084": spread(7.08, 6.95, 7.21, 6.32, 7.49),
    # Finance and productivity: most plan to break even exactly
    "OF0079": ValueSpec(((0.0, -3.3), (0.05, -2.0), (0.20, 0.0), (0.90, 0.0), (1.0, 2.4))),
    "OF0081": ValueSpec(((0.0, -4.9), (0.05, -1.2), (0.16, 0.0), (0.70, 0.0), (0.75, 0.15),
                         (0.95, 1.0), (1.0, 2.1))),
    "OF0086": spread(104.85, 96.16, 112.32, 71.5, 136.3, rho=0.3),    # relative costs %
}

_AMBULANCE: dict[str, ValueSpec | ScoreSpec] = {
    "OF0017": spread(34.0, 30.5, 37.0, 24.0, 48.0),                   # category 2 mean, minutes
    "OF0061": spread(6.05, 5.85, 6.25, 5.4, 6.7),
    "OF0082": spread(6.6, 6.1, 7.1, 5.2, 8.5),
    "OF0084": spread(6.25, 6.05, 6.45, 5.7, 6.9),
    "OF0079": ValueSpec(((0.0, -3.0), (0.05, -2.2), (0.30, 0.0), (0.92, 0.0), (1.0, 1.0))),
    "OF0081": ValueSpec(((0.0, -3.5), (0.05, -1.5), (0.22, 0.0), (0.70, 0.0), (1.0, 1.2))),
}

#: type → metric ID (value ID for raw values, score ID for supplied scores) → distribution
SPECS: dict[str, dict[str, ValueSpec | ScoreSpec]] = {
    "acute": _ACUTE, "non-acute": _NON_ACUTE, "ambulance": _AMBULANCE,
}
