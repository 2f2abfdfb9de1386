"""The metric catalogue: which metrics are scored, how, for whom, as data.

One :class:`Metric` per scored metric, keyed by its score ID (``OF1xxx``). Its raw value, where
NHS England publishes one, has the value ID ``OF0xxx``. Scoring methods:

``ranked``    score = 1 + 3 × b / (n − 1) within the peer group (b = strictly better values);
              an optional floor rule, e.g. ``<70:4`` (below a national standard scores 4
              whatever its rank: ranked among all its peers first, then floored)
``banded``    fixed bands on the raw value, e.g. ``>=0:1; >-1:2; >-2:3; else:4``
``combined``  a lookup on the scores of two component metrics (the OF1080 finance matrix)
``supplied``  the 1–4 score is typed in (CQC ratings, scores against the trust's own plan)

Any metric also accepts a supplied score in its score-ID column (e.g. NHS England's published
OF1xxx score), which then takes precedence over the score computed from the raw value.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MethodologyError
from ..vocabulary import YES_WORDS
if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

    from .methodology import Methodology

__all__ = ["Metric", "Catalogue", "load_catalogue", "catalogue_from_rows", "SCORING_METHODS",
           "DOMAINS", "CATALOGUE_COLUMNS", "OPTIONAL_COLUMNS"]

SCORING_METHODS = ("ranked", "banded", "combined", "supplied")
PEER_GROUPS = ("type", "national")
DIRECTIONS = ("higher", "lower")
DOMAINS = (
    "Access to services",
    "Effectiveness and experience",
    "Patient safety",
    "People and workforce",
    "Finance and productivity",
)
CATALOGUE_COLUMNS = ("score_id", "value_id", "name", "domain", "direction", "scoring", "rule",
                     "peer_group", "types", "in_average", "plausible")
#: Columns a catalogue may leave out (older workbooks' Metrics sheets): their defaults apply.
OPTIONAL_COLUMNS = ("plausible",)
_ID = re.compile(r"^[A-Z]{2}\d{4}$")
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_RANGE = re.compile(rf"^{_NUMBER}\s+to\s+{_NUMBER}$", re.IGNORECASE)
_AT_LEAST = re.compile(rf"^{_NUMBER}\s+or\s+more$", re.IGNORECASE)
_BAND = re.compile(r"^\s*(>=|>|<=|<)\s*(-?\d+(?:\.\d+)?)\s*:\s*([1-4])\s*$")


@dataclass(frozen=True)
class Band:
    """``value <op> threshold`` gives ``score``; bands are tried in order."""

    op: str
    threshold: float
    score: float

    def matches(self, value: float) -> bool:
        return {">=": value >= self.threshold, ">": value > self.threshold,
                "<=": value <= self.threshold, "<": value < self.threshold}[self.op]

    def matches_array(self, values: "ArrayLike") -> "np.ndarray":
        """Elementwise :meth:`matches` (NaN never matches)."""
        ops = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}
        with np.errstate(invalid="ignore"):
            return np.asarray(ops[self.op](np.asarray(values, dtype=float), self.threshold))


@dataclass(frozen=True)
class Metric:
    score_id: str
    value_id: str | None
    name: str
    domain: str
    direction: str
    scoring: str
    peer_group: str
    types: tuple[str, ...]
    in_average: bool
    rule: str = ""
    bands: tuple[Band, ...] = ()
    else_score: float | None = None
    components: tuple[str, ...] = ()
    matrix: tuple[tuple[float, ...], ...] = ()
    observed: tuple[tuple[bool, ...], ...] = ()
    floor: tuple[Band, ...] = ()   # ranked: values matching a band score band.score
    #: the raw values that make sense (lowest, highest; None = no bound): "0 to 100" for a
    #: percentage, "0 or more" for a count or a rate. A value outside is a problem, not a score.
    plausible: tuple[float | None, float | None] = (None, None)

    @property
    def plausible_text(self) -> str:
        low, high = self.plausible
        if low is None and high is None:
            return ""
        if high is None:
            return f"{low:g} or more"
        return f"{low if low is not None else float('-inf'):g} to {high:g}"

    def is_plausible(self, value: float) -> bool:
        low, high = self.plausible
        return (low is None or value >= low) and (high is None or value <= high)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    def applies_to(self, org_type: str) -> bool:
        return org_type in self.types


@dataclass(frozen=True)
class Catalogue:
    year: str
    metrics: tuple[Metric, ...]

    def __post_init__(self) -> None:
        ids = [m.score_id for m in self.metrics]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise MethodologyError(f"metric catalogue lists {', '.join(sorted(dup))} more than once")
        for m in self.metrics:
            for c in m.components:
                if c not in ids:
                    raise MethodologyError(
                        f"metric {m.score_id} combines {c}, which is not in the catalogue"
                    )

    def __iter__(self) -> Iterator[Metric]:
        return iter(self.metrics)

    def __len__(self) -> int:
        return len(self.metrics)

    def __getitem__(self, score_id: str) -> Metric:
        for m in self.metrics:
            if m.score_id == score_id:
                return m
        raise KeyError(score_id)

    def __contains__(self, score_id: object) -> bool:
        return any(m.score_id == score_id for m in self.metrics)

    def by_column(self) -> dict[str, tuple[Metric, str]]:
        """Input column ID → (metric, "value" | "score")."""
        out: dict[str, tuple[Metric, str]] = {}
        for m in self.metrics:
            if m.value_id:
                out[m.value_id] = (m, "value")
            out[m.score_id] = (m, "score")
        return out

    def for_type(self, org_type: str) -> tuple[Metric, ...]:
        return tuple(m for m in self.metrics if m.applies_to(org_type))

    def with_metrics(self, extra: "list[Metric] | tuple[Metric, ...]") -> "Catalogue":
        return Catalogue(self.year, self.metrics + tuple(extra))

    def to_rows(self) -> list[dict[str, str]]:
        return [
            {"score_id": m.score_id, "value_id": m.value_id or "", "name": m.name,
             "domain": m.domain, "direction": m.direction, "scoring": m.scoring, "rule": m.rule,
             "peer_group": m.peer_group, "types": " ".join(m.types),
             "in_average": "yes" if m.in_average else "no", "plausible": m.plausible_text}
            for m in self.metrics
        ]


def _parse_bands(metric: str, rule: str) -> tuple[tuple[Band, ...], float]:
    bands: list[Band] = []
    else_score = None
    for part in (p for p in rule.split(";") if p.strip()):
        part = part.strip()
        if part.startswith("else"):
            try:
                else_score = float(part.split(":", 1)[1])
            except (IndexError, ValueError):
                else_score = None
            continue
        m = _BAND.match(part)
        if not m:
            raise MethodologyError(
                f"metric {metric}: band {part!r} is not like '>=0:1' (operator, threshold, score)"
            )
        bands.append(Band(m.group(1), float(m.group(2)), float(m.group(3))))
    if not bands or else_score is None:
        raise MethodologyError(
            f"metric {metric}: banded rule {rule!r} needs bands and an 'else:N' score, "
            "e.g. '>=0:1; >-1:2; >-2:3; else:4'"
        )
    return tuple(bands), else_score


def _parse_floor(metric: str, rule: str) -> tuple[Band, ...]:
    """A ranked metric's floor rule, e.g. ``<70:4``: matching values score 4 whatever their rank."""
    bands = []
    for part in (p for p in rule.split(";") if p.strip()):
        m = _BAND.match(part.strip())
        if not m:
            raise MethodologyError(
                f"metric {metric}: ranked rule {part.strip()!r} is not a floor like '<70:4' "
                "(values below 70 score 4 whatever their rank); leave the rule blank for none"
            )
        bands.append(Band(m.group(1), float(m.group(2)), float(m.group(3))))
    return tuple(bands)


