"""Per-organisation packs: one plain ``.xlsx`` per trust, to send out.

A pack opens on a locked-down laptop with no Python, no macros and no add-in (Excel 2010 or
later): values, native charts and native formulas only. Sheets::

    Summary       position, average, segments, override, likely ranges, distance to the next
                  segment, national cut-points, domain scores against peers, two charts
    Trend         with ``history``: position, average with its likely range and segments per
                  quarter, two charts
    Metrics       every metric: raw value, score, peer quartiles, rank in the peer group, chart
    League table  the type's league table (values; peers' detail optional)
    What-if       type new scores / flip the deficit flag: live average, segments, position

>>> from xl_league.packs import pack_filename
>>> pack_filename("RX1", 'Fictional "City" Hospitals NHS Foundation Trust')
'RX1 - Fictional City Hospitals NHS FT.xlsx'

Speed: one pack per type is built by openpyxl; the type's other packs are clones of it with
their own cells patched in (``clone.py``), the same content at a fraction of the cost; on
Linux with two cores or more, 40 packs or more are shared out among forked workers.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import chain
from pathlib import Path

from openpyxl import Workbook

from ..engine import LeagueTables
from ..errors import InputError, WorkbookError
from ..workbook_io.files import atomic_write
from .content import (LEAGUE_PUBLISHED, PackContent, RunFigures, domain_peer_medians,
                      league_rows, pack_content, peer_statistics)
from .sheets import (SHEET_LEAGUE, SHEET_METRICS, SHEET_SUMMARY, SHEET_WHATIF, add_styles,
                     write_league, write_metrics, write_summary)
from .clone import CloneMismatch, PackTemplate, make_template
from .recorder import BookRecorder
from .trend import SHEET_TREND, TrendRow, order_quarters, trend_rows, write_trend
from .whatif_formulas import write_whatif

__all__ = ["write_packs", "pack_filename", "build_pack", "SHEET_SUMMARY", "SHEET_METRICS",
           "SHEET_LEAGUE", "SHEET_WHATIF", "SHEET_TREND", "record_pack", "sheet_titles"]

_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_ABBREVIATIONS = ((r"\bNHS Foundation Trust\b", "NHS FT"), (r"\bFoundation Trust\b", "FT"),
                  (r"\bIntegrated Care Board\b", "ICB"), (r"\s+", " "))
_MAX_NAME = 80  # whole names (abbreviated): cut only past 80 characters, at a word
LEAGUE_AVERAGE_INDEX = [k for k, _ in LEAGUE_PUBLISHED].index("average_score")


def pack_filename(code: str, name: str) -> str:
    """``"CODE - Short Name.xlsx"``: Windows-safe, the name abbreviated and cut at a word."""
    safe_code = _FORBIDDEN.sub("", str(code)).strip(" .") or "pack"
    short = _FORBIDDEN.sub(" ", str(name or ""))
    for pattern, repl in _ABBREVIATIONS:
        short = re.sub(pattern, repl, short)
    short = short.strip()
    if len(short) > _MAX_NAME:
        cut = short[:_MAX_NAME + 1].rsplit(" ", 1)[0]
        short = cut if len(cut) >= _MAX_NAME // 2 else short[:_MAX_NAME]
    short = short.strip(" .")
    return f"{safe_code} - {short}.xlsx" if short else f"{safe_code}.xlsx"


def sheet_titles(trend: bool) -> list[str]:
    """The pack's sheets in order (a Trend sheet after the Summary with ``--history``)."""
    return [SHEET_SUMMARY] + ([SHEET_TREND] if trend else []) + [SHEET_METRICS, SHEET_LEAGUE,
                                                                 SHEET_WHATIF]


def lay_out(wb, sheets: dict, content: PackContent, league: list[list], *,
            include_peer_detail: bool = True, league_body: bool = True,
            trend: list[TrendRow] | None = None) -> None:
    """Write the pack's sheets (``sheets``: title → sheet, see :func:`sheet_titles`) on
    ``wb`` — an openpyxl workbook, or a :class:`~.recorder.BookRecorder`."""
    league_ws = sheets[SHEET_LEAGUE]
    blocks = write_league(wb, league_ws, content, league, include_peer_detail, body=league_body)
    write_metrics(wb, sheets[SHEET_METRICS], content)
    write_whatif(wb, sheets[SHEET_WHATIF], content)
    if trend is not None:
        write_trend(wb, sheets[SHEET_TREND], content, trend)
    averages = [row[LEAGUE_AVERAGE_INDEX] for row in league
                if row[LEAGUE_AVERAGE_INDEX] is not None]
    write_summary(wb, sheets[SHEET_SUMMARY], content, league_ws, blocks,
                  (min(averages), max(averages)) if averages else None,
                  trend_quarters=len(trend) if trend is not None else None)


