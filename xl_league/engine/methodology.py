"""The year's rules as a frozen value: :class:`Methodology`, loaded from package data.

A new framework year is a new TOML file (and metric catalogue) in ``xl_league/data``; nothing
in the engine changes. Settings that a user may change (cut-point rule, fixed cut-points,
bootstrap replicates and seed, ...) are replaced with :func:`dataclasses.replace` or
:meth:`Methodology.with_settings`.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ..errors import MethodologyError

__all__ = ["Methodology", "load_methodology", "available_years", "CUT_POINT_RULES",
           "MAX_REPLICATES"]

#: Most bootstrap replicates a run may ask for: 100,000 x 205 trusts is ~330 MB of replicate
#: averages and positions; a workbook asking for 10**9 would exhaust any machine.
MAX_REPLICATES = 100_000

CUT_POINT_RULES = ("national-quartiles", "type-quartiles", "fixed")
_YEAR_FILES = {"2025/26": "nof-2025-26.toml"}
_QUANTILE_METHODS = ("linear", "inverted_cdf", "averaged_inverted_cdf", "closest_observation",
                     "interpolated_inverted_cdf", "hazen", "weibull", "median_unbiased",
                     "normal_unbiased", "lower", "higher", "midpoint", "nearest")


@dataclass(frozen=True)
class Methodology:
    """Everything that decides how organisations are scored, segmented and ranked."""

    year: str = "2025/26"
    catalogue_file: str = "metrics-2025-26.csv"
    types: tuple[str, ...] = ("acute", "non-acute", "ambulance", "icb")
    national_pools: tuple[tuple[str, ...], ...] = (("acute", "non-acute", "ambulance"), ("icb",))
    # Step 3: segments
    cut_point_rule: str = "national-quartiles"
    quantile_method: str = "linear"
    fixed_cut_points: tuple[float, ...] = ()
    average_decimals: int = 2
    # domain segments: fixed cut-points per domain, ((domain, (c1, c2, c3)), ...); a domain not
    # listed is cut at quartiles of its domain scores
    domain_cut_points: tuple[tuple[str, tuple[float, float, float]], ...] = ()
    # Step 4: financial override
    override_cap_segment: int = 3
    deficit_fallback: bool = True
    deficit_plan_metric: str = "OF0079"
    deficit_plan_below: float = 0.0
    deficit_variance_metric: str = "OF0081"
    deficit_variance_below: float = 0.0
    # Step 5: Recovery Support Programme
    rsp_segment: int = 5
    rsp_applies_to_segments: tuple[int, ...] = (1, 2, 3, 4)
    # Step 1/2: scoring
    best_score: float = 1.0
    worst_score: float = 4.0
    minimum_metrics: int = 1
    # Step 7: likely ranges
    bootstrap_replicates: int = 2000
    bootstrap_seed: int = 2025
    bootstrap_confidence: float = 0.95
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False,
                                     repr=False)

    def __post_init__(self) -> None:
        if self.cut_point_rule not in CUT_POINT_RULES:
            raise MethodologyError(
                f"cut-point rule {self.cut_point_rule!r} is not one of {', '.join(CUT_POINT_RULES)}"
            )
        try:
            cps = tuple(float(c) for c in self.fixed_cut_points)
        except (TypeError, ValueError):
            raise MethodologyError(
                f"fixed cut-points {list(self.fixed_cut_points)} must be three numbers, "
                "e.g. 2.05,2.33,2.62"
            ) from None
        object.__setattr__(self, "fixed_cut_points", cps)
        if self.quantile_method not in _QUANTILE_METHODS:
            raise MethodologyError(
                f"quantile method {self.quantile_method!r} is not one of "
                f"{', '.join(_QUANTILE_METHODS)} ('linear' = Excel's QUARTILE.INC)"
            )
        if not 1 <= self.override_cap_segment <= 4:
            raise MethodologyError(
                f"financial override cap segment {self.override_cap_segment} must be 1 to 4 "
                "(2025/26: 3)"
            )
        if not self.best_score < self.worst_score:
            raise MethodologyError(
                f"best score {self.best_score} must be below worst score {self.worst_score} "
                "(2025/26: 1 and 4)"
            )
        if cps and (len(cps) != 3 or any(b <= a for a, b in zip(cps, cps[1:]))):
            raise MethodologyError(
                f"fixed cut-points {list(cps)} must be three increasing numbers, e.g. 2.05,2.33,2.62"
            )
        if self.cut_point_rule == "fixed" and not cps:
            raise MethodologyError(
                "the cut-point rule is 'fixed' but no cut-points were given: "
                "supply three, e.g. --cutoffs 2.05,2.33,2.62"
            )
        domain_cuts = []
        for domain, given in self.domain_cut_points:
            try:
                cuts: tuple[float, ...] = tuple(float(c) for c in given)
            except (TypeError, ValueError):
                cuts = ()
            if len(cuts) != 3 or any(b <= a for a, b in zip(cuts, cuts[1:])):
                raise MethodologyError(
                    f"domain cut-points {list(cuts)} for {domain} must be three increasing "
                    "numbers, e.g. 2.05,2.33,2.62")
            domain_cuts.append((str(domain), cuts))
        object.__setattr__(self, "domain_cut_points", tuple(domain_cuts))
        if not 0 <= self.bootstrap_replicates <= MAX_REPLICATES:
            raise MethodologyError(
                f"bootstrap replicates {self.bootstrap_replicates} must be 0 (off) or more, "
                f"and at most {MAX_REPLICATES:,} (2,000 is usual; every replicate of every "
                "organisation is kept in memory until its percentiles are taken)"
            )
        if not 0 < self.bootstrap_confidence < 1:
            raise MethodologyError(
                f"bootstrap confidence {self.bootstrap_confidence} must be between 0 and 1, e.g. 0.95"
            )
        if self.minimum_metrics < 1:
            raise MethodologyError(f"minimum metrics {self.minimum_metrics} must be at least 1")
        pooled = [t for pool in self.national_pools for t in pool]
        if sorted(pooled) != sorted(self.types):
            raise MethodologyError(
                f"national pools {self.national_pools} must hold each type of {self.types} once"
            )

    def with_settings(self, **changes: Any) -> "Methodology":
        """A copy with some settings changed; ``cut_points=(c1, c2, c3)`` also sets rule 'fixed'."""
        cps = changes.pop("cut_points", None)
        if cps:
            changes["fixed_cut_points"] = tuple(cps)
            changes.setdefault("cut_point_rule", "fixed")
        return dataclasses.replace(self, **changes)

    def cut_points_for_domain(self, domain: str) -> tuple[float, float, float] | None:
        """The fixed cut-points of one domain's segments, or None (quartiles)."""
        return dict(self.domain_cut_points).get(domain)

    def pool_of(self, org_type: str) -> tuple[str, ...]:
        """The national pool (types compared together) that ``org_type`` belongs to."""
        for pool in self.national_pools:
            if org_type in pool:
                return pool
        raise MethodologyError(f"type {org_type!r} is in no national pool of {self.national_pools}")


