"""The Excel front end: worksheet functions (UDFs) and macros, as plain Python.

Nothing here imports xlwings: ``workbook/league_tables.py`` registers these functions with
xlwings (``@xw.func``, ``@xw.sub``) and is the only place that touches a live Excel
(``xw.Book.caller()``). Every macro is a function of a ``book``, so the same code serves
desktop xlwings, xlwings Lite and :class:`~.openpyxl_book.OpenpyxlBook` (a file, no Excel).

    udfs.py           the NOF_* worksheet functions: 2-D lists in, 2-D lists out
    cells.py          what Excel passes (blanks, numbers, text, error values — COM integer
                      codes too) → Python values; trailing blank rows trimmed
    log.py            short messages in cells; tracebacks to ~/.xl-league/udf.log
    macros.py         recalculate(book), build_packs(book), run_macro; problems to a Problems sheet
    live.py           NOF_LIVE_TABLE: a type's league table from the four input sheets (Live sheet)
    nhse_import.py    import_nhse_data(book): the pasted NHS England CSV → the input sheets
    whatif.py         what_if_setup(book), what_if(book): the What-if scratch sheet
    book_adapter.py   an xlwings-like book ↔ the openpyxl-based workbook I/O
    openpyxl_book.py  OpenpyxlBook: the xlwings Book API subset the macros use, over a file
    reference.py      the formulas and macros, as data (the Instructions sheet)
    build.py          builds workbook/league_tables.xlsm (python -m xl_league.excel.build)
"""