def document_properties(wb_properties, content: PackContent) -> None:
    wb_properties.title = f"NHS Oversight Framework {content.year}: {content.name}"
    wb_properties.creator = "xl-league"
    wb_properties.subject = f"{content.code} {content.type_label} pack"


def build_pack(content: PackContent, league: list[list], *, include_peer_detail: bool = True,
               trend: list[TrendRow] | None = None) -> Workbook:
    """The pack workbook for one organisation (``league`` = its type's :func:`league_rows`;
    ``trend`` = its :func:`~.trend.trend_rows`, for a Trend sheet)."""
    wb = Workbook()
    add_styles(wb)
    titles = sheet_titles(trend is not None)
    wb.active.title = titles[0]
    sheets = {titles[0]: wb.active} | {t: wb.create_sheet(t) for t in titles[1:]}
    lay_out(wb, sheets, content, league, include_peer_detail=include_peer_detail, trend=trend)
    document_properties(wb.properties, content)
    return wb


def record_pack(content: PackContent, league: list[list], *, include_peer_detail: bool = True,
                trend: list[TrendRow] | None = None) -> BookRecorder:
    """What :func:`build_pack` would write, recorded (all but the league table's rows)."""
    book = BookRecorder()
    sheets = {t: book.create_sheet(t) for t in sheet_titles(trend is not None)}
    lay_out(book, sheets, content, league, include_peer_detail=include_peer_detail,
            league_body=False, trend=trend)
    return book


