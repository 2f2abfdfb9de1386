"""Hostile input: entity and zip bombs, oversized sheets, formula injection in names, a recalc
killed while saving, files that cannot be written, and a workbook open in Excel.

Each case runs through the command line (click's CliRunner with ``catch_exceptions=False``, so
anything but a clean exit fails the test) and checks the user's file is byte-identical after a
refusal. The bombs' memory bound is checked in a child process limited to 512 MB of address
space: expanding either bomb would need gigabytes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import resource
import signal
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from click.testing import Result
from openpyxl import load_workbook

from cli_helpers import run as run_cli
from workbook_helpers import CODES, edit_part, filled_workbook, sample_organisations, sheet_part
from xl_league.run import open_run
from xl_league.packs import write_packs
from xl_league.workbook_io import safety
from xl_league.workbook_io.layout import LEAGUE_SHEETS, METRIC_SCORES_SHEET
from xl_league.workbook_io.safety import ENTITIES_REFUSED

PLAIN_ENV = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None,
             "COLUMNS": "200", "NO_COLOR": "1"}
MEMORY_LIMIT = 512 << 20  # address space of the child processes: enough for xl-league


def run(*args) -> Result:
    """``xl-league ARGS`` in-process, 200 columns; any exception fails the test."""
    return run_cli(*args, env=PLAIN_ENV)


def refused(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.strip() == f"Error: {message}"


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.fixture
def book(tmp_path) -> Path:
    return filled_workbook(tmp_path)


# --------------------------------------------------------------------------- entity bombs

#: "Billion laughs": ten entities, each ten of the one before: 10**9 x "lol" when expanded.
BILLION_LAUGHS = (b'<!DOCTYPE lolz [\n <!ENTITY lol0 "lol">\n'
                  + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, b"&lol%d;" % (i - 1) * 10)
                             for i in range(1, 10))
                  + b"]>\n")


def plant_bomb(path: Path, part: str) -> None:
    """Put the DOCTYPE before ``part``'s root element and ``&lol9;`` just inside it."""
    def edit(data: bytes) -> bytes:
        prolog = b""
        if data.startswith(b"<?xml"):
            end = data.index(b"?>") + 2
            prolog, data = data[:end] + b"\n", data[end:].lstrip()
        root = re.search(rb"<[A-Za-z][^>]*?(/?)>", data)
        if root.group(1):
            return prolog + BILLION_LAUGHS + data
        return prolog + BILLION_LAUGHS + data[:root.end()] + b"&lol9;" + data[root.end():]
    edit_part(path, part, edit)


BOMB_PARTS = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/styles.xml",
              "xl/theme/theme1.xml", "xl/tables/table1.xml", "sheet:Acute inputs",
              "sheet:Acute league table"]


def part_name(path: Path, part: str) -> str:
    return sheet_part(path, part[6:]) if part.startswith("sheet:") else part


@pytest.mark.parametrize("part", BOMB_PARTS)
def test_an_entity_bomb_is_refused_before_any_xml_is_parsed(book, part, monkeypatch):
    plant_bomb(book, part_name(book, part))
    before = book.read_bytes()

    def no_parsing(*args, **kwargs):
        raise AssertionError("openpyxl was asked to parse a workbook with an entity bomb")

    monkeypatch.setattr("xl_league.workbook_io.cells.load_workbook", no_parsing)
    message = ENTITIES_REFUSED.format(p=book)
    result = run("check", book)
    assert result.exit_code == 1 and result.output.strip() == message
    refused(run("recalc", book), message)
    refused(run("table", book, "--type", "acute"), message)
    assert book.read_bytes() == before


