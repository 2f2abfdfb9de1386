"""Where everything lives in the workbook: sheet names, columns, settings keys, styles.

One source of truth shared by the template builder, the reader and the writer, so a sheet or
column renamed here is renamed everywhere. Pure constants and small helpers, no I/O.

Input sheets (one per organisation type) have a heading row 1 and data from row 2::

    Code | Name | Region | Subtype | In deficit | In RSP | OF0023 | OF0003 | ... | OF1067

Metric columns are headed by the bare metric ID: the value ID (``OF0023``) where the metric
has a raw value, else the score ID (``OF1067``). An extra score-ID column (``OF1023``) holds a
supplied score, which wins over the score computed from the raw value.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.catalogue import DOMAINS, Catalogue, Metric
from ..vocabulary import MISSING_MARKERS  # one vocabulary: xl_league.vocabulary

__all__ = ["metric_note", 
    "INPUT_SHEETS", "LEAGUE_SHEETS", "ABOUT_SHEET", "SETTINGS_SHEET", "METRICS_SHEET",
    "METRIC_SCORES_SHEET", "CUT_POINTS_SHEET", "DASHBOARD_SHEET", "OUTPUT_SHEETS",
    "TEMPLATE_SHEETS",
    "INPUT_TABLES", "INPUT_FIXED_COLUMNS", "INPUT_ROWS", "OUTPUT_ROWS", "Setting", "SETTINGS",
    "SETTINGS_KEYS", "LAST_RECALCULATED_KEY", "LeagueColumn", "LEAGUE_TABLE_COLUMNS",
    "SEGMENT_COLOURS", "SEGMENT_KEYS", "MISSING_MARKERS", "EXCEL_ERRORS", "ABOUT_LAST_RECALCULATED",
    "ABOUT_SETTINGS_ROW", "OGL_ATTRIBUTION", "STYLE_HEADER", "STYLE_SCORE", "STYLE_WHOLE",
    "STYLE_TEXT", "STYLE_CENTRED", "TEMPLATE_FILENAME", "input_metric_columns", "sheet_ref",
]

INPUT_SHEETS: dict[str, str] = {
    "acute": "Acute inputs",
    "non-acute": "Non-acute inputs",
    "ambulance": "Ambulance inputs",
    "icb": "ICB inputs",
}
LEAGUE_SHEETS: dict[str, str] = {
    "acute": "Acute league table",
    "non-acute": "Non-acute league table",
    "ambulance": "Ambulance league table",
    "icb": "ICB league table",
}
ABOUT_SHEET = "About"
SETTINGS_SHEET = "Settings"
METRICS_SHEET = "Metrics"
METRIC_SCORES_SHEET = "Metric scores"
CUT_POINTS_SHEET = "Cut-points"
DASHBOARD_SHEET = "Dashboard"

#: Sheets a recalculation rewrites (cleared and written again, never deleted).
OUTPUT_SHEETS: tuple[str, ...] = (DASHBOARD_SHEET, *LEAGUE_SHEETS.values(), METRIC_SCORES_SHEET,
                                  CUT_POINTS_SHEET)
#: Every sheet of the template, in order.
TEMPLATE_SHEETS: tuple[str, ...] = (ABOUT_SHEET, DASHBOARD_SHEET, SETTINGS_SHEET, METRICS_SHEET,
                                    *INPUT_SHEETS.values(), *LEAGUE_SHEETS.values(),
                                    METRIC_SCORES_SHEET, CUT_POINTS_SHEET)
#: Excel table (ListObject) name of each input sheet.
INPUT_TABLES: dict[str, str] = {
    "acute": "AcuteInputs",
    "non-acute": "NonAcuteInputs",
    "ambulance": "AmbulanceInputs",
    "icb": "ICBInputs",
}
#: (field, heading) of the fixed columns that start every input sheet.
INPUT_FIXED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "Code"), ("name", "Name"), ("region", "Region"), ("subtype", "Subtype"),
    ("in_deficit", "In deficit"), ("in_rsp", "In RSP"),
)
#: Rows (from row 2) covered by input data validation in the template.
INPUT_ROWS = 1000
#: Rows (from row 2) covered by conditional formatting on output sheets.
OUTPUT_ROWS = 1000

TEMPLATE_FILENAME = "nof-league-tables-template.xlsx"
OGL_ATTRIBUTION = ("Contains public sector information licensed under the Open Government "
                   "Licence v3.0.")

#: Typed where there is no value (compared lower-case, stripped); read as blank, no problem.
#: Excel error values; a problem wherever they appear in an input cell.
EXCEL_ERRORS = frozenset({"#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
                          "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!",
                          "#CONNECT!", "#BUSY!", "#UNKNOWN!"})

# Named cell styles registered in the workbook (cheap to assign, no per-cell style objects).
STYLE_HEADER = "xl-league heading"
STYLE_SCORE = "xl-league score"
STYLE_WHOLE = "xl-league whole number"
STYLE_TEXT = "xl-league text"
STYLE_CENTRED = "xl-league centred"


@dataclass(frozen=True)
class Setting:
    """One row of the Settings sheet: key in A, value in B, help in C."""

    key: str
    help: str
    kind: str            # "text", "rule", "decimal", "yes/no", "whole"


SETTINGS: tuple[Setting, ...] = (
    Setting("year", "Framework year of the method and metric catalogue, e.g. 2025/26.", "text"),
    Setting("quarter", "Quarter of the data, e.g. Q2 2025/26 (shown on the outputs).", "text"),
    Setting("cut_point_rule", "How segments are cut: national-quartiles (one set of quartile "
            "cut-points over all NHS trusts), type-quartiles (per trust type) or fixed "
            "(cut_point_1 to cut_point_3 below).", "rule"),
    Setting("cut_point_1", "Fixed cut-point between segments 1 and 2 (rule 'fixed'). An average "
            "at or above a cut-point goes to the worse segment.", "decimal"),
    Setting("cut_point_2", "Fixed cut-point between segments 2 and 3 (rule 'fixed').", "decimal"),
    Setting("cut_point_3", "Fixed cut-point between segments 3 and 4 (rule 'fixed').", "decimal"),
    Setting("deficit_fallback", "Yes: where 'In deficit' is blank, derive it from the finance "
            "metrics (planned deficit or adverse variance to plan); the league table says "
            "'(derived)'. No: blank means not in deficit.", "yes/no"),
    Setting("minimum_metrics", "Fewest metric scores an organisation needs for an average "
            "metric score (and a segment).", "whole"),
    Setting("bootstrap_replicates", "Resamples used for the likely ranges of score and "
            "position; 0 turns likely ranges off.", "whole"),
    Setting("bootstrap_seed", "Random seed of the likely ranges (same seed, same ranges).",
            "whole"),
)
SETTINGS_KEYS: tuple[str, ...] = tuple(s.key for s in SETTINGS)
LAST_RECALCULATED_KEY = "last_recalculated"

# About sheet: the "last recalculated" value cell and the first row of "settings used".
ABOUT_LAST_RECALCULATED = "B16"
ABOUT_SETTINGS_ROW = 19


@dataclass(frozen=True)
class LeagueColumn:
    """One column of a league table sheet."""

    key: str             # LeagueTables.league column (or "domain:<name>")
    heading: str
    width: float
    style: str


LEAGUE_TABLE_COLUMNS: tuple[LeagueColumn, ...] = (
    LeagueColumn("position", "Position", 9, STYLE_CENTRED),
    LeagueColumn("code", "Code", 8, STYLE_TEXT),
    LeagueColumn("name", "Organisation", 44, STYLE_TEXT),
    LeagueColumn("region", "Region", 22, STYLE_TEXT),
    LeagueColumn("subtype", "Subtype", 20, STYLE_TEXT),
    LeagueColumn("average_score", "Average metric score", 11, STYLE_SCORE),
    LeagueColumn("metrics_scored", "Metrics scored", 9, STYLE_WHOLE),
    LeagueColumn("unadjusted_segment", "Unadjusted segment", 11, STYLE_CENTRED),
    LeagueColumn("in_deficit", "In deficit", 13, STYLE_CENTRED),
    LeagueColumn("override_applied", "Financial override applied", 11, STYLE_CENTRED),
    LeagueColumn("segment", "Segment", 9, STYLE_CENTRED),
    LeagueColumn("in_rsp", "In RSP", 8, STYLE_CENTRED),
    LeagueColumn("final_segment", "Final segment", 9, STYLE_CENTRED),
    LeagueColumn("score_low", "Likely score from", 10, STYLE_SCORE),
    LeagueColumn("score_high", "Likely score to", 10, STYLE_SCORE),
    LeagueColumn("rank_low", "Likely position from", 10, STYLE_WHOLE),
    LeagueColumn("rank_high", "Likely position to", 10, STYLE_WHOLE),
    LeagueColumn("distance_to_next_segment", "Distance to next segment", 11, STYLE_SCORE),
    *(LeagueColumn(f"domain:{d}", d, 13, STYLE_SCORE) for d in DOMAINS),
)
#: League table columns holding a segment (coloured by conditional formatting).
SEGMENT_KEYS = ("unadjusted_segment", "segment", "final_segment")

#: Segment → (fill colour, font colour): 1 green … 4 red, 5 dark.
SEGMENT_COLOURS: dict[int, tuple[str, str]] = {
    1: ("63BE7B", "000000"),
    2: ("C6E0B4", "000000"),
    3: ("FFD966", "000000"),
    4: ("F8696B", "000000"),
    5: ("404040", "FFFFFF"),
}


def input_metric_columns(catalogue: Catalogue, org_type: str) -> list[str]:
    """The metric column IDs of one input sheet: the value ID of metrics scored from their raw
    value (ranked, banded), the score ID of supplied scores; combined metrics (OF1080) are
    computed from their components, so they get no column (an import may add one)."""
    return [m.value_id if m.scoring in ("ranked", "banded") else m.score_id
            for m in catalogue.for_type(org_type) if m.scoring != "combined"]


def sheet_ref(sheet: str, cell: str) -> str:
    """``'Acute inputs'!G12`` — how messages name a cell."""
    return f"'{sheet}'!{cell}"


def metric_note(metric: Metric, kind: str) -> str:
    """The heading comment of a metric column: its name and how it is scored."""
    what = "score from 1 (best) to 4 (worst)" if kind == "score" else (
        f"value, {metric.direction} is better")
    return f"{metric.score_id}: {metric.name}\n{metric.domain}; {what}."
