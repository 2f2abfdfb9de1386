"""Showing the analyses: rich tables for the terminal, plain text, CSV and JSON.

Every ``*_renderables`` function returns rich objects to print; :func:`plain_text` turns them
into plain text (ASCII borders, no colour) for logs and e-mails. CSV cells starting with
``= + - @`` (or a tab / carriage return) are neutralised with a leading apostrophe so a
spreadsheet never runs them as formulas; plain negative numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Iterable, Sequence

import pandas as pd
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from ..present import SEGMENT_STYLES, neutralise
from ..present import plain_value as _plain
from .compare import COMPARE_CSV_COLUMNS
from .explain import Explanation
from .history import HISTORY_COLUMNS, MOVERS_COLUMNS, History
from .what_it_takes import WHAT_IT_TAKES_COLUMNS
from .whatif import WHATIF_TABLE_COLUMNS, WhatIf

__all__ = ["neutralise", "frame_csv", "frame_records", "plain_text",
           "whatif_renderables", "whatif_csv", "whatif_json",
           "compare_renderables", "compare_csv", "compare_json",
           "explain_renderables", "explain_json",
           "what_it_takes_renderables", "what_it_takes_csv", "what_it_takes_json",
           "history_renderables", "history_csv", "history_json", "SEGMENT_STYLES"]

#: Columns shown with two decimals (scores and averages).
_TWO_DP = {"average_old", "average_new", "change_low", "change_high", "average_score",
           "score_low", "score_high", "average_before", "average_after", "current_score",
           "new_score", "new_average", "score", "contribution", "domain_score", "score_before",
           "score_after"}


def frame_records(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict]:
    """Rows as dicts of plain Python values (None for missing)."""
    cols = list(columns or frame.columns)
    return [{c: _plain(v) for c, v in zip(cols, row)}
            for row in frame[cols].itertuples(index=False, name=None)]


def _cell(column: str, value: object) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        if column in _TWO_DP:
            return f"{round(value, 2) + 0.0:.2f}"  # + 0.0: never "-0.00"
        return f"{value:.6f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return neutralise(str(value))


def frame_csv(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """CSV of ``columns``: scores to 2 dp, Yes/No, blanks for missing, text neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in frame[list(columns)].itertuples(index=False, name=None):
        writer.writerow([_cell(c, v) for c, v in zip(columns, row)])
    return buf.getvalue()


