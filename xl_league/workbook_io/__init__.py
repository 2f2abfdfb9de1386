"""Workbook I/O: the template, reading inputs, writing results, keeping users' work safe.

Modules::

    layout.py      sheet names, columns, settings keys (one source of truth)
    formatting.py  named styles, headings, widths, conditional formatting, print setup
    template.py    build_template(): the blank workbook; python -m ... rebuilds the committed one
    cells.py       one cell → number / flag / text, or a problem (missing markers, errors, %)
    settings.py    the Settings and Metrics sheets → Methodology and Catalogue
    sheet_xml.py   read_sheet_grids(): the cells of the sheets read, streamed from their XML
    reader.py      read_inputs(), check_workbook(): every problem at once, named by cell
    writer.py      fill_inputs(), write_results(), save_atomic()
    safety.py      check_file(), unsupported_parts(): wrong files, zip bombs, parts openpyxl drops
    package.py     write_outputs_to_package(): output sheets transplanted, other parts raw
    recalc.py      recalc_workbook(), read_results()

Errors are :class:`~xl_league.errors.WorkbookError` (and :class:`~xl_league.errors.CellError`
for one cell); :class:`WorkbookProblems` carries every input problem of a refused recalc.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Where each public name lives. Imported lazily, so that ``python -m
# xl_league.workbook_io.template`` runs the template module only once.
_EXPORTS = {
    "build_template": "template", "template_bytes": "template", "write_template": "template",
    "read_inputs": "reader", "check_workbook": "reader", "BookInputs": "reader",
    "read_inputs_from_path": "reader", "write_outputs_to_package": "package",
    "fill_inputs": "writer", "write_results": "writer", "save_atomic": "writer",
    "recalc_workbook": "recalc", "RecalcResult": "recalc", "WorkbookProblems": "recalc",
    "read_results": "recalc", "settings_used": "recalc",
    "check_file": "safety", "unsupported_parts": "safety",
    "INPUT_SHEETS": "layout", "LEAGUE_SHEETS": "layout", "OUTPUT_SHEETS": "layout",
    "TEMPLATE_SHEETS": "layout", "TEMPLATE_FILENAME": "layout",
}
__all__ = list(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from .layout import (INPUT_SHEETS, LEAGUE_SHEETS, OUTPUT_SHEETS, TEMPLATE_FILENAME,
                         TEMPLATE_SHEETS)
    from .package import write_outputs_to_package
    from .reader import BookInputs, check_workbook, read_inputs, read_inputs_from_path
    from .recalc import (RecalcResult, WorkbookProblems, read_results, recalc_workbook,
                         settings_used)
    from .safety import check_file, unsupported_parts
    from .template import build_template, template_bytes, write_template
    from .writer import fill_inputs, save_atomic, write_results


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
