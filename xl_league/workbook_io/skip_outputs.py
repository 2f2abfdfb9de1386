"""Loading a workbook for a recalculation without parsing the cells it is about to replace.

A recalculation clears every cell of the output sheets (league tables, Metric scores,
Cut-points) and writes them anew, so parsing their old cells is wasted work — about a third
of openpyxl's load time on a national workbook. :func:`without_output_cells` hands openpyxl an
in-memory copy of the file in which only the ``<sheetData>`` (the cells) of those sheets is
emptied; everything else in them — column widths, conditional formatting, drawings and charts,
print setup, tables — and every other part is passed through unchanged.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from .cached_values import sheet_parts
from .layout import OUTPUT_SHEETS

__all__ = ["without_output_cells"]

# <sheetData>…</sheetData>, with or without a namespace prefix; an empty <sheetData/> is left.
_SHEET_DATA = re.compile(rb"<((?:\w+:)?sheetData)\b[^>/]*>.*?</\1>", re.DOTALL)


def without_output_cells(path: Path) -> io.BytesIO | Path:
    """An in-memory copy of ``path`` whose output sheets hold no cells (``path`` itself when
    it has no output sheets with cells). Parts are stored uncompressed: openpyxl reads them
    straight away, and the copy is never written to disk."""
    with zipfile.ZipFile(path) as zf:
        parts = {part for name, part in sheet_parts(zf).items() if name in OUTPUT_SHEETS}
        if not parts:
            return path
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as out:
            for info in zf.infolist():
                data = zf.read(info)
                if info.filename in parts:
                    data = _SHEET_DATA.sub(lambda m: b"<" + m.group(1) + b"/>", data, count=1)
                out.writestr(info.filename, data, compress_type=zipfile.ZIP_STORED)
    buffer.seek(0)
    return buffer