def _parse_grid(metric: str, text: str, cast: Callable[[str], Any]) -> tuple[tuple[Any, ...], ...]:
    rows = [tuple(cast(x) for x in r.split()) for r in text.split("|")]
    if len(rows) != 4 or any(len(r) != 4 for r in rows):
        raise MethodologyError(f"metric {metric}: matrix {text!r} must be 4 rows of 4 scores")
    return tuple(rows)


def _parse_combined(metric: str, rule: str) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...],
                                                    tuple[tuple[Any, ...], ...]]:
    parts = dict(p.strip().split("=", 1) for p in rule.split(";") if "=" in p)
    try:
        components = tuple(parts["components"].split())
        matrix = _parse_grid(metric, parts["matrix"], float)
    except KeyError as exc:
        raise MethodologyError(
            f"metric {metric}: combined rule needs components=A B; matrix=...; missing {exc}"
        ) from None
    observed = (_parse_grid(metric, parts["observed"], lambda x: x == "1")
                if "observed" in parts else tuple((True,) * 4 for _ in range(4)))
    if len(components) != 2:
        raise MethodologyError(f"metric {metric}: a combined metric needs two components")
    return components, matrix, observed


def _parse_plausible(metric: str, text: str) -> tuple[float | None, float | None]:
    """``"0 to 100"`` → (0, 100); ``"0 or more"`` → (0, None); blank → no bounds."""
    text = text.lstrip("'")  # Excel's quote prefix, kept by hosts that do not hide it
    if not text:
        return (None, None)
    if m := _RANGE.match(text):
        low, high = float(m.group(1)), float(m.group(2))
        if low < high:
            return (low, high)
    elif m := _AT_LEAST.match(text):
        return (float(m.group(1)), None)
    raise MethodologyError(f"metric {metric}: plausible range {text!r} is not like '0 to 100' "
                           "or '0 or more' (leave it blank for no check)")


