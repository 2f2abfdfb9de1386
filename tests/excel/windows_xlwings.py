"""xlwings' own Windows code (``xlwings._xlwindows``, ``xlwings.udfs``) on Linux, pywin32 mocked.

On Windows, Excel calls a UDF through xlwings' COM server: ``xlwings.udfs.call_udf`` reads each
range argument through the Windows engine's ``Range.raw_value`` (the COM ``Range.Value``: a
tuple of rows; an error cell as the integer 0x800A0000 + its number) and
``Engine.clean_value_data`` (``err_to_str`` names only the seven classic errors), then calls
the Python function. This module imports those two modules with stand-ins for the pywin32
modules they import, so tests can drive that exact code with the values COM would give.

Only the few COM objects the read path touches are played here (:class:`ComRange`,
:class:`ComSheet`, :class:`ComBook`, :class:`ComApp`); nothing of xlwings is replaced.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import importlib
import sys
import types
from contextlib import contextmanager
from typing import Any, Iterator

import xlwings

RANGE_IID = "{00020846-0000-0000-C000-000000000046}"   # Excel's Range interface


class _Anything(types.ModuleType):
    """A pywin32 module whose every other attribute is a harmless stand-in."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Stub(f"{self.__name__}.{name}")


class _Stub:
    def __init__(self, name: str) -> None:
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> "_Stub":
        return _Stub(self._name + "()")

    def __getattr__(self, name: str) -> "_Stub":
        return _Stub(f"{self._name}.{name}")


class _TimeType(dt.datetime):
    """pywintypes.TimeType: pywin32's COM date (a datetime subclass)."""


class _ComError(Exception):
    pass


def _pywin32_modules() -> dict[str, types.ModuleType]:
    pywintypes = _Anything("pywintypes")
    pywintypes.TimeType = _TimeType
    pywintypes.com_error = _ComError
    pywintypes.error = _ComError
    pywintypes.IID = lambda text: text
    pythoncom = _Anything("pythoncom")
    pythoncom.__file__ = "pythoncom311.dll"   # xlwings loads a symbol from it with PyDLL
    pythoncom.CoInitialize = lambda *a: None
    pythoncom.IID_IDispatch = "IDispatch"
    pythoncom.CoMarshalInterThreadInterfaceInStream = lambda iid, obj: obj
    pythoncom.TypeIIDs = {"IDispatch": type("PyIDispatch", (), {})}
    win32process = _Anything("win32process")
    win32process.GetWindowThreadProcessId = lambda hwnd: (0, 4242)
    win32com = _Anything("win32com")
    client = _Anything("win32com.client")
    for name in ("CDispatch", "CoClassBaseClass", "DispatchBaseClass"):
        setattr(client, name, type(name, (), {}))
    client.Dispatch = client.DispatchEx = lambda obj, *a: obj
    win32com.client = client
    server = _Anything("win32com.server")
    util = _Anything("win32com.server.util")

    def unwrap(obj: Any) -> Any:
        raise TypeError("not a wrapped Python object")   # as pywin32 says for a plain value

    util.unwrap = unwrap
    util.wrap = lambda obj: obj
    server.util = util
    win32com.server = server
    modules = {"pywintypes": pywintypes, "pythoncom": pythoncom,
               "win32process": win32process, "win32com": win32com,
               "win32com.client": client, "win32com.server": server,
               "win32com.server.util": util}
    for name in ("win32com.server.dispatcher", "win32com.server.policy"):
        modules[name] = _Anything(name)
    for name in ("win32api", "win32con", "win32gui", "win32timezone", "win32event"):
        modules[name] = _Anything(name)
    return modules


# --- the COM objects the read path touches ---------------------------------------------------

class _TypeAttr:
    iid = RANGE_IID


class _OleObj:
    def GetTypeInfo(self) -> "_OleObj":
        return self

    def GetTypeAttr(self) -> _TypeAttr:
        return _TypeAttr()


class _Count:
    def __init__(self, n: int) -> None:
        self.Count = n


class ComApp:
    Hwnd = 1


