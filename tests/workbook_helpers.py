"""Small hand-made workbooks for the workbook I/O tests (tests only).

Eight acute trusts with four metrics (A&E 4-hour %, sickness absence %, planned surplus %,
variance to plan %), typed into a fresh template with :func:`fill_inputs`, saved in tmp_path.
Helpers edit cells or zip parts of a saved workbook and fingerprint its input sheets.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from xl_league.workbook_io import build_template, fill_inputs, save_atomic
from xl_league.workbook_io.layout import INPUT_SHEETS

CODES = ["RA1", "RA2", "RA3", "RA4", "RA5", "RA6", "RA7", "RA8"]


def sample_organisations() -> pd.DataFrame:
    return pd.DataFrame({
        "code": CODES,
        "name": [f"Northshire Hospitals {i}" for i in range(1, 9)],
        "type": "acute",
        "region": ["London", "London", "North West", "North West", "Midlands", "Midlands",
                   "South East", "South East"],
        "subtype": "Acute - Large",
        "in_deficit": ["No", "Yes", "No", "No", "Yes", None, "No", "Yes"],
        "in_rsp": [None, None, None, None, None, None, None, "Yes"],
    })


def sample_values() -> pd.DataFrame:
    return pd.DataFrame({
        "OF0013": [78.2, 74.0, 71.5, 80.1, 69.9, 73.3, 76.4, 62.0],   # A&E 4-hour %, higher
        "OF0082": [4.6, 5.2, 5.0, 4.4, 5.9, 5.1, 4.8, 6.1],           # sickness absence %, lower
        "OF0079": [0.5, -1.2, 0.0, 1.1, -2.5, -0.4, 0.2, -3.0],       # planned surplus %
        "OF0081": [0.1, -0.6, 0.0, 0.3, -1.4, -0.2, 0.0, -0.9],       # variance to plan %
    }, index=pd.Index(CODES, name="code"))


def filled_workbook(tmp_path: Path, name: str = "book.xlsx", organisations=None, values=None,
                    quarter: str | None = "Q2 2025/26", settings: dict | None = None) -> Path:
    """A template filled with the sample (or given) inputs, saved to ``tmp_path / name``."""
    wb = build_template()
    fill_inputs(wb, sample_organisations() if organisations is None else organisations,
                sample_values() if values is None else values, quarter)
    ws = wb["Settings"]
    for key, value in (settings or {"bootstrap_replicates": 200}).items():
        for row in ws.iter_rows(min_col=1, max_col=2):
            if row[0].value == key:
                row[1].value = value
    return save_atomic(wb, tmp_path / name)


def set_cells(path: Path, cells: dict[tuple[str, str], object]) -> Path:
    """Type ``{(sheet, "G3"): value}`` into the saved workbook (a formula is a "=..." string)."""
    wb = load_workbook(path)
    for (sheet, ref), value in cells.items():
        wb[sheet][ref] = value
    wb.save(path)
    return path


def sheet_part(path: Path, sheet: str) -> str:
    """The zip part name of ``sheet`` (openpyxl writes sheetN.xml in sheet order)."""
    wb = load_workbook(path, read_only=True)
    index = wb.sheetnames.index(sheet) + 1
    wb.close()
    return f"xl/worksheets/sheet{index}.xml"


def edit_part(path: Path, part: str, edit) -> None:
    """Rewrite one zip part with ``edit(bytes) -> bytes`` (or add it when missing)."""
    with zipfile.ZipFile(path) as zf:
        items = [(i, zf.read(i.filename)) for i in zf.infolist()]
    names = [i.filename for i, _ in items]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in items:
            zf.writestr(info, edit(data) if info.filename == part else data)
        if part not in names:
            zf.writestr(part, edit(b""))


def cache_formula_value(path: Path, sheet: str, ref: str, value: str,
                        cell_type: str | None = None) -> None:
    """Give the formula cell ``ref`` a cached value, as Excel does when it saves a workbook."""
    part = sheet_part(path, sheet)

    def edit(data: bytes) -> bytes:
        text = data.decode()
        pattern = re.compile(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/>|'
                             rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v></v>')
        m = pattern.search(text)
        assert m, f"no formula cell {ref} in {part}"
        attrs = (m.group(1) or m.group(3) or "")
        formula = m.group(2) or m.group(4)
        if cell_type:
            attrs += f' t="{cell_type}"'
        return text.replace(m.group(0), f'<c r="{ref}"{attrs}><f>{formula}</f><v>{value}</v>'
                            ).encode()

    edit_part(path, part, edit)


def input_fingerprint(path: Path) -> dict[str, str]:
    """sha256 of every input sheet's cell values, formulas and number formats."""
    wb = load_workbook(path)
    out = {}
    for sheet in INPUT_SHEETS.values():
        ws = wb[sheet]
        h = hashlib.sha256()
        for row in ws.iter_rows():
            for cell in row:
                h.update(repr((cell.coordinate, cell.value, cell.number_format,
                               cell.fill.fgColor.rgb, cell.font.b)).encode())
        out[sheet] = h.hexdigest()
    return out
