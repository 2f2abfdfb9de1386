"""What the Excel front end offers, as data: the worksheet functions and the macros.

One source for the Instructions sheet of ``workbook/league_tables.xlsm`` (and checked by the
tests against ``workbook/league_tables.py``, so the two cannot drift apart).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Formula", "Macro", "FORMULAS", "MACROS", "SETUP_STEPS"]


@dataclass(frozen=True)
class Formula:
    name: str
    arguments: str
    example: str
    returns: str


@dataclass(frozen=True)
class Macro:
    name: str
    does: str


FORMULAS: tuple[Formula, ...] = (
    Formula("NOF_METRIC_SCORES", "values, direction, [peer_groups]",
            '=NOF_METRIC_SCORES(\'Acute inputs\'!G2:G135, "OF0023")',
            "a column of metric scores 1.00 (best) to 4.00 (worst): 1 + 3 x (how many are "
            "strictly better) / (n - 1), ties share the better score. direction: \"higher\", "
            "\"lower\" or a metric ID (its direction, bands — OF0079, OF0081 — or, for OF1080, "
            "the finance matrix over two columns of scores). peer_groups: labels ranked apart; "
            "with a metric ID, the trust types (the catalogue then decides the peer group)."),
    Formula("NOF_AVERAGE", "scores",
            "=NOF_AVERAGE(D1:Z135)",
            "per row: the average metric score (2 dp, rounded like ROUND) and the number of "
            "metrics scored. With a header row of score IDs (OF1023 ...) only the scores that "
            "count are averaged (OF1079/OF1081 do not, OF1080 does)."),
    Formula("NOF_CUT_POINTS", "averages",
            "=NOF_CUT_POINTS(E2:E206)",
            "one row c1, c2, c3: QUARTILE.INC of the 2-dp averages (select every trust's "
            "average for the national 2025/26 cut-points)."),
    Formula("NOF_SEGMENTS", "averages, [cut_points]",
            "=NOF_SEGMENTS(E2:E206)  or  =NOF_SEGMENTS(E2:E206, {2.05,2.33,2.62})",
            "segment 1 to 4 per average: national quartiles of the averages given, or the three "
            "cut-points given; an average at or above a cut-point goes to the worse segment."),
    Formula("NOF_ADJUSTED_SEGMENT", "segments, in_deficit",
            "=NOF_ADJUSTED_SEGMENT(F2:F206, G2:G206)",
            "the financial override: in deficit (Yes) and segment 1 or 2 becomes 3; segments 3 "
            "and 4 unchanged; blank = not in deficit."),
    Formula("NOF_POSITIONS", "types, segments, averages",
            "=NOF_POSITIONS(C2:C206, H2:H206, E2:E206)",
            "league position within each trust type by segment, then 2-dp average; equal "
            "pairs share a position and the next one skips (1, 2, 2, 4)."),
    Formula("NOF_LEAGUE_TABLE", "inputs, [cut_points], [replicates], [org_type]",
            '=NOF_LEAGUE_TABLE(A1:AC206, , 0, "acute")',
            "the whole league table with a header row (spills in Excel 365): inputs are a "
            "header row — Code, Name, Type, In deficit, In RSP, then metric IDs — and one row "
            "per organisation. Columns as `xl-league table --format csv`. replicates 0 turns "
            "the likely ranges off (faster)."),
    Formula("NOF_LIVE_TABLE", "org_type, acute, non_acute, ambulance, icb, [replicates]",
            "=NOF_LIVE_TABLE(\"acute\", 'Acute inputs'!$A$1:$AH$500, 'Non-acute "
            "inputs'!$A$1:$AH$500, 'Ambulance inputs'!$A$1:$AH$500, "
            "'ICB inputs'!$A$1:$AH$500, 0)",
            "one type's league table (header row first) from the four input sheets, computed "
            "as the Recalculate macro does with this workbook's Settings and Metrics — all four "
            "sheets, because the national cut-points pool every trust. The Live sheet holds "
            "one per type."),
)

MACROS: tuple[Macro, ...] = (
    Macro("SampleCall", "the quickstart macro (Alt+F8): runs league_tables.main(), which "
                        "recalculates this workbook — the same as `xl-league recalc`."),
    Macro("RecalculateLeagueTables", "recalculate every output sheet from the Settings, "
                                     "Metrics and input sheets. Input sheets are never changed; "
                                     "problems are listed on a Problems sheet."),
    Macro("BuildPacks", "one plain .xlsx pack per organisation, in a '<workbook> packs' folder "
                        "beside this workbook."),
    Macro("ImportNhseData", "paste NHS England's trust-data CSV on the 'NHSE data' sheet "
                            "(header in row 1) first: fills the empty input sheets with the "
                            "rules of `xl-league import-nhse`, then recalculates."),
    Macro("WhatIfSetUp", "type an organisation code in 'What-if'!B3 first: copies its inputs "
                         "to the What-if sheet."),
    Macro("WhatIf", "recalculates everyone with the What-if column in place of that "
                    "organisation's inputs; shows average, segments and position before and "
                    "after."),
)

SETUP_STEPS: tuple[str, ...] = (
    "Install Python 3.11 or later, then xl-league (which brings exactly the xlwings version "
    "this workbook's VBA needs): in a terminal, in a copy of the xl-league project,  pip "
    "install .   macOS: also run  xlwings runpython install  once.",
    "Keep league_tables.py in the same folder as this workbook: xlwings imports it from there "
    "(the xlwings.conf sheet names it, so the workbook may be renamed).",
    "Open this workbook and enable macros. If Excel cannot find Python, set the interpreter "
    "in your own ~/.xlwings/xlwings.conf or on the xlwings ribbon (xlwings addin install) — "
    "not on the xlwings.conf sheet, where a key would override your and IT's settings.",
    "Recalculate: Alt+F8 (macOS: Tools > Macro > Macros), run SampleCall. Works on Windows "
    "and macOS.",
    "Windows only — the NOF_* formulas, the Live sheet and the other macros: tick File > "
    "Options > Trust Center > Trust Center Settings > Macro Settings > 'Trust access to the "
    "VBA project object model' once, then run ImportPythonUDFs (Alt+F8), or click Import "
    "Functions on the xlwings ribbon. Run it again after upgrading xl-league. The functions "
    "are listed under 'xl-league' in Insert Function; after changing the Settings or Metrics "
    "sheet press Ctrl+Alt+F9.",
    "NHS England's data: paste its trust-data CSV on the NHSE data sheet (header in A1) and "
    "run ImportNhseData; it fills the empty input sheets as xl-league import-nhse does.",
    "macOS has no xlwings formulas (UDFs are Windows-only): run the macros from your own VBA, "
    "e.g.  RunPython \"import league_tables; league_tables.WhatIf()\"",
)