def _write_bytes(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def _save_atomic(pack: Workbook | bytes, path: Path) -> None:
    """Through the one atomic save (:func:`~xl_league.workbook_io.files.atomic_write`):
    never a half-written pack, and a pack open in Excel is not replaced."""
    if isinstance(pack, bytes):
        atomic_write(path, lambda tmp: _write_bytes(tmp, pack))
    else:
        atomic_write(path, pack.save)


def _check_codes(results: LeagueTables, codes: Iterable[str] | None) -> list[str]:
    known = list(results.league.index)
    if codes is None:
        return known
    wanted = [str(c).strip() for c in codes]
    missing = [c for c in wanted if c not in results.league.index]
    if missing:
        raise InputError(f"no organisation with code {missing[0]!r} in the results: use codes "
                         f"from the inputs, e.g. {', '.join(known[:3])}", organisation=missing[0])
    return list(dict.fromkeys(wanted))


def write_packs(results: LeagueTables, out_dir: Path, *, codes: list[str] | None = None,
                include_peer_detail: bool = True, quarter: str | None = None,
                progress: Callable[[int, int], None] | None = None,
                clone: bool = True,
                history: Sequence[tuple[str, LeagueTables]] | None = None) -> list[Path]:
    """Write one pack per organisation (or per ``codes``) into ``out_dir``; return the paths.

    ``include_peer_detail=False`` leaves other organisations' detail out of the league table
    (only position, code, name, average metric score, segment and final segment remain).
    ``quarter`` (e.g. ``"Q2 2025/26"``) is shown in titles. ``progress(done, total)`` is called
    after each pack. Each file is written atomically (temporary file, then replace).

    ``clone=True`` builds one pack per type with openpyxl and clones it for the type's other
    organisations, patching in their own cells (``clone.py``: the same content, ~10× faster);
    a pack laid out differently from its template is built with openpyxl. ``clone=False``
    builds every pack with openpyxl.

    ``history``: earlier quarters as ``(quarter, results)`` (e.g. ``("Q1 2025/26", q1)``);
    each pack then has a Trend sheet with the organisation's position, average metric score
    with its likely range, segment and final segment per quarter, and two charts. The
    quarters, ``quarter`` (this book's) among them, are put in time order by their labels.
    """
    todo = _check_codes(results, codes)
    quarters = None
    if history is not None:
        if not quarter:
            raise InputError("a trend needs this workbook's quarter: type it on the Settings "
                             "sheet (e.g. Q2 2025/26)")
        quarters = order_quarters([*history, (quarter, results)])
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkbookError(f"cannot create the output folder {str(out)!r}: {exc.strerror}") from None
    stats = peer_statistics(results)
    job = _PackJob(results, out, stats, domain_peer_medians(results), quarter, quarters,
                   include_peer_detail, clone)
    # the first pack of each type is built here (its type's template for the others to clone)
    first = {results.league.at[code, "type"]: code for code in reversed(todo)}
    firsts = [code for code in todo if first[results.league.at[code, "type"]] == code]
    rest = [code for code in todo if code not in set(firsts)]
    written: dict[str, Path] = {}
    for done, (code, path) in enumerate(chain(((c, job.write(c)) for c in firsts),
                                              zip(rest, job.write_all(rest))), start=1):
        written[code] = path
        if progress is not None:
            progress(done, len(todo))
    return [written[code] for code in todo]


#: Fewer packs than this are written in this process: starting workers would cost more.
_POOL_MINIMUM = 40
#: The job the pool's workers inherit when forked (set only while the pool runs).
_FORKED_JOB: "_PackJob | None" = None


class _PackJob:
    """Everything a pack needs from this run, and the per-type templates and league rows built
    so far; :meth:`write` writes one organisation's pack."""

    def __init__(self, results: LeagueTables, out: Path, stats, domain_medians,
                 quarter: str | None, quarters, include_peer_detail: bool, clone: bool):
        self.results, self.out, self.stats = results, out, stats
        self.domain_medians, self.quarter, self.quarters = domain_medians, quarter, quarters
        self.include_peer_detail, self.clone = include_peer_detail, clone
        self.figures = RunFigures(results, stats, domain_medians)
        self.leagues: dict[str, list[list]] = {}
        self.templates: dict[str, PackTemplate | None] = {}

    def write(self, code: str) -> Path:
        content = pack_content(self.results, code, self.stats, self.domain_medians,
                               quarter=self.quarter, figures=self.figures)
        org_type = content.org_type
        if org_type not in self.leagues:
            self.leagues[org_type] = league_rows(self.results, org_type,
                                                 self.include_peer_detail)
        league = self.leagues[org_type]
        trend = trend_rows(code, org_type, self.quarters) if self.quarters is not None else None
        pack = _cloned(self.templates.get(org_type), content, league, self.include_peer_detail,
                       trend) if self.clone else None
        if pack is None:
            pack = build_pack(content, league, include_peer_detail=self.include_peer_detail,
                              trend=trend)
            if self.clone and org_type not in self.templates:
                pack = _saved(pack)
                self.templates[org_type] = _template(pack, content, league,
                                                     self.include_peer_detail, trend)
        path = self.out / pack_filename(code, content.name)
        _save_atomic(pack, path)
        return path

    def write_all(self, codes: list[str]) -> Iterable[Path]:
        """The packs of ``codes``, in order: on every core this process may use where the
        operating system can fork it (Linux) and there are enough packs to share out, each
        worker starting from this job as it is (its templates built); here otherwise."""
        workers = _pool_workers(len(codes))
        if not workers:
            return (self.write(code) for code in codes)
        return self._forked(codes, workers)

    def _forked(self, codes: list[str], workers: int) -> Iterable[Path]:
        global _FORKED_JOB
        _FORKED_JOB = self
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                yield from pool.map(_write_forked, codes,
                                    chunksize=max(1, len(codes) // (4 * workers)))
        finally:
            _FORKED_JOB = None


def _write_forked(code: str) -> Path:
    assert _FORKED_JOB is not None, "a pack worker started without its job"
    return _FORKED_JOB.write(code)


def _pool_workers(packs: int) -> int:
    """Worker processes for ``packs`` packs: one per core (up to 8) on Linux with two cores or
    more and at least :data:`_POOL_MINIMUM` packs; none otherwise (on Windows and macOS a
    worker would start a fresh Python and import pandas again: ~1 s each)."""
    if packs < _POOL_MINIMUM or not sys.platform.startswith("linux"):
        return 0
    cores = len(os.sched_getaffinity(0))
    return min(8, cores) if cores >= 2 else 0


def _saved(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _template(saved: bytes, content: PackContent, league: list[list],
              include_peer_detail: bool, trend: list[TrendRow] | None) -> PackTemplate | None:
    try:
        return make_template(saved, record_pack(content, league, trend=trend,
                                                include_peer_detail=include_peer_detail),
                             content)
    except CloneMismatch:
        return None


def _cloned(template: PackTemplate | None, content: PackContent, league: list[list],
            include_peer_detail: bool, trend: list[TrendRow] | None) -> bytes | None:
    """The pack cloned from its type's template, or None (no template, or laid out otherwise)."""
    if template is None:
        return None
    try:
        return template.clone(record_pack(content, league, trend=trend,
                                          include_peer_detail=include_peer_detail), content)
    except CloneMismatch:
        return None

