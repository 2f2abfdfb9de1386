"""Presenting league tables: CSV, JSON and terminal text (rich), the same data three ways.

Text from organisations' names is untrusted: a cell starting with ``= + - @`` (or a tab or
carriage return) is neutralised with a leading apostrophe in CSV, so a spreadsheet opening
the file never runs it as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .engine import LEAGUE_CSV_COLUMNS

__all__ = ["league_rows", "league_csv", "league_json", "league_rich_table", "neutralise",
           "plain_value", "SEGMENT_STYLES"]

SEGMENT_STYLES = {1: "bold green", 2: "green", 3: "yellow", 4: "red", 5: "bold red"}
_INT_COLUMNS = {"position", "metrics_scored", "unadjusted_segment", "segment", "final_segment",
                "rank_low", "rank_high"}
_SCORE_COLUMNS = {"average_score", "score_low", "score_high"}
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Prefix text that a spreadsheet would read as a formula with an apostrophe."""
    if text and text.startswith(_DANGEROUS):
        try:  # a plain negative number is data, not a formula
            float(text)
            return text
        except ValueError:
            return "'" + text
    return text


def _missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def plain_value(value: object) -> object:
    """A pandas/numpy scalar as a plain, JSON-able Python value (None for missing)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, tuple):
        return [plain_value(v) for v in value]
    return value


def league_rows(table: pd.DataFrame) -> list[dict]:
    """The contract's columns, as Python values (int, float rounded to 2 dp, bool, str, None)."""
    rows = []
    for rec in table[LEAGUE_CSV_COLUMNS].to_dict("records"):
        row = {}
        for k, v in rec.items():
            if _missing(v):
                row[k] = None
            elif k in _INT_COLUMNS:
                row[k] = int(v)
            elif k in _SCORE_COLUMNS:
                row[k] = round(float(v), 2)
            elif k == "in_deficit":
                row[k] = bool(v)
            else:
                row[k] = str(v)
        rows.append(row)
    return rows


def _csv_cell(key: str, value) -> str:
    if value is None:
        return ""
    if key in _SCORE_COLUMNS:
        return f"{value:.2f}"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return neutralise(str(value))


def league_csv(table: pd.DataFrame) -> str:
    """The ``table --format csv`` output: the contract header, one line per organisation."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(LEAGUE_CSV_COLUMNS)
    for row in league_rows(table):
        writer.writerow([_csv_cell(k, row[k]) for k in LEAGUE_CSV_COLUMNS])
    return buf.getvalue()


def league_json(table: pd.DataFrame) -> str:
    return json.dumps(league_rows(table), indent=2, ensure_ascii=False) + "\n"


def short_name(name: str) -> str:
    """NHS names are long: 'NHS Foundation Trust' → 'NHS FT' in terminal tables."""
    return name.replace("NHS Foundation Trust", "NHS FT")


def _fmt_range(lo, hi, score: bool) -> str:
    if lo is None or hi is None:
        return ""
    return f"{lo:.2f} to {hi:.2f}" if score else f"{lo} to {hi}"


def league_rich_table(table: pd.DataFrame, title: str, *, head: int | None = None,
                      tail: int | None = None) -> Table:
    """A terminal table; with ``head``/``tail``, only the top and bottom rows with a gap row."""
    rows = league_rows(table)
    out = Table(title=title, title_justify="left", header_style="bold")
    for name, just in [("Pos", "right"), ("Code", "left"), ("Organisation", "left"),
                       ("Avg", "right"), ("Seg", "center"), ("Final", "center"),
                       ("Deficit", "center"), ("Likely score", "right"),
                       ("Likely position", "right")]:
        if name == "Organisation":
            # the one column that gives way when the table is too wide (each name is one
            # line, cut with an ellipsis); the others keep their width, codes stay whole
            out.add_column(name, justify=just, overflow="ellipsis", min_width=20, max_width=44)
        else:
            out.add_column(name, justify=just, no_wrap=True, min_width=len(name))
    shown: list[dict | None] = rows
    if head is not None and tail is not None and len(rows) > head + tail:
        shown = rows[:head] + [None] + rows[-tail:]
    for row in shown:
        if row is None:
            out.add_row("…", "", f"({len(rows) - head - tail} more)", "", "", "", "", "", "")
            continue
        seg = row["segment"]
        style = SEGMENT_STYLES.get(row["final_segment"] or 0, "")
        out.add_row(
            "" if row["position"] is None else str(row["position"]), Text(row["code"]),
            Text(short_name(row["name"]), no_wrap=True, overflow="ellipsis"),  # user text,
            # never read as rich markup
            "" if row["average_score"] is None else f"{row['average_score']:.2f}",
            "" if seg is None else str(seg),
            "" if row["final_segment"] is None else Text(str(row["final_segment"]), style=style),
            "Yes" if row["in_deficit"] else "No",
            _fmt_range(row["score_low"], row["score_high"], True),
            _fmt_range(row["rank_low"], row["rank_high"], False),
        )
    return out


def print_table(console: Console, table: pd.DataFrame, title: str, **kw) -> None:
    console.print(league_rich_table(table, title, **kw))
