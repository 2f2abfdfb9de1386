"""The functions as Excel on Windows calls them: through xlwings' own Windows code.

``tests/excel/windows_xlwings.py`` imports ``xlwings._xlwindows`` and ``xlwings.udfs`` with
pywin32 mocked; ``workbook/league_tables.py`` is registered with xlwings' real decorators
(``xlfunc``/``xlarg``), and ``xlwings.udfs.call_udf`` — what the VBA wrapper Import Functions
writes calls through COM — runs each function with ranges whose COM values hold Excel's error
codes. xlwings' ``err_to_str`` names only the seven classic errors; the newer ones arrive as
integers 0x800A0000 + their number, and must never become a segment, a score or a position.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from windows_xlwings import ComBook, ComRange, windows_xlwings
from xl_league.excel import udfs
from xl_league.excel.cells import EXCEL_ERROR_NUMBERS
from xl_league.excel.log import MESSAGE_PREFIX
from xl_league.workbook_io import build_template

REPO = Path(__file__).resolve().parents[2]
MISSING = -2147352572                       # how COM passes an omitted optional argument
CALC, SPILL = -2146826238, -2146826243
#: Every Excel error as COM passes it: 0x800A0000 + the error number.
COM_ERRORS = {-2146828288 + n: text for n, text in EXCEL_ERROR_NUMBERS.items()}
CLASSIC = {-2146826281, -2146826246, -2146826259, -2146826288, -2146826252, -2146826265,
           -2146826273}


@pytest.fixture
def windows(monkeypatch):
    with windows_xlwings(monkeypatch) as w:
        w.module = _registered(monkeypatch, w.udfs)
        udfs.clear_caches()
        yield w


def _registered(monkeypatch, xl_udfs):
    """workbook/league_tables.py imported with xlwings' Windows decorators, as Excel's COM
    server imports it (UDF Modules = league_tables)."""
    import xlwings
    for name, deco in (("func", xl_udfs.xlfunc), ("arg", xl_udfs.xlarg),
                       ("ret", xl_udfs.xlret), ("sub", xl_udfs.xlsub)):
        monkeypatch.setattr(xlwings, name, deco, raising=False)
    spec = importlib.util.spec_from_file_location("league_tables",
                                                  REPO / "workbook" / "league_tables.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "league_tables", module)
    spec.loader.exec_module(module)
    monkeypatch.setattr(xl_udfs, "udf_modules", {})
    return module


def call(windows, name, *args, caller=None):
    """``Py.CallUDF``: the COM server's entry point (XLPython.CallUDF → call_udf), with the
    arguments the VBA wrapper passes (ranges as COM Range objects, an omitted argument as
    DISP_E_PARAMNOTFOUND, the hidden ``caller`` as Nothing), results as CallUDF returns them
    to Excel, always 2-D here."""
    if caller is None:  # a cell of a workbook without Settings/Metrics: the packaged method
        caller = ComRange([[None]], ComBook("Book1.xlsx").add("Sheet1"), row=1, column=6)
    info = getattr(windows.module, name).__xlfunc__["args"]
    full = list(args) + [MISSING] * (len(info) - len(args))
    for a in info:
        if a["name"] == "caller":
            full[a["pos"]] = None
    out = windows.com_server.XLPython().CallUDF("league_tables", name, tuple(full), None,
                                                 caller)
    if not isinstance(out, list):
        return [[out]]                                   # one cell: CallUDF unwraps it
    return out if out and isinstance(out[0], list) else [out]


def test_xlwings_own_windows_conversion_leaves_the_newer_errors_as_integers(windows):
    """The premise, shown on xlwings' own code: err_to_str names seven errors, not #CALC!."""
    values = tuple((code,) for code in COM_ERRORS)
    read = windows.read(values, ndim=2, err_to_str=True)
    for (code,), (got,) in zip(values, read):
        if code in CLASSIC:
            assert got == COM_ERRORS[code]
        else:
            assert got == code                 # e.g. #CALC! arrives as -2146826238