def available_years() -> tuple[str, ...]:
    return tuple(_YEAR_FILES)


def load_methodology(year: str = "2025/26") -> Methodology:
    """The shipped methodology for ``year`` (e.g. ``"2025/26"``)."""
    if year not in _YEAR_FILES:
        raise MethodologyError(
            f"no methodology for year {year!r}; available: {', '.join(_YEAR_FILES)}"
        )
    text = resources.files("xl_league.data").joinpath(_YEAR_FILES[year]).read_text("utf-8")
    return methodology_from_toml(text)


def methodology_from_toml(text: str) -> Methodology:
    """Build a :class:`Methodology` from the TOML layout used in ``xl_league/data``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MethodologyError(f"methodology file is not valid TOML: {exc}") from None
    seg = raw.get("segments", {})
    fin = raw.get("financial_override", {})
    rsp = raw.get("recovery_support", {})
    sco = raw.get("scoring", {})
    lik = raw.get("likely_ranges", {})
    d = Methodology()
    try:
        return _from_sections(raw, seg, fin, rsp, sco, lik, d)
    except (TypeError, ValueError) as exc:
        raise MethodologyError(f"methodology file has a value of the wrong kind: {exc}") from None


def _from_sections(raw: dict[str, Any], seg: dict[str, Any], fin: dict[str, Any],
                   rsp: dict[str, Any], sco: dict[str, Any], lik: dict[str, Any],
                   d: Methodology) -> Methodology:
    return Methodology(
        year=raw.get("year", d.year),
        catalogue_file=raw.get("catalogue", d.catalogue_file),
        types=tuple(raw.get("types", d.types)),
        national_pools=tuple(tuple(p) for p in raw.get("national_pools", d.national_pools)),
        cut_point_rule=seg.get("rule", d.cut_point_rule),
        quantile_method=seg.get("quantile_method", d.quantile_method),
        fixed_cut_points=tuple(seg.get("cut_points", ())),
        average_decimals=int(seg.get("average_decimals", d.average_decimals)),
        override_cap_segment=int(fin.get("cap_segment", d.override_cap_segment)),
        deficit_fallback=bool(fin.get("fallback", d.deficit_fallback)),
        deficit_plan_metric=fin.get("plan_metric", d.deficit_plan_metric),
        deficit_plan_below=float(fin.get("plan_below", d.deficit_plan_below)),
        deficit_variance_metric=fin.get("variance_metric", d.deficit_variance_metric),
        deficit_variance_below=float(fin.get("variance_below", d.deficit_variance_below)),
        rsp_segment=int(rsp.get("segment", d.rsp_segment)),
        rsp_applies_to_segments=tuple(int(s) for s in rsp.get("applies_to_segments",
                                                               d.rsp_applies_to_segments)),
        best_score=float(sco.get("best", d.best_score)),
        worst_score=float(sco.get("worst", d.worst_score)),
        minimum_metrics=int(sco.get("minimum_metrics", d.minimum_metrics)),
        bootstrap_replicates=int(lik.get("replicates", d.bootstrap_replicates)),
        bootstrap_seed=int(lik.get("seed", d.bootstrap_seed)),
        bootstrap_confidence=float(lik.get("confidence", d.bootstrap_confidence)),
    )