def _show(value: object, column: str = "") -> str:
    """A terminal cell (no CSV neutralising: nothing is evaluated in a terminal)."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        if column in _TWO_DP:
            return f"{value:.2f}"
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _seg(value: object) -> Text:
    v = _plain(value)
    if v is None:
        return Text("")
    return Text(str(v), style=SEGMENT_STYLES.get(int(v), ""))


def plain_text(renderables: Iterable[RenderableType], width: int = 160) -> str:
    """Renderables as plain text: ASCII borders, no colour or styles."""
    console = Console(file=io.StringIO(), width=width, color_system=None, no_color=True,
                      highlight=False, emoji=False, force_terminal=False,
                      legacy_windows=False, soft_wrap=False, markup=False)
    for r in renderables:
        if isinstance(r, Table):
            r.box = box.ASCII
        console.print(r)
    return console.file.getvalue()  # type: ignore[attr-defined]


_WRAPPED = {"Organisation": 18, "Metric": 18, "Note": 24, "Domain": 14, "Cause": 12}


def _table(title: str, columns: Sequence[tuple[str, str]]) -> Table:
    """A table; name-like columns wrap (with a sensible minimum width), the others do not."""
    t = Table(title=title or None, title_justify="left", header_style="bold")
    for name, just in columns:
        t.add_column(name, justify=just, no_wrap=name not in _WRAPPED,
                     min_width=_WRAPPED.get(name))
    return t


# --- what-if ---------------------------------------------------------------------------------

def whatif_renderables(w: WhatIf) -> list[RenderableType]:
    """What was changed, the organisation before/after, and its whole table re-ranked."""
    out: list[RenderableType] = [Text(f"What if: {w.code} {w.name} ({w.org_type})",
                                      style="bold")]
    changes = _table("Changed", [("What", "left"), ("Before", "right"), ("After", "right")])
    for r in frame_records(w.changes):
        changes.add_row(r["what"], _show(r["before"]),
                        "no value" if r["after"] is None else _show(r["after"]))
    out.append(changes)
    summary = _table("Result", [("", "left"), ("Before", "right"), ("After", "right")])
    labels = {"average_score": "Average metric score", "metrics_scored": "Metrics scored",
              "unadjusted_segment": "Unadjusted segment", "in_deficit": "In deficit",
              "segment": "Segment", "final_segment": "Final segment", "position": "Position"}
    for key, (b, a) in w.summary.iterrows():
        fmt = (lambda v: _show(v, "average_before")) if key == "average_score" else _show
        summary.add_row(labels.get(str(key), str(key)), fmt(b), fmt(a))
    out.append(summary)
    table = _table(f"{w.org_type} league table re-ranked", [
        ("Pos before", "right"), ("Pos after", "right"), ("Move", "right"), ("Code", "left"),
        ("Organisation", "left"), ("Avg before", "right"), ("Avg after", "right"),
        ("Seg before", "center"), ("Seg after", "center"), ("Scores changed", "left")])
    for r in frame_records(w.table):
        move = r["movement"]
        style = "bold" if r["code"] == w.code else ("italic" if r["scores_changed"] else "")
        table.add_row(_show(r["position_before"]), _show(r["position_after"]),
                      "" if move is None else (f"+{move}" if move > 0 else str(move)),
                      r["code"], r["name"], _show(r["average_before"], "average_before"),
                      _show(r["average_after"], "average_after"), _seg(r["segment_before"]),
                      _seg(r["segment_after"]), r["scores_changed"], style=style)
    out.append(table)
    others = w.others_affected
    out.append(Text(f"{len(others)} other organisation(s) had a metric score changed by this: "
                    f"{', '.join(others)}" if others else
                    "No other organisation's metric scores changed."))
    out.extend(Text(f"Note: {n}") for n in w.notes)
    return out


def whatif_csv(w: WhatIf) -> str:
    """The re-ranked table of the organisation's type as CSV (:data:`WHATIF_TABLE_COLUMNS`)."""
    return frame_csv(w.table, WHATIF_TABLE_COLUMNS)