def _child(args: list[str], code: str = "") -> subprocess.CompletedProcess:
    """``xl-league ARGS`` in a child process with at most 512 MB of address space."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    script = code + "\nfrom xl_league.cli import main\nmain()"
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          text=True, timeout=120, preexec_fn=limit)


@pytest.mark.parametrize("guard", ["doctype scan", "defusedxml alone"])
def test_an_entity_bomb_fits_in_bounded_memory(book, guard):
    """The DOCTYPE scan refuses first; without it, defusedxml (openpyxl's parser) refuses."""
    plant_bomb(book, sheet_part(book, "Acute inputs"))
    bypass = ("import xl_league.workbook_io.safety as s\n"
              "s._check_no_doctype = lambda *args: None" if guard == "defusedxml alone" else "")
    for command in (["check", str(book)], ["recalc", str(book)]):
        proc = _child(command, bypass)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
        assert ENTITIES_REFUSED.format(p=book) in (proc.stdout + proc.stderr).replace("\n", " ")


# --------------------------------------------------------------------------- zip bombs

def _forge_size(path: Path, part: str, size: int) -> None:
    """Rewrite the uncompressed size zip's central directory records for ``part``."""
    data = bytearray(path.read_bytes())
    name = part.encode()
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46:at + 46 + name_len]) == name:
            struct.pack_into("<I", data, at + 24, size)
            break
        at += 4
    else:
        raise AssertionError(f"{part} not in {path}")
    path.write_bytes(bytes(data))


