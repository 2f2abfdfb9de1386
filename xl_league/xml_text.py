"""Escaping text for the XML xl-league writes into a workbook's parts.

:func:`escape` gives what :func:`xml.sax.saxutils.escape` gives, and :func:`unescape` reads
every entity and character reference back, without importing ``xml.sax.saxutils`` (which pulls
in ``urllib.request``, ``http.client`` and ``email``: ~30 ms of a recalculation's start-up).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape as _escape_markup
from html import unescape as _unescape_references

__all__ = ["escape", "unescape"]


def escape(text: str, entities: Mapping[str, str] | None = None) -> str:
    """``&``, ``<`` and ``>`` escaped, then each key of ``entities`` replaced by its value.

    >>> escape('A & B <NHS> "x"', {'"': "&quot;"})
    'A &amp; B &lt;NHS&gt; &quot;x&quot;'
    """
    out = _escape_markup(text, quote=False)
    for key, value in (entities or {}).items():
        out = out.replace(key, value)
    return out


def unescape(text: str) -> str:
    """Entity and character references replaced by the characters they stand for.

    >>> unescape("A &amp; B &lt;NHS&gt; &quot;x&quot; &#10;")
    'A & B <NHS> "x" \\n'
    """
    return _unescape_references(text)