def _yes(value: str) -> bool:
    return str(value).strip().lower() in YES_WORDS


def metric_from_row(row: Mapping[str, Any], known_types: tuple[str, ...]) -> Metric:
    """One catalogue row (CSV or the workbook's Metrics sheet) → :class:`Metric`."""
    def get(key: str) -> str:
        value = row.get(key)
        return "" if value is None else str(value).strip()

    sid = get("score_id").upper()
    if not _ID.match(sid):
        raise MethodologyError(f"metric ID {sid!r} is not like OF1023")
    scoring = get("scoring").lower()
    if scoring not in SCORING_METHODS:
        raise MethodologyError(
            f"metric {sid}: scoring {scoring!r} is not one of {', '.join(SCORING_METHODS)}"
        )
    direction = get("direction").lower() or "lower"
    if direction not in DIRECTIONS:
        raise MethodologyError(f"metric {sid}: direction {direction!r} is not higher or lower")
    peer = get("peer_group").lower() or "type"
    if peer not in PEER_GROUPS:
        raise MethodologyError(f"metric {sid}: peer group {peer!r} is not type or national")
    types = tuple(get("types").replace(",", " ").split())
    bad = [t for t in types if t not in known_types]
    if bad or not types:
        raise MethodologyError(
            f"metric {sid}: types {get('types')!r} must be among {', '.join(known_types)}"
        )
    value_id = get("value_id").upper() or None
    if value_id and not _ID.match(value_id):
        raise MethodologyError(f"metric {sid}: value ID {value_id!r} is not like OF0023")
    if scoring in ("ranked", "banded") and not value_id:
        raise MethodologyError(f"metric {sid}: {scoring} scoring needs a value_id (e.g. OF0023)")
    rule = get("rule")
    extra: dict[str, Any] = {}
    if scoring == "banded":
        extra["bands"], extra["else_score"] = _parse_bands(sid, rule)
    elif scoring == "combined":
        extra["components"], extra["matrix"], extra["observed"] = _parse_combined(sid, rule)
    elif scoring == "ranked" and rule:
        extra["floor"] = _parse_floor(sid, rule)
    return Metric(score_id=sid, value_id=value_id, name=get("name") or sid,
                  domain=get("domain"), direction=direction, scoring=scoring, peer_group=peer,
                  types=types, in_average=_yes(get("in_average") or "yes"), rule=rule,
                  plausible=_parse_plausible(sid, get("plausible")), **extra)


def catalogue_from_rows(year: str, rows: Iterable[Mapping[str, Any]],
                        known_types: tuple[str, ...]) -> Catalogue:
    return Catalogue(year, tuple(metric_from_row(r, known_types) for r in rows))


def load_catalogue(methodology: "Methodology | None" = None) -> Catalogue:
    """The metric catalogue shipped for ``methodology`` (default: 2025/26)."""
    from .methodology import load_methodology

    meth = methodology or load_methodology()
    text = resources.files("xl_league.data").joinpath(meth.catalogue_file).read_text("utf-8")
    return catalogue_from_rows(meth.year, csv.DictReader(io.StringIO(text)), meth.types)