@pytest.mark.parametrize("code", sorted(COM_ERRORS))
def test_no_error_value_ever_becomes_a_segment_or_a_score(windows, code):
    error = COM_ERRORS[code]
    averages = ComRange([[2.1], [2.4], [code], [2.9], [2.6]])
    out = call(windows, "NOF_SEGMENTS", averages)
    assert out == [[f"{MESSAGE_PREFIX}averages row 3: the cell holds the Excel error {error}; "
                    "fix the formula or clear the cell"]]
    values = ComRange([[80.0], [code], [70.0]])
    out = call(windows, "NOF_METRIC_SCORES", values, "higher")
    assert out[0][0].startswith(f"{MESSAGE_PREFIX}values row 2: the cell holds the Excel "
                                f"error {error}")
    out = call(windows, "NOF_POSITIONS", ComRange([["acute"], ["acute"]]),
               ComRange([[1.0], [code]]), ComRange([[2.0], [2.1]]))
    assert out[0][0].startswith(f"{MESSAGE_PREFIX}segments row 2: the cell holds the Excel "
                                f"error {error}")


@pytest.mark.parametrize("code", [CALC, SPILL])
def test_calc_and_spill_in_a_whole_column_reference(windows, code):
    """The brief's case: #CALC! / #SPILL! among the averages of a generous selection."""
    rows = [[2.1], [2.4], [code], [2.9]] + [[None]] * 996
    out = call(windows, "NOF_SEGMENTS", ComRange(rows))
    assert len(out) == 1 and "row 3" in out[0][0] and COM_ERRORS[code] in out[0][0]
    rows = [[2.1], [2.4], [2.5], [2.9]] + [[None]] * 996
    assert call(windows, "NOF_SEGMENTS", ComRange(rows)) == [[1], [2], [3], [4]]


def test_results_come_back_trimmed_and_blank_cells_empty(windows):
    rows = [[2.1], [None], [2.4], [2.5], [2.9]] + [[None]] * 995
    out = call(windows, "NOF_SEGMENTS", ComRange(rows))
    # xlwings' Windows engine hands None back to Excel as "" (prepare_xl_data_element)
    assert out == [[1], [""], [2], [3], [4]]


def test_the_functions_read_the_calling_workbooks_settings(windows):
    """With ``caller``, the Settings sheet of the calling workbook applies: fixed cut-points
    typed there are what NOF_SEGMENTS uses when none are given."""
    wb = build_template()
    settings = [list(r) for r in wb["Settings"].iter_rows(values_only=True)]
    metrics = [list(r) for r in wb["Metrics"].iter_rows(values_only=True)]
    for row in settings:
        if row[0] == "cut_point_rule":
            row[1] = "fixed"
        for i in (1, 2, 3):
            if row[0] == f"cut_point_{i}":
                row[1] = (2.0, 2.5, 3.0)[i - 1]
    book = ComBook("league_tables.xlsm")
    book.add("Settings", settings)
    book.add("Metrics", metrics)
    sheet = book.add("Sheet1")
    caller = ComRange([[None]], sheet, row=2, column=6)
    averages = ComRange([[1.9], [2.0], [2.7], [3.1]])
    assert call(windows, "NOF_SEGMENTS", averages, caller=caller) == [[1], [2], [3], [4]]
    assert call(windows, "NOF_SEGMENTS", averages) == [[1], [2], [3], [4]]  # quartiles
    averages = ComRange([[1.0], [1.1], [1.2], [3.1]])
    assert call(windows, "NOF_SEGMENTS", averages, caller=caller) == [[1], [1], [1], [4]]
    assert call(windows, "NOF_SEGMENTS", averages) == [[1], [2], [3], [4]]


def test_the_functions_are_listed_under_their_own_category(windows):
    for name in dir(windows.module):
        if name.startswith("NOF_"):
            assert getattr(windows.module, name).__xlfunc__["category"] == "xl-league", name
