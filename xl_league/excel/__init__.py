"""The Excel front end: worksheet functions (UDFs) and macros, as plain Python.

Nothing here imports xlwings: ``workbook/league_tables.py`` registers these functions with
xlwings (``@xw.func``, ``@xw.sub``) and is the only place that touches a live Excel.

    udfs.py          the NOF_* worksheet functions: 2-D lists in, 2-D lists out
    cells.py         what Excel passes (blanks, numbers, text, error values) → Python values
    log.py           short messages in cells; tracebacks to ~/.xl-league/udf.log
"""
