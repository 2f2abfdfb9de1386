"""The input vocabulary: the words and marks a user may type, read the same way everywhere.

Used by the workbook reader, the NHS England importer, the engine's flag parser and the Excel
worksheet functions, so a value means the same thing in a cell, in a CSV and in a formula's
range. Pure: no pandas, no openpyxl.

* **No value**: blank, ``-``, ``–`` (en dash), ``—`` (em dash), ``n/a``, ``na``, ``*``, ``..``
  (any case). Not a problem: the metric is simply not scored for that organisation.
* **Yes / No**: ``yes y true 1`` and ``no n false 0`` (any case).
* **Numbers typed as text** (one rule, :func:`text_number`): spaces (also non-breaking) and
  thousands commas are dropped and one trailing ``%`` is dropped, so ``" 62.5 "`` reads 62.5,
  ``"1,234"`` 1234 and ``"45%"`` 45 (metric values are in percent units). The reader says which
  cells it read this way; anything else that is not a number is a problem.
"""

from __future__ import annotations

import math
import re

from .errors import InputError

__all__ = ["QuarterError", "quarter_key", "MISSING_MARKERS", "YES_WORDS", "NO_WORDS", "FIXED_COLUMN_ALIASES", "is_missing_text",
           "yes_no", "text_number"]

MISSING_MARKERS = frozenset({"", "-", "\u2013", "\u2014", "n/a", "na", "*", ".."})
YES_WORDS = frozenset({"yes", "y", "true", "1", "1.0"})
NO_WORDS = frozenset({"no", "n", "false", "0", "0.0"})

#: Headings an input sheet may use for its fixed columns (any case).
FIXED_COLUMN_ALIASES = {
    "code": ("code", "ods code", "organisation code", "trust code", "trust_code"),
    "name": ("name", "organisation", "organisation name", "trust name", "trust_name"),
    "region": ("region",),
    "subtype": ("subtype", "sub-type", "trust subtype", "trust_subtype"),
    "in_deficit": ("in deficit", "deficit", "in_deficit"),
    "in_rsp": ("in rsp", "rsp", "in_rsp", "recovery support programme"),
}


def _clean(text: str) -> str:
    return text.replace("\u00a0", " ").strip()


def is_missing_text(text: str) -> bool:
    """True for the marks that mean "no value" (blank, ``-``, ``n/a``, ...)."""
    return _clean(text).lower() in MISSING_MARKERS


def yes_no(text: object) -> bool | None:
    """``Yes``/``No`` words → True/False; blank → None; anything else raises ValueError."""
    word = _clean(str(text)).lower()
    if word == "":
        return None
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise ValueError(f"{text!r} is not Yes or No")


def text_number(text: str) -> float | None:
    """A number typed as text, by the one rule above; None when it is not a number.

    >>> text_number(" 62.5 "), text_number("1,234"), text_number("45%"), text_number("abc")
    (62.5, 1234.0, 45.0, None)
    """
    cleaned = _clean(text).replace(",", "").replace(" ", "")
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1]
    if cleaned.lower() in ("nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"):
        return None
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class QuarterError(InputError, ValueError):
    """A quarter label that is not like ``Q2 2025/26``."""


_QUARTER = re.compile(r"^\s*Q([1-4])\s+(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*(?:\([^)]*\))?\s*$",
                      re.IGNORECASE)


def quarter_key(label: object) -> tuple[int, int]:
    """``"Q2 2025/26"`` → ``(2025, 2)``: the financial year it starts in, then the quarter, so
    quarters sort in time order (``Q2 2025-26``, ``q2 2025/2026`` and a note in brackets after
    it, as the demo's ``(synthetic)``, are read too). :class:`QuarterError` otherwise.

    >>> sorted(["Q1 2026/27", "Q2 2025/26", "Q1 2025/26"], key=quarter_key)
    ['Q1 2025/26', 'Q2 2025/26', 'Q1 2026/27']
    """
    m = _QUARTER.match(str(label or ""))
    if not m:
        raise QuarterError(f"{label!r} is not a quarter like Q2 2025/26")
    start, end = int(m.group(2)), int(m.group(3))
    if end % 100 != (start + 1) % 100 or (end >= 1000 and end != start + 1):
        raise QuarterError(f"{label!r}: {start}/{m.group(3)} is not a financial year like "
                           f"{start}/{(start + 1) % 100:02d}")
    return start, int(m.group(1))