class _Worksheets:
    """``Workbook.Worksheets``: called with a name or a 1-based index; counted; iterated."""

    def __init__(self, book: "ComBook") -> None:
        self._book = book

    def __call__(self, key: str | int) -> "ComSheet":
        sheets = self._book.sheets
        if isinstance(key, int):
            return sheets[key - 1]
        for sheet in sheets:
            if sheet.Name.lower() == str(key).lower():
                return sheet
        raise _ComError(f"no sheet {key!r}")

    @property
    def Count(self) -> int:
        return len(self._book.sheets)

    def __iter__(self) -> Iterator["ComSheet"]:
        return iter(list(self._book.sheets))


class ComBook:
    def __init__(self, name: str) -> None:
        self.Name = name
        self.Application = ComApp()
        self.sheets: list[ComSheet] = []
        self.Worksheets = _Worksheets(self)

    def add(self, name: str, rows: list[list[Any]] | None = None) -> "ComSheet":
        sheet = ComSheet(name, self, rows)
        self.sheets.append(sheet)
        return sheet


class ComSheet:
    def __init__(self, name: str, book: ComBook, rows: list[list[Any]] | None = None) -> None:
        self.Name = name
        self.Parent = book
        self.rows = rows or [[None]]

    @property
    def UsedRange(self) -> "ComRange":
        return ComRange(self.rows, self)


class ComRange:
    """A COM Range: ``Value`` as COM gives it — a tuple of row tuples (a scalar for one
    cell); numbers as float, text as str, blanks as None, an error as its integer code."""

    _oleobj_ = _OleObj()
    CLSID = "{00020846-0000-0000-C000-000000000046}"

    def __init__(self, rows: list[list[Any]], sheet: ComSheet | None = None,
                 row: int = 1, column: int = 1) -> None:
        self._rows = [list(r) for r in rows]
        self.Worksheet = sheet or ComBook("Book1.xlsm").add("Sheet1")
        self.Row, self.Column = row, column
        self.Rows = _Count(len(rows))
        self.Columns = _Count(len(rows[0]) if rows else 0)

    @property
    def Value(self) -> Any:
        if len(self._rows) == 1 and len(self._rows[0]) == 1:
            return self._rows[0][0]
        return tuple(tuple(r) for r in self._rows)


@contextmanager
def windows_xlwings(monkeypatch) -> Iterator[types.SimpleNamespace]:
    """xlwings' Windows engine and UDF machinery, imported with pywin32 mocked.

    Yields ``windows`` (``xlwings._xlwindows``), ``udfs`` (``xlwings.udfs``: ``xlfunc``,
    ``xlarg``, ``call_udf`` ...), ``com_server`` (``xlwings.com_server``: ``XLPython``, whose
    ``CallUDF`` Excel's VBA wrappers call) and ``read(value, **options)``: xlwings' own
    ``conversion.read`` of a COM value through the Windows engine.
    """
    for name, module in _pywin32_modules().items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(ctypes, "windll", _Stub("windll"), raising=False)
    monkeypatch.setattr(ctypes, "oledll", _Stub("oledll"), raising=False)
    monkeypatch.setattr(ctypes, "PyDLL", lambda *a, **k: _Stub("PyDLL"))
    for name in ("xlwings._xlwindows", "xlwings.udfs", "xlwings.com_server"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    windows = importlib.import_module("xlwings._xlwindows")
    engine = xlwings.main.Engine(impl=windows.engine)
    engines = xlwings.engines
    had = engines.engines_by_name.get("excel")
    engines.add(engine)
    com_server = None
    try:
        udfs = importlib.import_module("xlwings.udfs")
        com_server = importlib.import_module("xlwings.com_server")
        from xlwings import conversion

        def read(value: Any, **options: Any) -> Any:
            return conversion.read(None, value, options)

        yield types.SimpleNamespace(windows=windows, udfs=udfs, com_server=com_server,
                                    read=read)
    finally:
        if com_server is not None:
            com_server.loop.close()   # its event loop, never started here
            sys.modules.pop("xlwings.com_server", None)
        engines.engines.remove(engine)
        if had is None:
            engines.engines_by_name.pop("excel", None)
        else:
            engines.engines_by_name["excel"] = had
        sys.modules.pop("xlwings.udfs", None)
        sys.modules.pop("xlwings._xlwindows", None)
        for attr in ("udfs", "_xlwindows", "com_server"):
            if attr in vars(xlwings):
                delattr(xlwings, attr)
