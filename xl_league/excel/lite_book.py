"""xlwings Lite: run the workbook macros (:mod:`.macros`, :mod:`.whatif`) on a Lite book.

In xlwings Lite (Python in the browser, Pyodide) a script gets a ``book`` of xlwings' remote
engine: cell values arrive with the book, writes are queued as actions, but a number format
can only be read on demand and asynchronously (``await rng.get_number_format()``); reading
``rng.number_format`` raises ``NotImplementedError``. The macros are synchronous and read the
number formats of the input sheets (a value in a cell formatted as a percentage reads as the
percentage shown), so :func:`run` first fetches exactly those formats, then runs the macro
on a :class:`LiteBook` — the Lite book with its number formats answered from that cache::

    @script
    async def recalculate_league_tables(book: xw.Book):
        await lite_book.run(book, macros.recalculate)

The formats fetched are the ones :func:`.book_adapter.number_formats` asks for (one range per
sheet when the numbers share a format, a few more per change of format), found by running it
on the cache until it asks for nothing new. Problems go to the Problems sheet (as on the
desktop) and to the Lite console (``print``); Lite has no files a user can reach, so an
unexpected failure's traceback is printed too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..workbook_io.layout import INPUT_SHEETS
from .book_adapter import has_sheet, number_formats, sheet_values
from .log import log_path
from .macros import MacroReport

__all__ = ["LiteBook", "fetch_number_formats", "run", "report_to_console"]

#: (sheet name, address) → the number format (None: the range's cells do not share one).
Formats = dict[tuple[str, str], "str | None"]


def _key(sheet: str, address: str) -> tuple[str, str]:
    return sheet.casefold(), address.replace("$", "").upper()


class _NotFetched(Exception):
    """A number format the cache does not hold (while fetching: the next one to fetch)."""

    def __init__(self, sheet: str, address: str):
        super().__init__(f"the number format of '{sheet}'!{address} was not fetched from Excel "
                         "before the macro ran (xlwings Lite reads formats only on demand)")
        self.sheet, self.address = sheet, address


class _Wrapper:
    """Delegates everything to the wrapped xlwings object (reads and writes)."""

    def __init__(self, real: Any):
        object.__setattr__(self, "_real", real)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._real, name, value)


def _keep_apostrophe(value: Any) -> Any:
    """Excel takes a leading apostrophe for its quote prefix and drops it: text such as
    "'Acute inputs'!H3: ..." gets a second one so the cell shows it whole. (A quote prefix
    the macros add, before = + - @, is left as it is.)"""
    if isinstance(value, list):
        return [_keep_apostrophe(v) for v in value]
    if isinstance(value, str) and value[:1] == "'" and value[1:2] not in ("=", "+", "-", "@"):
        return "'" + value
    return value


class _Range(_Wrapper):
    def __init__(self, real: Any, sheet: str, address: str, formats: Formats):
        super().__init__(real)
        object.__setattr__(self, "_where", (sheet, address))
        object.__setattr__(self, "_formats", formats)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._real, name, _keep_apostrophe(value) if name == "value" else value)

    @property
    def number_format(self) -> str | None:
        key = _key(*self._where)
        if key not in self._formats:
            raise _NotFetched(*self._where)
        return self._formats[key]

    @number_format.setter
    def number_format(self, value: str) -> None:
        self._real.number_format = value  # a write: queued as an action, as usual


class _Sheet(_Wrapper):
    def __init__(self, real: Any, formats: Formats):
        super().__init__(real)
        object.__setattr__(self, "_formats", formats)

    def range(self, address: str, *more: Any) -> Any:
        real = self._real.range(address, *more)
        if more or not isinstance(address, str):
            return real
        return _Range(real, self._real.name, address, self._formats)


class _Sheets(_Wrapper):
    def __init__(self, real: Any, formats: Formats):
        super().__init__(real)
        object.__setattr__(self, "_formats", formats)

    def __getitem__(self, key: Any) -> _Sheet:
        return _Sheet(self._real[key], self._formats)

    def __iter__(self) -> Iterator[_Sheet]:
        return (_Sheet(s, self._formats) for s in self._real)

    def __len__(self) -> int:
        return len(self._real)

    def add(self, name: str | None = None, before: Any = None, after: Any = None) -> _Sheet:
        unwrap = lambda s: s._real if isinstance(s, _Sheet) else s  # noqa: E731
        return _Sheet(self._real.add(name, before=unwrap(before), after=unwrap(after)),
                      self._formats)


class LiteBook(_Wrapper):
    """A Lite ``book`` whose ``sheet.range(address).number_format`` reads are answered from
    formats fetched beforehand (:func:`fetch_number_formats`); everything else is the book."""

    def __init__(self, real: Any, formats: Formats):
        super().__init__(real)
        object.__setattr__(self, "_formats", formats)

    @property
    def sheets(self) -> _Sheets:
        return _Sheets(self._real.sheets, self._formats)


async def fetch_number_formats(book: Any, names: Iterable[str] | None = None) -> Formats:
    """Fetch (``await rng.get_number_format()``) every number format the macros will read on
    the sheets ``names`` (default: the input sheets), one on-demand read each."""
    formats: Formats = {}
    probe = LiteBook(book, formats)
    for name in names if names is not None else INPUT_SHEETS.values():
        if not has_sheet(book, name):
            continue
        values = sheet_values(book, name)
        while True:
            try:
                number_formats(probe, name, values)
                break
            except _NotFetched as missing:
                rng = book.sheets[missing.sheet].range(missing.address)
                formats[_key(missing.sheet, missing.address)] = await rng.get_number_format()
    return formats


def report_to_console(report: MacroReport) -> None:
    """The macro's summary, problems and warnings in the Lite console (the output pane)."""
    print(report.summary)
    for problem in report.problems:
        print(f"problem: {problem}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    if any(p.startswith("unexpected ") for p in report.problems):
        try:  # Lite has no log file a user can open: show the traceback here
            print(log_path().read_text(encoding="utf-8")[-4000:])
        except OSError:
            pass


async def run(book: Any, macro: Callable[..., MacroReport], *args: Any) -> MacroReport:
    """Run ``macro(book, *args)`` on the Lite ``book``: number formats fetched first, problems
    to the Problems sheet (the macro's own handling) and to the console."""
    formats = await fetch_number_formats(book)
    report = macro(LiteBook(book, formats), *args)
    report_to_console(report)
    return report
