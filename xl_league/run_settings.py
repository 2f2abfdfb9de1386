"""A run's settings: what this run changes on top of the workbook's Settings sheet.

One frozen, validated value (:class:`RunSettings`) with one parser for each setting, used by
every command, macro and analysis. A recalculation records the settings it used on the About
sheet as key/value rows (:meth:`RunSettings.about_rows`); every later reader takes them back
with :meth:`RunSettings.from_about_rows` so it shows what the recalculation wrote, unless the
user overrides again (:meth:`RunSettings.over`).

Light on purpose (no pandas, no openpyxl): the command line imports it to parse options.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import XlLeagueError

if TYPE_CHECKING:  # pragma: no cover
    from .engine.methodology import Methodology

__all__ = ["RunSettings", "SettingError", "parse_cut_points", "parse_replicates", "parse_seed",
           "ABOUT_KEYS"]

#: The About sheet's rows recording a run's settings (key in column A, value in column B).
ABOUT_KEYS = {"cut_points": "Run cut-points", "replicates": "Run replicates",
              "seed": "Run seed"}
_EXAMPLE = "e.g. 2.05,2.33,2.62"


class SettingError(XlLeagueError, ValueError):
    """A setting that cannot be used; the message names the value and what was expected."""


def parse_cut_points(text: object) -> tuple[float, float, float]:
    """``"2.05,2.33,2.62"`` (or a sequence of three numbers) → ``(2.05, 2.33, 2.62)``.

    Three finite, increasing average metric scores between 1 (best) and 4 (worst).
    """
    parts = [p.strip() for p in text.split(",")] if isinstance(text, str) else list(text)  # type: ignore[call-overload]
    try:
        cuts = tuple(float(p) for p in parts)
    except (TypeError, ValueError):
        raise SettingError(f"{text!r}: give three numbers, {_EXAMPLE}") from None
    if len(cuts) != 3:
        raise SettingError(f"{text!r}: give three increasing numbers, {_EXAMPLE}")
    if not all(math.isfinite(c) and 1.0 <= c <= 4.0 for c in cuts):
        raise SettingError(f"{text!r}: cut-points are average metric scores, between 1 "
                           f"(best) and 4 (worst), {_EXAMPLE}")
    if not cuts[0] < cuts[1] < cuts[2]:
        raise SettingError(f"{text!r}: give three increasing numbers, {_EXAMPLE}")
    return (cuts[0], cuts[1], cuts[2])


def _whole(value: object, what: str, example: str) -> int:
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingError(f"{value!r} is not a whole number for {what}: {example}") from None
    if not (math.isfinite(number) and number.is_integer() and number >= 0):
        raise SettingError(f"{value!r} is not a whole number of 0 or more for {what}: "
                           f"{example}")
    return int(number)


def parse_replicates(value: object) -> int:
    """Bootstrap replicates for the likely ranges: 0 (off) up to the methodology's maximum."""
    from .engine.methodology import MAX_REPLICATES

    n = _whole(value, "replicates", "e.g. 2000 (0 turns the likely ranges off)")
    if n > MAX_REPLICATES:  # the methodology's own words for the same limit
        raise SettingError(f"bootstrap replicates {n} must be 0 (off) or more, and at most "
                           f"{MAX_REPLICATES:,} (2,000 is usual; every replicate of every "
                           "organisation is kept in memory until its percentiles are taken)")
    return n


def parse_seed(value: object) -> int:
    """The bootstrap seed: a whole number of 0 or more."""
    return _whole(value, "seed", "e.g. 2025")


@dataclass(frozen=True)
class RunSettings:
    """What this run overrides on top of the workbook's Settings (``None`` = the workbook's).

    Built through the parsers, so an instance is always valid::

        >>> RunSettings.parse(cut_points="2.05,2.33,2.62", replicates="0")
        RunSettings(cut_points=(2.05, 2.33, 2.62), replicates=0, seed=None)
    """

    cut_points: tuple[float, float, float] | None = None
    replicates: int | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.cut_points is not None:
            object.__setattr__(self, "cut_points", parse_cut_points(self.cut_points))
        if self.replicates is not None:
            object.__setattr__(self, "replicates", parse_replicates(self.replicates))
        if self.seed is not None:
            object.__setattr__(self, "seed", parse_seed(self.seed))

    @classmethod
    def parse(cls, *, cut_points: object = None, replicates: object = None,
              seed: object = None) -> "RunSettings":
        """From typed text (blank = not overridden); raises :class:`SettingError`."""
        def given(v: object) -> object:
            return None if v is None or (isinstance(v, str) and not v.strip()) else v
        return cls(given(cut_points), given(replicates), given(seed))  # type: ignore[arg-type]

    @property
    def empty(self) -> bool:
        return self == RunSettings()

    def over(self, base: "RunSettings") -> "RunSettings":
        """These settings where given, ``base``'s (e.g. the recorded ones) elsewhere."""
        return RunSettings(*(mine if mine is not None else theirs
                             for mine, theirs in zip(dataclasses.astuple(self),
                                                     dataclasses.astuple(base))))

    def apply(self, methodology: "Methodology") -> "Methodology":
        """The methodology of this run: the workbook's, with these settings on top."""
        changes: dict[str, object] = {}
        if self.cut_points is not None:
            changes["cut_points"] = self.cut_points
        if self.replicates is not None:
            changes["bootstrap_replicates"] = self.replicates
        if self.seed is not None:
            changes["bootstrap_seed"] = self.seed
        return methodology.with_settings(**changes) if changes else methodology

    def about_rows(self) -> list[tuple[str, object]]:
        """Key/value rows for the About sheet; a blank value means "the workbook's Settings"."""
        cuts = (", ".join(f"{round(c, 6):g}" for c in self.cut_points)
                if self.cut_points is not None else None)
        return [(ABOUT_KEYS["cut_points"], cuts), (ABOUT_KEYS["replicates"], self.replicates),
                (ABOUT_KEYS["seed"], self.seed)]

    @classmethod
    def from_about_rows(cls, rows: Iterable[tuple[object, object]]) -> "RunSettings":
        """The settings recorded by :meth:`about_rows`; an edited, unreadable value is ignored
        (the workbook's Settings apply to it)."""
        by_key = {v: k for k, v in ABOUT_KEYS.items()}
        found: dict[str, object] = {}
        for key, value in rows:
            name = by_key.get(str(key).strip()) if key is not None else None
            if name is None or value is None or not str(value).strip():
                continue
            try:
                found[name] = getattr(cls.parse(**{name: value}), name)
            except SettingError:
                continue
        return cls(**found)  # type: ignore[arg-type]
