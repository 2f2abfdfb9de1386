"""Workbook I/O: the template, reading inputs, writing results, keeping users' work safe.

Modules::

    layout.py      sheet names, columns, settings keys (one source of truth)
    formatting.py  named styles, headings, widths, conditional formatting, print setup
    template.py    build_template(): the blank workbook; python -m ... rebuilds the committed one
    cells.py       one cell → number / flag / text, or a problem (missing markers, errors, %)
    settings.py    the Settings and Metrics sheets → Methodology and Catalogue
    sheet_xml.py   read_sheet_grids(): the cells of the sheets read, streamed from their XML
    reader.py      read_inputs(): every problem at once, named by cell
    writer.py      fill_inputs(), write_results()
    files.py       save_atomic(), write_bytes_atomic(): atomic saves, lock files, file modes
    safety.py      check_file(), unsupported_parts(): wrong files, zip bombs, parts openpyxl drops
    package.py     write_outputs_to_package(): output sheets transplanted, other parts raw
    recalc.py      recalc_workbook(), read_results()

Errors are :class:`~xl_league.errors.WorkbookError` (and :class:`~xl_league.errors.CellError`
for one cell). The path from a workbook to results (read, check, settings, engine) is the run
layer, :mod:`xl_league.run`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Where each public name lives. Imported lazily, so that ``python -m
# xl_league.workbook_io.template`` runs the template module only once.
_EXPORTS = {
    "build_template": "template", "template_bytes": "template", "write_template": "template",
    "read_inputs": "reader", "BookInputs": "reader",
    "read_inputs_from_path": "reader", "write_outputs_to_package": "package",
    "fill_inputs": "writer", "write_results": "writer", "save_atomic": "files",
    "write_bytes_atomic": "files",
    "recalc_workbook": "recalc", "RecalcResult": "recalc", "read_results": "recalc",
    "check_file": "safety", "unsupported_parts": "safety",
    "INPUT_SHEETS": "layout", "LEAGUE_SHEETS": "layout", "OUTPUT_SHEETS": "layout",
    "TEMPLATE_SHEETS": "layout", "TEMPLATE_FILENAME": "layout",
}
__all__ = list(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from .layout import (INPUT_SHEETS, LEAGUE_SHEETS, OUTPUT_SHEETS, TEMPLATE_FILENAME,
                         TEMPLATE_SHEETS)
    from .package import write_outputs_to_package
    from .reader import BookInputs, read_inputs, read_inputs_from_path
    from .recalc import RecalcResult, read_results, recalc_workbook
    from .safety import check_file, unsupported_parts
    from .template import build_template, template_bytes, write_template
    from .files import save_atomic, write_bytes_atomic
    from .writer import fill_inputs, write_results


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
