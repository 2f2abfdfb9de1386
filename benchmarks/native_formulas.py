"""The same league tables as native spreadsheet formulas, recalculated by LibreOffice headless.

:func:`build_native_workbook` writes one workbook that redoes the NOF arithmetic in plain
formulas (functions Excel 2010 and LibreOffice both have), from the same inputs as the engine:

* ranked metric scores (21 of the 2025/26 metrics): ``1 + 3·b/(n−1)`` with ``COUNTIFS`` over
  the peer group (the organisation's type, or the national pool), ties sharing the better score;
* banded, combined (finance matrix) and supplied scores are typed in as the engine's values
  (a formula for the banded rules and the 4×4 lookup is possible but not written here);
* metrics scored, average metric score (``ROUND(AVERAGE(…), 2)``), the national quartile
  cut-points (``QUARTILE``, the same as ``QUARTILE.INC``), unadjusted segment, financial
  override, segment 5, and the league position within the type (``COUNTIFS`` on segment and
  average: competition ranking).

Likely ranges (the bootstrap) are **not** in it: 2,000 resamples per organisation have no
reasonable formula form, so LibreOffice does less work than ``xl-league recalc`` here.

:func:`time_libreoffice` times ``soffice --headless --convert-to xlsx`` with a private profile
that forces every formula to be recalculated on load (``OOXMLRecalcMode`` = 0), beside the
same conversion of a values-only copy (LibreOffice's own load + save floor, start-up included).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from xl_league.engine import LeagueTables
from timing import Timing
from xl_league.libreoffice import RECALC_ALWAYS, convert, find_soffice, recalculating_profile

__all__ = ["build_native_workbook", "values_only_copy", "find_soffice", "time_libreoffice",
           "native_results", "matches_engine", "RECALC_ALWAYS"]

TOLERANCE = "0.000000001"  # the engine's 1e-9: an average equal to a cut-point is worse
FIXED = ["Code", "Name", "Type", "In deficit", "In RSP"]
OUTPUTS = ["Metrics scored", "Average metric score", "Unadjusted segment", "Segment",
           "Final segment", "Position"]


def _yes_no(flag: object) -> str:
    return "Yes" if bool(flag) else "No"


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def build_native_workbook(results: LeagueTables, path: Path) -> Path:
    """Inputs + native formulas for the league tables of ``results`` (one national pool)."""
    meth = results.methodology
    league = results.league
    pools = [p for p in meth.national_pools if league["type"].isin(p).any()]
    if meth.cut_point_rule != "national-quartiles" or len(pools) != 1:
        raise ValueError("the native-formula workbook covers one national pool with quartile "
                         "cut-points (the 2025/26 trusts' rule)")
    counted = [m for m in results.catalogue
               if m.in_average and m.score_id in results.metric_scores.columns
               and results.metric_scores[m.score_id].notna().any()]
    n = len(league)
    last = n + 1
    wb = Workbook()
    inputs = wb.active
    inputs.title = "Inputs"
    scores = wb.create_sheet("Scores")
    cuts = wb.create_sheet("Cut-points")

    inputs.append(FIXED + [m.value_id if m.scoring == "ranked" else m.score_id for m in counted])
    for code, row in league.iterrows():
        cells: list[object] = [code, row["name"], row["type"], _yes_no(row["in_deficit"]),
                               _yes_no(row["in_rsp"])]
        for m in counted:
            if m.scoring == "ranked":
                cells.append(_number(results.metric_values.at[code, m.value_id])
                             if m.value_id in results.metric_values.columns else None)
            else:
                cells.append(_number(results.metric_scores.at[code, m.score_id]))
        inputs.append(cells)
    for r in range(2, last + 1):  # names are text, never formulas (see the hardening tests)
        inputs.cell(row=r, column=2).data_type = "s"

    first_metric = len(FIXED) + 1  # the Inputs sheet's first metric column
    types = f"Inputs!$C$2:$C${last}"
    scores.append(["Code", "Type"] + [m.score_id for m in counted] + OUTPUTS)
    first_score, last_score = 3, 2 + len(counted)  # the Scores sheet's metric columns
    out_col = {name: last_score + 1 + i for i, name in enumerate(OUTPUTS)}
    letter = {name: get_column_letter(c) for name, c in out_col.items()}
    score_range = (f"{get_column_letter(first_score)}{{r}}:"
                   f"{get_column_letter(last_score)}{{r}}")
    for r in range(2, last + 1):
        row: list[object] = [f"=Inputs!A{r}", f"=Inputs!C{r}"]
        for j, m in enumerate(counted):
            col = get_column_letter(first_metric + j)
            if m.scoring != "ranked":
                row.append(f"=IF(ISNUMBER(Inputs!{col}{r}),Inputs!{col}{r},\"\")")
                continue
            values = f"Inputs!{col}$2:{col}${last}"
            own = f"Inputs!{col}{r}"
            better = ">" if m.higher_is_better else "<"
            if m.peer_group == "national":
                in_group = ""
            else:
                in_group = f"{types},Inputs!$C{r},"
            b = f"COUNTIFS({in_group}{values},\"{better}\"&{own})"
            size = f"COUNTIFS({in_group}{values},\"<>\")"
            applies = ",".join(f"Inputs!$C{r}=\"{t}\"" for t in m.types)
            score = f"IF({size}<=1,1,1+3*{b}/({size}-1))"
            for band in reversed(m.floor):  # the catalogue's floor, e.g. <70:4
                score = f"IF({own}{band.op}{band.threshold:g},{band.score:g},{score})"
            row.append(f"=IF(AND(ISNUMBER({own}),OR({applies})),{score},\"\")")
        scored = score_range.format(r=r)
        avg, seg, adj = (f"{letter[k]}{r}" for k in
                         ("Average metric score", "Unadjusted segment", "Segment"))
        row += [
            f"=COUNT({scored})",
            f"=IF(COUNT({scored})>={meth.minimum_metrics},ROUND(AVERAGE({scored}),2),\"\")",
            f"=IF({avg}=\"\",\"\",1+('Cut-points'!$A$2<={avg}+{TOLERANCE})"
            f"+('Cut-points'!$B$2<={avg}+{TOLERANCE})+('Cut-points'!$C$2<={avg}+{TOLERANCE}))",
            f"=IF({seg}=\"\",\"\",IF(AND(Inputs!D{r}=\"Yes\",{seg}<{meth.override_cap_segment}),"
            f"{meth.override_cap_segment},{seg}))",
            f"=IF({adj}=\"\",\"\",IF(AND(Inputs!E{r}=\"Yes\",OR("
            + ",".join(f"{adj}={s}" for s in meth.rsp_applies_to_segments)
            + f")),{meth.rsp_segment},{adj}))",
            f"=IF({adj}=\"\",\"\",1+COUNTIFS($B$2:$B${last},B{r},"
            f"${letter['Segment']}$2:${letter['Segment']}${last},\"<\"&{adj})"
            f"+COUNTIFS($B$2:$B${last},B{r},${letter['Segment']}$2:${letter['Segment']}${last},"
            f"{adj},${letter['Average metric score']}$2:${letter['Average metric score']}${last},"
            f"\"<\"&{avg}))",
        ]
        scores.append(row)
    avg_col = letter["Average metric score"]
    averages = f"Scores!${avg_col}$2:${avg_col}${last}"
    cuts.append(["Cut-point 1", "Cut-point 2", "Cut-point 3"])
    cuts.append([f"=QUARTILE({averages},{q})" for q in (1, 2, 3)])
    wb.save(path)
    return path


def values_only_copy(recalculated: Path, path: Path) -> Path:
    """The recalculated workbook with every formula replaced by its value (same cells)."""
    wb = load_workbook(recalculated, data_only=True)
    wb.save(path)
    return path


def _convert(soffice: str, profile: Path, book: Path, outdir: Path) -> float:
    """Seconds LibreOffice takes to open, recalculate and save ``book`` as .xlsx."""
    (outdir / f"{book.stem}.xlsx").unlink(missing_ok=True)
    start = time.perf_counter()
    convert([book], "xlsx", outdir, profile=profile, soffice=soffice, timeout=600)
    return time.perf_counter() - start


def time_libreoffice(soffice: str, book: Path, work: Path, repeats: int, *,
                     warm_up: bool = True) -> tuple[Timing, Path]:
    """(LibreOffice recalculating ``book`` beside converting its values-only copy, output).

    A first, untimed conversion creates the private profile (LibreOffice's first start is
    slower); then the values-only copy and the formula workbook are converted alternately.
    Without ``warm_up`` (a smoke run) one pair is timed, the formula workbook first: its
    figure includes creating the profile.
    """
    profile = recalculating_profile(work / "profile")
    out = work / "out"
    computed = out / f"{book.stem}.xlsx"
    if not warm_up:
        ours = _convert(soffice, profile, book, out)
        plain = values_only_copy(computed, work / f"{book.stem}-values.xlsx")
        return Timing((ours,), (_convert(soffice, profile, plain, work / "out-values"),)), computed
    _convert(soffice, profile, book, out)  # warm-up: profile creation, font cache
    plain = values_only_copy(computed, work / f"{book.stem}-values.xlsx")
    ours, base = [], []
    for _ in range(max(1, repeats)):
        base.append(_convert(soffice, profile, plain, work / "out-values"))
        ours.append(_convert(soffice, profile, book, out))
    return Timing(tuple(ours), tuple(base)), computed


def native_results(path: Path) -> pd.DataFrame:
    """The outputs LibreOffice computed, by code."""
    wb = load_workbook(path, data_only=True, read_only=True)
    try:
        rows = list(wb["Scores"].iter_rows(values_only=True))
    finally:
        wb.close()
    header = list(rows[0])
    frame = pd.DataFrame([list(r) for r in rows[1:]], columns=header)
    return frame.set_index("Code")[OUTPUTS]


def matches_engine(path: Path, results: LeagueTables) -> bool:
    """Do LibreOffice's metrics scored, averages, segments and positions equal the engine's?"""
    got = native_results(path)
    league = results.league
    pairs = {"Metrics scored": "metrics_scored", "Average metric score": "average_score",
             "Unadjusted segment": "unadjusted_segment", "Segment": "segment",
             "Final segment": "final_segment", "Position": "position"}
    for ours, theirs in pairs.items():
        a = pd.to_numeric(got[ours].replace("", np.nan), errors="coerce").reindex(league.index)
        b = league[theirs].astype(float)
        if not np.allclose(a.to_numpy(dtype=float), b.to_numpy(dtype=float), equal_nan=True,
                           atol=1e-9):
            return False
    return True
