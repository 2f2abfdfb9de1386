"""Merged cells and hidden rows of the input sheets, so the reader can warn about them.

openpyxl's read-only worksheets (what the reader loads) do not keep merged cells or row
dimensions, so for a file the sheet XML is scanned with the same DOCTYPE-refusing expat parser
as :mod:`.cached_values`; an open workbook's worksheets are asked directly.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openpyxl.utils.cell import range_boundaries

from .cached_values import _attrs, _local, _parse, sheet_parts

__all__ = ["MergedRange", "SheetLayout", "layout_of_worksheet", "sheet_layouts"]


@dataclass(frozen=True)
class MergedRange:
    ref: str
    min_col: int
    min_row: int
    max_col: int
    max_row: int

    @classmethod
    def parse(cls, ref: str) -> "MergedRange":
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        return cls(ref, min_col, min_row, max_col, max_row)  # type: ignore[arg-type]

    @property
    def startswith_row_1(self) -> bool:
        return self.min_row == 1


@dataclass(frozen=True)
class SheetLayout:
    merged: tuple[MergedRange, ...] = ()
    hidden_rows: tuple[int, ...] = ()

    def merged_heading(self, col: int) -> str | None:
        """The merged range of the heading row that hides column ``col``'s heading."""
        for rng in self.merged:
            if rng.min_row == 1 and rng.min_col < col <= rng.max_col:
                return rng.ref
        return None


def layout_of_worksheet(ws) -> SheetLayout:
    """An open (not read-only) worksheet's merged ranges and hidden rows."""
    merged = tuple(MergedRange.parse(str(r)) for r in getattr(ws, "merged_cells", ()).ranges) \
        if hasattr(ws, "merged_cells") else ()
    dims = getattr(ws, "row_dimensions", {})
    hidden = tuple(sorted(r for r, d in dims.items() if getattr(d, "hidden", False)))
    return SheetLayout(merged, hidden)


def sheet_layouts(path: str | Path, names: Iterable[str]) -> dict[str, SheetLayout]:
    """Merged ranges and hidden rows of the named sheets of the workbook at ``path``."""
    out: dict[str, SheetLayout] = {}
    with zipfile.ZipFile(path) as zf:
        parts = sheet_parts(zf)
        for name in names:
            part = parts.get(name)
            if part is None:
                continue
            merged: list[MergedRange] = []
            hidden: list[int] = []

            def start(tag: str, pairs: list[str]) -> None:
                local = _local(tag)
                if local == "mergeCell":
                    ref = _attrs(pairs).get("ref")
                    if ref:
                        try:
                            merged.append(MergedRange.parse(ref))
                        except ValueError:
                            pass
                elif local == "row":
                    attrs = _attrs(pairs)
                    if attrs.get("hidden") in ("1", "true") and attrs.get("r", "").isdigit():
                        hidden.append(int(attrs["r"]))

            _parse(zf, part, start)
            out[name] = SheetLayout(tuple(merged), tuple(hidden))
    return out