def whatif_json(w: WhatIf) -> str:
    data = {
        "code": w.code, "name": w.name, "type": w.org_type,
        "changes": frame_records(w.changes),
        "before": {k: _plain(v) for k, v in w.summary["before"].items()},
        "after": {k: _plain(v) for k, v in w.summary["after"].items()},
        "cut_points": "recomputed" if w.recompute_cut_points else "fixed at before",
        "table": frame_records(w.table, WHATIF_TABLE_COLUMNS),
        "score_changes": frame_records(w.score_changes),
        "others_affected": list(w.others_affected), "notes": list(w.notes),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- compare ---------------------------------------------------------------------------------

def compare_renderables(df: pd.DataFrame, title: str = "Quarter on quarter"
                        ) -> list[RenderableType]:
    """One table per type of the comparison, then the count of each cause."""
    out: list[RenderableType] = []
    for org_type, part in df.groupby("type", sort=False):
        t = _table(f"{title}: {org_type}", [
            ("Code", "left"), ("Organisation", "left"), ("Pos old", "right"),
            ("Pos new", "right"), ("Move", "right"), ("Seg old", "center"),
            ("Seg new", "center"), ("Avg old", "right"), ("Avg new", "right"),
            ("Cause", "left"), ("Significant", "center")])
        for r in frame_records(part):
            move = r["position_change"]
            significant = r["significant"]
            t.add_row(r["code"], r["name"], _show(r["position_old"]), _show(r["position_new"]),
                      "" if move is None else (f"+{move}" if move > 0 else str(move)),
                      _seg(r["segment_old"]), _seg(r["segment_new"]),
                      _show(r["average_old"], "average_old"),
                      _show(r["average_new"], "average_new"),
                      r["cause"], "" if significant is None else ("Yes" if significant else "No"))
        out.append(t)
    counts = df["cause"].value_counts()
    out.append(Text("Causes: " + ", ".join(f"{c} {n}" for c, n in counts.items())))
    out.append(Text(f"Significant: {int(df['significant'].fillna(False).sum())} of "
                    f"{int(df['significant'].notna().sum())} changes in average metric score. "
                    "Yes where the 95 % interval of the change (a paired bootstrap of the "
                    "organisation's metric scores, an inferred test) excludes 0."))
    return out


def compare_csv(df: pd.DataFrame) -> str:
    """``compare --format csv``: header starts ``code,name,type,position_old,...,cause``."""
    return frame_csv(df, COMPARE_CSV_COLUMNS)


def compare_json(df: pd.DataFrame) -> str:
    return json.dumps(frame_records(df, COMPARE_CSV_COLUMNS), indent=2,
                      ensure_ascii=False) + "\n"


# --- explain ---------------------------------------------------------------------------------

def explain_renderables(e: Explanation) -> list[RenderableType]:
    """The plain-words lines, then the metric breakdown (metrics with a value or score) and
    the domain table."""
    out: list[RenderableType] = [Text(line) for line in e.lines]
    t = _table(f"{e.code}: metric scores", [
        ("Domain", "left"), ("Metric", "left"), ("Value", "right"), ("Score", "right"),
        ("Rank", "right"), ("Counts", "center"), ("Contribution", "right")])
    for r in frame_records(e.metrics):
        if r["score"] is None and r["raw_value"] is None:
            continue  # listed in the plain words as "no score (no value)"
        rank = "" if r["rank"] is None else f"{r['rank']} of {r['peers']}"
        t.add_row(r["domain"], f"{r['metric']} {r['name']}", _show(r["raw_value"]),
                  _show(r["score"], "score") + (" (supplied)" if r["supplied"] else ""),
                  rank, "Yes" if r["counts"] else "No", _show(r["contribution"], "contribution"))
    out.append(t)
    d = _table(f"{e.code}: domains", [("Domain", "left"), ("Metrics", "right"),
                                      ("Domain score", "right"), ("Domain segment", "center"),
                                      ("Contribution", "right")])
    for r in frame_records(e.domains):
        d.add_row(r["domain"], str(r["metrics_scored"]), _show(r["domain_score"], "score"),
                  _seg(r["domain_segment"]), _show(r["contribution"], "contribution"))
    out.append(d)
    return out


def explain_json(e: Explanation) -> str:
    data = {"code": e.code, "name": e.name, "type": e.org_type,
            "summary": {k: _plain(v) for k, v in e.summary.items()},
            "explanation": list(e.lines), "metrics": frame_records(e.metrics),
            "domains": frame_records(e.domains)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- what it takes ---------------------------------------------------------------------------

def what_it_takes_renderables(df: pd.DataFrame) -> list[RenderableType]:
    """The goal, then one row per metric: the raw value that gets there (one line when the
    organisation is already in segment 1 / at position 1)."""
    a = df.attrs
    if a.get("done"):
        head, _, why = str(a.get("goal", "")).partition("; ")
        return [Text(f"What it would take: {a.get('code', '')} {a.get('name', '')} is {head}: "
                     f"there is nothing better to reach{f' ({why})' if why else ''}.",
                     style="bold")]
    head = (f"What it would take: {a.get('code', '')} {a.get('name', '')}, now segment "
            f"{a.get('segment', '')} (unadjusted {a.get('unadjusted_segment', '')}), position "
            f"{a.get('position', '')}. Goal: {a.get('goal', '')}, one metric at a time, "
            "everyone else as they are.")
    t = _table("", [("Metric", "left"), ("Now", "right"), ("Score", "right"),
                    ("Needs", "right"), ("Change", "right"), ("New score", "right"),
                    ("New avg", "right"), ("New seg", "center"), ("New pos", "right"),
                    ("Note", "left")])
    for r in frame_records(df):
        needs = (f"{r['comparison']} {_show(r['target_value'])}".strip()
                 if r["reachable"] and r["target_value"] is not None else "-")
        change = _show(r["change_needed"]) if r["reachable"] else ""
        if change and r["change_needed"] and r["change_needed"] > 0:
            change = "+" + change
        score = _show(r["current_score"], "score") + ("*" if r["score_supplied"] else "")
        t.add_row(f"{r['value_id']} {r['name']}", _show(r["current_value"]), score, needs,
                  change, _show(r["new_score"], "score"), _show(r["new_average"], "new_average"),
                  _seg(r["new_segment"]), _show(r["new_position"]), r["note"])
    out: list[RenderableType] = [Text(head, style="bold"), t]
    if bool(df["score_supplied"].any()) if len(df) else False:
        out.append(Text("* supplied score: the new score is read off the peers' supplied scores "
                        "(ranked metrics) or scored with the catalogue's bands (banded); the "
                        "other organisations' supplied scores stay as given."))
    return out


def what_it_takes_csv(df: pd.DataFrame) -> str:
    return frame_csv(df, WHAT_IT_TAKES_COLUMNS)


def what_it_takes_json(df: pd.DataFrame) -> str:
    data = {**{k: _plain(v) for k, v in df.attrs.items()},
            "metrics": frame_records(df, WHAT_IT_TAKES_COLUMNS)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- history ---------------------------------------------------------------------------------

def history_csv(h: History) -> str:
    """``history --format csv``: :data:`HISTORY_COLUMNS`, one row per organisation × quarter."""
    return frame_csv(h.frame, HISTORY_COLUMNS)


def history_json(h: History) -> str:
    data = {"quarters": [{"quarter": q, "book": s} for q, s in zip(h.quarters, h.sources)],
            "rows": frame_records(h.frame, HISTORY_COLUMNS),
            "movers": frame_records(h.movers, MOVERS_COLUMNS),
            "warnings": list(h.warnings)}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def history_renderables(h: History) -> list[RenderableType]:
    """Per type: each organisation's position and segment by quarter, and whether its average
    changed significantly from the quarter before; then the movers."""
    out: list[RenderableType] = []
    for org_type in h.types:
        wide = h.wide(org_type)
        cols: list[tuple[str, str]] = [("Code", "left"), ("Organisation", "left")]
        for i, q in enumerate(h.quarters):
            cols += [(f"{q} pos", "right"), (f"{q} seg", "center")]
            if i:
                cols.append((f"{q} signif.", "center"))
        t = _table(f"History: {org_type}", cols)
        for code, row in wide.iterrows():
            cells: list = [str(code), str(_show(row[("", "name")]))]
            for i, q in enumerate(h.quarters):
                cells += [_show(row[(q, "position")]), _seg(row[(q, "final_segment")])]
                if i:
                    cells.append(_show(row[(q, "significant")]))
            t.add_row(*cells)
        out.append(t)
    if len(h.movers):
        t = _table("Largest movers", [
            ("Quarters", "left"), ("Type", "left"), ("Code", "left"), ("Organisation", "left"),
            ("Pos old", "right"), ("Pos new", "right"), ("Move", "right"),
            ("Seg old", "center"), ("Seg new", "center"), ("Significant", "center")])
        for r in frame_records(h.movers):
            move = r["places_gained"]
            t.add_row(f"{r['quarter_from']} to {r['quarter_to']}", r["type"], r["code"],
                      r["name"], _show(r["position_old"]), _show(r["position_new"]),
                      f"+{move}" if move > 0 else str(move), _seg(r["segment_old"]),
                      _seg(r["segment_new"]), _show(r["significant"]))
        out.append(t)
    out.append(Text("Segments shown are final segments (5 = Recovery Support Programme). "
                    "Significant: the change in average metric score from the quarter before, "
                    "Yes where its 95 % interval (a paired bootstrap of the organisation's "
                    "metric scores, an inferred test) excludes 0; blank in the first quarter."))
    out.extend(Text(f"Warning: {w}") for w in h.warnings)
    return out