def test_a_part_declaring_gigabytes_is_refused_before_inflating(book, monkeypatch):
    _forge_size(book, sheet_part(book, "Acute inputs"), 3_000_000_000)
    before = book.read_bytes()

    def no_inflating(*args, **kwargs):
        raise AssertionError("a part of the zip bomb was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_inflating)
    with zipfile.ZipFile(book) as zf:
        total = sum(i.file_size for i in zf.infolist())
    message = (f"{book} would unpack to {total / 2**20:.0f} MB, more than the 200 MB limit: "
               "refusing to open it")
    assert total > 3_000_000_000
    assert [line for line in run("check", book).output.splitlines()
            if not line.startswith("warning: ")] == [message]
    refused(run("recalc", book), message)
    assert book.read_bytes() == before


def test_a_part_compressed_beyond_any_real_sheet_is_refused(book):
    part = sheet_part(book, "Acute inputs")
    edit_part(book, part, lambda data: data + b" " * (30 << 20))  # 30 MB of spaces: ~1000:1
    before = book.read_bytes()
    message = (f"{book}: part {part} is compressed more than 200 to 1, as a zip bomb is: "
               "refusing to open it")
    refused(run("recalc", book), message)
    assert [line for line in run("check", book).output.splitlines()
            if not line.startswith("warning: ")] == [message]
    assert book.read_bytes() == before


def test_a_part_that_lies_about_its_size_inflates_no_further_than_it_says(book):
    """Declared 2 KB, holding 40 MB: zipfile stops at 2 KB and the CRC check fails."""
    part = sheet_part(book, "Acute inputs")
    edit_part(book, part, lambda data: data + b" " * (40 << 20))
    _forge_size(book, part, 2048)
    tracemalloc.start()
    try:
        result = run("check", book)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 1
    assert result.output.strip() == (f"{book} is damaged or not an Excel workbook (Bad CRC-32 "
                                      f"for file '{part}'): open it in Excel and save it as "
                                      ".xlsx")
    assert peak < 20 << 20


def test_a_zip_of_too_many_parts_is_refused(tmp_path):
    bomb = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(bomb, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(safety.MAX_ENTRIES):
            zf.writestr(f"xl/media/p{i}.bin", b"")
    message = (f"{bomb} has {safety.MAX_ENTRIES + 1} parts, more than the "
               f"{safety.MAX_ENTRIES} a workbook plausibly needs: refusing to open it")
    assert run("check", bomb).output.strip() == message


# --------------------------------------------------------------------------- size limits

def _rows_xml(first: int, last: int) -> str:
    return "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>X{r}</t></is></c>'
                   f'<c r="B{r}" t="inlineStr"><is><t>Trust {r}</t></is></c>'
                   f'<c r="G{r}"><v>{60 + r % 30}</v></c></row>' for r in range(first, last + 1))


def test_100000_organisation_rows_are_refused_at_once(book, monkeypatch):
    part = sheet_part(book, "Acute inputs")

    def grow(data: bytes) -> bytes:
        text = data.decode()
        text = text.replace("</sheetData>", _rows_xml(10, 100_001) + "</sheetData>")
        return re.sub(r'<dimension ref="A1:([A-Z]+)\d+"', r'<dimension ref="A1:\g<1>100001"',
                      text).encode()

    edit_part(book, part, grow)
    before = book.read_bytes()
    monkeypatch.setattr("xl_league.workbook_io.cells.load_workbook", pytest.fail)
    message = ("'Acute inputs' uses 100,000 rows below its headings (to row 100,001), more than "
               "the 20,000 organisations xl-league reads from one input sheet: delete the rows "
               "that are not organisations (rows that look empty but were formatted count too: "
               "select them and delete the rows), or split the organisations between workbooks")
    assert [line for line in run("check", book).output.splitlines()
            if not line.startswith("warning: ")] == [message]
    refused(run("recalc", book), message)
    assert book.read_bytes() == before


def test_the_row_limit_is_inclusive(book, monkeypatch):
    monkeypatch.setattr(safety, "MAX_ORGANISATION_ROWS", len(CODES))
    assert run("check", book).exit_code == 0
    monkeypatch.setattr(safety, "MAX_ORGANISATION_ROWS", len(CODES) - 1)
    assert run("check", book).output.startswith(
        f"'Acute inputs' uses {len(CODES)} rows below its headings")


def test_1000_metric_columns_are_refused(book):
    wb = load_workbook(book)
    ws = wb["Acute inputs"]
    for col in range(8, 1001):
        ws.cell(row=1, column=col, value=f"ZZ{col:04d}")
        ws.cell(row=2, column=col, value=1.0)
    wb.save(book)
    before = book.read_bytes()
    message = ("'Acute inputs' uses 1,000 columns, more than the 500 xl-league reads from one "
               "input sheet (6 organisation columns and one or two per metric are needed): "
               "delete the columns that are not inputs")
    assert [line for line in run("check", book).output.splitlines()
            if not line.startswith("warning: ")] == [message]
    refused(run("recalc", book), message)
    assert book.read_bytes() == before


def test_a_workbook_asking_for_a_trillion_resamples_is_refused(tmp_path):
    book = filled_workbook(tmp_path, settings={"bootstrap_replicates": 10**12})
    before = book.read_bytes()
    message = ("'Settings' sheet: bootstrap replicates 1000000000000 must be 0 (off) or more, "
               "and at most 100,000 (2,000 is usual; every replicate of every organisation is "
               "kept in memory until its percentiles are taken)")
    assert [line for line in run("check", book).output.splitlines()
            if not line.startswith("warning: ")] == [message]
    refused(run("recalc", book), f"{message}\n{book} was not recalculated and is unchanged: "
                                 "1 problem to correct first")
    assert book.read_bytes() == before


def test_too_many_resamples_on_the_command_line_are_refused(book):
    before = book.read_bytes()
    result = run("recalc", book, "--replicates", 100_001)
    assert result.exit_code == 1
    assert "bootstrap replicates 100001 must be 0 (off) or more, and at most 100,000" in (
        result.stderr)
    assert book.read_bytes() == before


def test_a_value_with_line_breaks_is_one_line_of_check(book):
    wb = load_workbook(book)
    wb["Acute inputs"]["G3"] = "62\n=cmd\t" + "x" * 500
    wb.save(book)
    result = run("check", book)
    assert result.exit_code == 1
    shown = ("62\\n=cmd\\t" + "x" * 500)[:99] + "…"
    assert [line for line in result.output.splitlines() if not line.startswith("warning: ")] == [
        f"'Acute inputs'!G3: '{shown}' is not a number for OF0023 (Percentage of patients "
        "waiting 18 weeks or less for treatment (RTT)): type a number or leave it blank"]


# --------------------------------------------------------------------------- formula injection

INJECTED = ['=HYPERLINK("http://x","click")', "@SUM(1)", "+cmd|' /C calc'!A0", "-2+3",
            "=1+1"]


def _type_as_text(path: Path, cells: dict[tuple[str, str], str]) -> None:
    """Text typed with Excel's leading apostrophe: a text cell, however it starts."""
    wb = load_workbook(path)
    for (sheet, ref), text in cells.items():
        cell = wb[sheet][ref]
        cell.value = text
        cell.data_type = "s"
    wb.save(path)


@pytest.fixture
def injected(tmp_path) -> Path:
    path = filled_workbook(tmp_path, name="injected.xlsx")
    _type_as_text(path, {("Acute inputs", f"B{r}"): name for r, name in enumerate(INJECTED, 2)})
    return path


def _names() -> dict[str, str]:
    return dict(zip(CODES, INJECTED))


def test_csv_neutralises_names_a_spreadsheet_would_run(injected):
    result = run("table", injected, "--type", "acute", "--format", "csv")
    assert result.exit_code == 0
    rows = {r["code"]: r["name"] for r in csv.DictReader(io.StringIO(result.stdout))}
    for code, name in _names().items():
        assert rows[code] == "'" + name
    assert rows[CODES[-1]] == f"Northshire Hospitals {len(CODES)}"  # ordinary names untouched


def test_json_keeps_names_as_data(injected):
    result = run("table", injected, "--type", "acute", "--format", "json")
    names = {r["code"]: r["name"] for r in json.loads(result.stdout)}
    assert {c: names[c] for c in _names()} == _names()


def test_text_output_prints_names_as_typed(injected):
    result = run("table", injected, "--type", "acute")
    assert result.exit_code == 0
    for name in INJECTED:
        assert name in result.stdout


def _formula_cells(path: Path) -> list[tuple[str, str, str]]:
    wb = load_workbook(path)
    return [(ws.title, c.coordinate, str(c.value)) for ws in wb for row in ws.iter_rows()
            for c in row if c.data_type == "f"]


def test_recalc_writes_names_as_text_not_formulas(injected):
    assert run("recalc", injected).exit_code == 0
    assert [f for f in _formula_cells(injected) if f[0] in (*LEAGUE_SHEETS.values(),
                                                            METRIC_SCORES_SHEET)] == []
    wb = load_workbook(injected)
    names = [c.value for c in wb["Acute league table"]["C"][1:len(CODES) + 1]]
    assert sorted(names) == sorted([*INJECTED, *[f"Northshire Hospitals {i}" for i in (6, 7, 8)]])


def test_an_import_types_names_as_text(tmp_path):
    orgs = sample_organisations()
    orgs.loc[:len(INJECTED) - 1, "name"] = INJECTED
    path = filled_workbook(tmp_path, organisations=orgs)
    assert run("check", path).exit_code == 0
    wb = load_workbook(path)
    assert [wb["Acute inputs"][f"B{r}"].value for r in range(2, 2 + len(INJECTED))] == INJECTED


def test_packs_write_names_as_text(injected, tmp_path):
    results = open_run(injected).results
    paths = write_packs(results, tmp_path / "packs")
    assert len(paths) == len(CODES)
    for path in paths:
        formulas = [f for f in _formula_cells(path) if f[0] != "What-if"]
        assert formulas == [], path.name
        whatif = [f for f in _formula_cells(path) if f[0] == "What-if"]
        assert whatif and not any(name in f[2] for f in whatif for name in INJECTED)
    wb = load_workbook(tmp_path / "packs" / 'RA1 - =HYPERLINK( http x , click ).xlsx')
    assert wb["Summary"]["A1"].value == '=HYPERLINK("http://x","click") (RA1)'
    assert wb["Summary"]["A1"].data_type == "s"


def test_rich_markup_in_a_name_is_printed_as_typed(tmp_path):
    path = filled_workbook(tmp_path)
    _type_as_text(path, {("Acute inputs", "B2"): "Trust [/bold] [link=http://x]y[/link]"})
    result = run("table", path, "--type", "acute")
    assert "Trust [/bold] [link=http://x]y[/link]" in result.stdout


def test_rich_markup_in_a_heading_is_warned_as_typed(book):
    _type_as_text(book, {("Acute inputs", "L1"): "[/x]"})
    result = run("recalc", book)
    assert result.exit_code == 0
    assert "'Acute inputs'!L1: column '[/x]' is not a metric ID, so it is ignored" in (
        " ".join(result.stderr.split()))


def test_an_escape_code_in_an_imported_name_is_refused_and_shown_escaped(tmp_path):
    """A terminal escape code cannot be stored in a workbook, nor echoed raw to a terminal."""
    source = tmp_path / "trust-data.csv"
    source.write_text(
        "Quarter,Region,Trust_type,Trust_subtype,Trust_code,Trust_name,Domain,Metric_ID,Value\n"
        "Q2 2025/26,London,Mental health and community trust,Community,RT1,"
        "Teal \x1b[31mCommunity NHS Trust,People and workforce,OF0082,4.0\n"
        "Q2 2025/26,London,Mental health and community trust,Community,RT2,"
        "Umber Community NHS Trust,People and workforce,OF0082,6.0\n", encoding="utf-8")
    out = tmp_path / "imported.xlsx"
    refused(run("import-nhse", source, "-o", out),
            "organisation RT1: its name 'Teal \\x1b[31mCommunity NHS Trust' holds control "
            "characters a workbook cannot store (such as an escape code): remove them from the "
            "source data")
    assert not out.exists()


# --------------------------------------------------------------------------- interrupted writes

KILLED_MID_SAVE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from openpyxl.workbook.workbook import Workbook

    real_save = Workbook.save

    def half_then_hang(self, filename):
        real_save(self, filename)
        data = Path(filename).read_bytes()
        Path(filename).write_bytes(data[: len(data) // 2])
        Path(sys.argv[2]).write_text(str(filename))
        time.sleep(120)

    Workbook.save = half_then_hang
    from xl_league.workbook_io.recalc import recalc_workbook
    recalc_workbook(sys.argv[1])
""")


def test_recalc_killed_mid_save_leaves_the_original_intact(book, tmp_path):
    before = book.read_bytes()
    signal_file = tmp_path / "saving.txt"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_MID_SAVE, str(book), str(signal_file)])
    try:
        deadline = time.monotonic() + 120
        while not signal_file.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert signal_file.exists(), "the child never reached the save"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert book.read_bytes() == before
    temp = Path(signal_file.read_text())
    # the half-written temporary file is the only trace, hidden beside the workbook
    assert temp.parent == book.parent and temp.name.startswith(f".~{book.stem}-")
    assert {p.name for p in book.parent.iterdir()} == {book.name, temp.name, signal_file.name}
    assert run("check", book).exit_code == 0
    assert run("recalc", book).exit_code == 0


def test_a_failure_during_the_save_leaves_no_trace(book, monkeypatch):
    from openpyxl.workbook.workbook import Workbook

    real_save = Workbook.save

    def disk_full(self, filename):
        real_save(self, filename)
        raise OSError(28, "No space left on device")

    before = files_in(book.parent)
    monkeypatch.setattr(Workbook, "save", disk_full)
    refused(run("recalc", book), f"cannot write {book}: No space left on device")
    assert files_in(book.parent) == before


# --------------------------------------------------------------------------- unwritable files

def test_a_file_that_cannot_be_replaced(book, monkeypatch):
    def denied(src, dst):
        raise PermissionError(13, "Permission denied")

    before = files_in(book.parent)
    monkeypatch.setattr(os, "replace", denied)
    refused(run("recalc", book), f"cannot write {book}: permission denied (is it open in "
                                 "Excel? close it, or write elsewhere with -o OTHER.xlsx)")
    assert files_in(book.parent) == before


def test_a_folder_that_cannot_be_written(book, monkeypatch):
    import tempfile

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    before = files_in(book.parent)
    monkeypatch.setattr(tempfile, "mkstemp", denied)
    refused(run("recalc", book), f"cannot write {book}: no permission to write in "
                                 f"{book.parent}")
    assert files_in(book.parent) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_for_real(book, tmp_path):
    before = book.read_bytes()
    os.chmod(book.parent, 0o555)
    try:
        refused(run("recalc", book), f"cannot write {book}: no permission to write in "
                                     f"{book.parent}")
    finally:
        os.chmod(book.parent, 0o755)
    assert book.read_bytes() == before


def test_a_read_only_workbook_is_not_overwritten(book, tmp_path):
    os.chmod(book, 0o444)
    before = book.read_bytes()
    result = run("recalc", book)
    refused(result, f"{book} is read-only: make it writable (File Explorer: Properties, untick "
                    "Read-only), or write the results elsewhere with -o OTHER.xlsx")
    assert book.read_bytes() == before
    assert run("recalc", book, "-o", tmp_path / "out.xlsx").exit_code == 0


@pytest.mark.parametrize("lock, app", [("~${}", "Excel"), (".~lock.{}#", "LibreOffice")])
def test_a_workbook_open_elsewhere_is_not_recalculated_in_place(book, tmp_path, lock, app):
    lock_name = lock.format(book.name)
    (book.parent / lock_name).write_bytes(b"\x0bsomeone")
    before = book.read_bytes()
    refused(run("recalc", book), f"{book} is open in {app} ({lock_name} is beside it): "
                                 f"close it in {app} first, or write the results elsewhere with "
                                 f"-o OTHER.xlsx (if {app} is not running, delete {lock_name})")
    assert book.read_bytes() == before
    assert run("check", book).exit_code == 0  # reading an open workbook is fine
    assert run("recalc", book, "-o", tmp_path / "out.xlsx").exit_code == 0
