"""The NOF_* worksheet functions, called as plain Python with what Excel really passes.

Excel (through xlwings) passes a range as a 2-D list of rows, a one-cell range as a scalar
(or a flat list when ``ndim=1`` is not applied), ``None`` for blank cells, ``""`` for a formula
returning empty text, floats for numbers, strings for text, ``True``/``False`` and error values
as text ("#N/A"). Every function must return values or one short message, never raise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xl_league import compute_league_tables, load_catalogue, load_methodology
from xl_league.demo import national_demo_dataset
from xl_league.engine.pipeline import LEAGUE_CSV_COLUMNS
from xl_league.excel import udfs
from xl_league.excel.log import MESSAGE_PREFIX


def column(*values):
    return [[v] for v in values]


def message(result) -> str:
    assert len(result) == 1 and len(result[0]) == 1, result
    text = result[0][0]
    assert isinstance(text, str) and text.startswith(MESSAGE_PREFIX), result
    return text[len(MESSAGE_PREFIX):]


# --- a national synthetic dataset (205 trusts) ----------------------------------------------

TYPE_COUNTS = {"acute": 134, "non-acute": 61, "ambulance": 10}


def national_dataset(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Organisations and metric values for every catalogue metric, with ties and gaps."""
    rng = np.random.default_rng(seed)
    meth = load_methodology()
    cat = load_catalogue(meth)
    codes, types = [], []
    for t, n in TYPE_COUNTS.items():
        prefix = {"acute": "RA", "non-acute": "RN", "ambulance": "RX"}[t]
        codes += [f"{prefix}{i:03d}" for i in range(n)]
        types += [t] * n
    types_s = pd.Series(types, index=codes)
    orgs = pd.DataFrame({
        "code": codes, "name": [f"Trust {c}" for c in codes], "type": types,
        "in_deficit": rng.choice(["Yes", "No"], size=len(codes), p=[0.6, 0.4]),
        "in_rsp": rng.choice(["Yes", "No"], size=len(codes), p=[0.05, 0.95]),
    })
    values = pd.DataFrame(index=pd.Index(codes, name="code"))
    for m in cat:
        applies = types_s.isin(m.types).to_numpy()
        if m.scoring in ("ranked", "banded"):
            v = np.round(rng.normal(0 if m.scoring == "banded" else 50, 2 if m.scoring ==
                                    "banded" else 10, len(codes)), 1)  # 1 dp: ties happen
            v[~applies | (rng.random(len(codes)) < 0.05)] = np.nan
            values[m.value_id] = v
        elif m.scoring == "supplied":
            s = rng.integers(1, 5, len(codes)).astype(float)
            s[~applies | (rng.random(len(codes)) < 0.1)] = np.nan
            values[m.score_id] = s
    return orgs, values.reset_index()


@pytest.fixture(scope="module", params=["demo", "ties"])
def national(request):
    """The bundled demo dataset (xl-league demo), and a rougher one with many tied values."""
    if request.param == "demo":
        demo = national_demo_dataset()
        orgs, values = demo.organisations, demo.values.reset_index()
    else:
        orgs, values = national_dataset()
    meth = load_methodology().with_settings(bootstrap_replicates=0)
    return orgs, values, compute_league_tables(orgs, values, meth)


def input_range(orgs: pd.DataFrame, values: pd.DataFrame) -> list[list]:
    """The dataset as an Excel range: header row, then None for every blank cell."""
    header = ["Code", "Name", "Type", "In deficit", "In RSP"] + list(values.columns[1:])
    rows = []
    for (_, o), (_, v) in zip(orgs.iterrows(), values.iterrows()):
        nums = [None if pd.isna(x) else float(x) for x in v.iloc[1:]]
        rows.append([o["code"], o["name"], o["type"], o["in_deficit"], o["in_rsp"]] + nums)
    return [header] + rows


# --- NOF_METRIC_SCORES ----------------------------------------------------------------------

def test_metric_scores_column_in_column_out_with_ties_and_blanks():
    out = udfs.metric_scores(column(80.0, 78.0, None, 78.0, 60.0, ""), "higher")
    # n = 4 with a value; 78 twice: one better each -> 1 + 3*1/3 = 2; 60 worst -> 4
    assert out == [[1.0], [2.0], [None], [2.0], [4.0]]      # the trailing blank is trimmed


def test_metric_scores_lower_is_better_and_row_orientation():
    assert udfs.metric_scores([[4.0, 5.0, 6.0]], "lower") == [[1.0, 2.5, 4.0]]
    assert udfs.metric_scores([[4.0, 5.0, 6.0]], "Lower is better") == [[1.0, 2.5, 4.0]]


def test_metric_scores_flat_list_scalar_and_numeric_text():
    assert udfs.metric_scores([3.0, 1.0], "h") == [[1.0], [4.0]]   # ndim=1 converter absent
    assert udfs.metric_scores(42.0, "higher") == [[1.0]]          # one cell: n = 1 -> 1.00
    assert udfs.metric_scores(column("10", " 20 "), "higher") == [[4.0], [1.0]]


def test_metric_scores_read_text_as_the_workbook_reader_does():
    # missing markers are blanks; "62.5%" and "1,234" are numbers (as on the input sheets)
    assert udfs.metric_scores(column("62.5%", "-", "n/a", "1,234", 50.0), "higher") == \
        [[2.5], [None], [None], [1.0], [4.0]]


def test_metric_scores_metric_id_takes_the_catalogue_direction():
    by_id = udfs.metric_scores(column(5.0, 4.0, 6.0), "OF0082")    # sickness absence: lower
    assert by_id == udfs.metric_scores(column(5.0, 4.0, 6.0), "lower")
    assert udfs.metric_scores(column(5.0, 4.0, 6.0), "of1013") == \
        udfs.metric_scores(column(5.0, 4.0, 6.0), "higher")


def test_metric_scores_metric_id_with_types_follows_the_catalogue_peer_group():
    types = column("acute", "acute", "Ambulance trust", "ambulance")
    # OF0013 A&E 4-hour: acute only, ranked within the type; the ambulance rows get no score
    assert udfs.metric_scores(column(80.0, 70.0, 60.0, 50.0), "OF0013", types) == \
        [[1.0], [4.0], [None], [None]]
    # OF0082 sickness absence: ranked nationally, all trust types together
    assert udfs.metric_scores(column(4.0, 5.0, 6.0, 7.0), "OF0082", types) == \
        [[1.0], [2.0], [3.0], [4.0]]
    # with 'lower' the labels are just labels: each distinct text is its own peer group
    assert udfs.metric_scores(column(4.0, 5.0, 6.0, 7.0), "lower", types) == \
        [[1.0], [4.0], [1.0], [1.0]]
    assert message(udfs.metric_scores(column(1.0, 2.0), "OF0013", column("acute", "A&E"))) == (
        "peer_groups row 2: 'A&E' is not a trust type (acute, non-acute, ambulance, icb)")


def test_metric_scores_peer_groups_rank_each_group_apart():
    out = udfs.metric_scores(column(80.0, 70.0, 60.0, 50.0), "higher",
                             column("acute", "acute", "ambulance", "ambulance"))
    assert out == [[1.0], [4.0], [1.0], [4.0]]
    # an empty peer_groups range is no peer groups (one group), as when it is left out
    assert udfs.metric_scores(column(1.0, 2.0), "higher", column(None, "")) == [[4.0], [1.0]]
    # a blank value needs no peer group; a value without one is a mistake
    assert udfs.metric_scores(column(1.0, None), "higher", column("a", None)) == [[1.0]]
    assert message(udfs.metric_scores(column(1.0, 2.0), "higher", column("a", None))) == (
        "peer_groups row 2: blank, but the value is 2; give every scored row its peer group "
        "(e.g. its trust type)")
    assert "peer_groups has 3 cells but the first range has 2" in message(
        udfs.metric_scores(column(1.0, 2.0), "higher", column("a", "a", "a")))


def test_metric_scores_banded_finance_metrics_use_the_catalogue_bands():
    # OF0079 planned surplus/deficit %: >=0 -> 1; >-1 -> 2; >-2 -> 3; else 4
    out = udfs.metric_scores(column(0.0, -0.5, -1.0, -1.5, -2.0, -7.0, None), "OF0079")
    assert out == [[1.0], [2.0], [3.0], [3.0], [4.0], [4.0]]


def test_metric_scores_combined_finance_score_takes_two_columns():
    out = udfs.metric_scores([[1.0, 1.0], [1.0, 4.0], [3.0, 2.0], [4.0, 4.0], [None, 2.0]],
                             "OF1080")
    assert out == [[1.0], [3.0], [3.0], [4.0], [None]]
    assert message(udfs.metric_scores(column(1.0, 2.0), "OF1080")) == (
        "values: OF1080 combines OF1079 and OF1081; select their two score columns side by side")
    assert message(udfs.metric_scores([[1.0, 6.0]], "OF1080")) == (
        "values row 1, column 2: 6 is not a score from 1 to 4")


@pytest.mark.parametrize("values, direction, expected", [
    (column(1.0, "abc"), "higher", "values row 2: 'abc' is not a number"),
    (column("#N/A", 1.0), "higher", "values row 1: the cell holds the Excel error #N/A; fix "
                                    "the formula or clear the cell"),
    (column(1.0, True), "higher", "values row 2: TRUE is not a number"),
    ([[1.0, 2.0], [3.0, 4.0]], "higher", "values: expected one column (or one row), got 2 "
                                         "rows × 2 columns"),
    (column(1.0), "sideways", "direction: 'sideways' is not 'higher', 'lower' or a metric ID "
                              "such as OF0013"),
    (column(1.0), "OF9999", "direction: 'OF9999' is not a metric in the 2025/26 catalogue"),
    (column(1.0), "OF1067", "direction: OF1067 is a supplied score (typed in, 1 to 4); there is "
                            "nothing to compute"),
    (column(1.0), "#REF!", "direction: the cell holds the Excel error #REF!"),
    (column(1.0), None, "direction: blank; give 'higher', 'lower' or a metric ID such as "
                        "OF0013"),
    ([[1.0], [2.0, 3.0]], "higher", "values: the rows have different lengths; select a "
                                    "rectangular range"),
])
def test_metric_scores_bad_input_is_one_readable_message(values, direction, expected):
    assert message(udfs.metric_scores(values, direction)) == expected


def test_metric_scores_empty_range_gives_a_blank_cell():
    assert udfs.metric_scores([], "higher") == [[None]]
    assert udfs.metric_scores(column(None, None), "higher") == [[None]]   # all blank: one cell


# --- NOF_AVERAGE ----------------------------------------------------------------------------

def test_average_is_the_plain_mean_per_row_rounded_like_excel():
    out = udfs.average_scores([[1.0, 4.0, 2.0], [None, None, None], [2.125, None, ""],
                               [1.0, 2.0, 4.0]])
    # 2.125 -> 2.13 (Excel ROUND, halves away from zero; Python's round gives 2.12)
    assert out == [[2.33, 3], [None, 0], [2.13, 1], [2.33, 3]]


def test_average_header_of_score_ids_lets_the_catalogue_decide_what_counts():
    out = udfs.average_scores([["OF1023", "OF1079", "OF1081", "OF1080"],
                               [1.0, 4.0, 4.0, 2.0], [3.0, 1.0, None, None]])
    # OF1079 and OF1081 are shown but not averaged; only the combined OF1080 counts
    assert out == [["average_score", "metrics_scored"], [1.5, 2], [3.0, 1]]


def test_average_single_cell_and_single_row():
    assert udfs.average_scores(2.5) == [[2.5, 1]]
    assert udfs.average_scores([[1.0, 2.0]]) == [[1.5, 2]]


@pytest.mark.parametrize("scores, expected", [
    ([[1.0, 5.0]], "scores row 1, column 2: 5 is not a metric score from 1 to 4"),
    ([[1.0, "x"]], "scores row 1, column 2: 'x' is not a number"),
    ([["OF1023", "RTT"], [1.0, 2.0]], "scores header column 2: 'RTT' is not a metric score ID "
                                      "(e.g. OF1023); use score IDs so the catalogue can tell "
                                      "which scores count, or select the scores without the "
                                      "header"),
    ([["OF1023"], ["#DIV/0!"]], "scores row 2, column 1: the cell holds the Excel error "
                                "#DIV/0!; fix the formula or clear the cell"),
    ([], "scores: the range is empty"),
])
def test_average_bad_input(scores, expected):
    assert message(udfs.average_scores(scores)) == expected


# --- NOF_CUT_POINTS, NOF_SEGMENTS -----------------------------------------------------------

def test_cut_points_are_quartile_inc_of_the_2dp_averages():
    # QUARTILE.INC({1..8}, 1/2/3) = 2.75, 4.5, 6.25
    assert udfs.cut_points(column(*[float(i) for i in range(1, 9)], None)) == [[2.75, 4.5, 6.25]]
    assert message(udfs.cut_points(column(1.0, 2.0, None, 3.0))) == (
        "averages: only 3 average(s); quartile cut-points need at least 4 (select every "
        "organisation's average, or give cut-points)")


def test_segments_from_national_quartiles_at_a_cut_point_goes_worse():
    avgs = [float(i) for i in range(1, 9)]   # cut-points 2.75, 4.5, 6.25
    out = udfs.segments(column(*avgs, None))
    assert out == [[1], [1], [2], [2], [3], [3], [4], [4]]
    assert udfs.segments(column(2.0, 2.05, 2.3), [[2.05, 2.33, 2.62]]) == [[1], [2], [2]]
    assert udfs.segments(column(2.33), column(2.05, 2.33, 2.62)) == [[3]]


def test_segments_round_the_average_to_2dp_first():
    cuts = [[2.045, 2.5, 3.0]]
    assert udfs.segments(column(2.0449, 2.045), cuts) == [[1], [2]]


@pytest.mark.parametrize("cuts, expected", [
    ([[2.0, 2.5]], "cut_points: [2.0, 2.5] must be three increasing numbers, e.g. 2.05, 2.33, "
                   "2.62"),
    ([[2.5, 2.0, 3.0]], "cut_points: [2.5, 2.0, 3.0] must be three increasing numbers, e.g. "
                        "2.05, 2.33, 2.62"),
    ([[2.0, "two", 3.0]], "cut_points cell 2: 'two' is not a number"),
])
def test_segments_bad_cut_points(cuts, expected):
    assert message(udfs.segments(column(2.0, 2.2), cuts)) == expected


def test_segments_blank_cut_point_cells_mean_quartiles():
    avgs = column(*[float(i) for i in range(1, 9)])
    assert udfs.segments(avgs, [[None, None, None]]) == udfs.segments(avgs)


# --- NOF_ADJUSTED_SEGMENT -------------------------------------------------------------------

def test_adjusted_segment_caps_deficit_trusts_at_3_and_never_moves_to_4():
    out = udfs.adjusted_segments(column(1.0, 2.0, 3.0, 4.0, 1.0, 2.0, None),
                                 column("Yes", True, "yes", 1.0, None, "No", "Yes"))
    assert out == [[3], [3], [3], [4], [1], [2], [None]]


def test_adjusted_segment_one_deficit_cell_applies_to_all():
    assert udfs.adjusted_segments([[1.0, 4.0]], "Yes") == [[3, 4]]
    assert udfs.adjusted_segments(2.0, "N") == [[2]]


@pytest.mark.parametrize("segs, flags, expected", [
    (column(1.0, 5.0), column("No", "No"), "segments row 2: 5 is not a segment 1, 2, 3 or 4"),
    (column(2.5), "No", "segments row 1: 2.5 is not a segment 1, 2, 3 or 4"),
    (column(1.0, 2.0), column("No", "maybe"), "in_deficit row 2: 'maybe' is not Yes or No "
                                              "(or blank)"),
    (column(1.0), "#N/A", "in_deficit row 1: the cell holds the Excel error #N/A"),
])
def test_adjusted_segment_bad_input(segs, flags, expected):
    assert message(udfs.adjusted_segments(segs, flags)) == expected


# --- NOF_POSITIONS --------------------------------------------------------------------------

def test_positions_competition_ranking_within_each_type():
    types = column("acute", "Acute trust", "acute", "acute", "Ambulance trust", "ambulance",
                   None)
    segs = column(1.0, 2.0, 2.0, 3.0, 3.0, 1.0, None)
    avgs = column(1.9, 2.1, 2.1, 1.5, 2.0, 3.0, None)
    # acute: (1,1.9)=1, (2,2.1)x2=2, (3,1.5)=4 — segment first, then average; skip after ties
    assert udfs.positions(types, segs, avgs) == [[1], [2], [2], [4], [2], [1]]


def test_positions_tie_is_on_the_2dp_average():
    assert udfs.positions(column("acute", "acute", "acute"), column(2.0, 2.0, 2.0),
                          column(2.104, 2.1, 2.2)) == [[1], [1], [3]]


@pytest.mark.parametrize("types, expected", [
    (column("acute", "hospital"), "types row 2: 'hospital' is not a trust type (acute, "
                                  "non-acute, ambulance, icb)"),
    (column("acute", None), "types row 2: blank; give the organisation's trust type"),
])
def test_positions_bad_types(types, expected):
    assert message(udfs.positions(types, column(1.0, 2.0), column(1.5, 2.5))) == expected


def test_positions_ranges_of_different_sizes():
    assert message(udfs.positions(column("acute"), column(1.0, 2.0), column(1.5))) == (
        "averages has 1 cells but segments has 2: select ranges of the same size")


# --- the chain of UDFs equals the engine ----------------------------------------------------

def test_chain_of_udfs_reproduces_the_engine_league_table(national):
    orgs, values, result = national
    cat = load_catalogue()
    types = column(*orgs["type"])
    vals = values.set_index("code")
    score_ids, score_cols = [], []
    by_id: dict[str, list] = {}
    for m in cat:
        if m.scoring == "combined":
            a, b = (by_id[c] for c in m.components)
            out = udfs.metric_scores([[x[0], y[0]] for x, y in zip(a, b)], m.score_id)
        elif m.scoring == "supplied":
            out = column(*[None if pd.isna(x) else x for x in vals[m.score_id]])
        else:
            raw = column(*[None if pd.isna(x) else x for x in vals[m.value_id]])
            out = udfs.metric_scores(raw, m.value_id, types)
        by_id[m.score_id] = out
        score_ids.append(m.score_id)
        score_cols.append([None if c[0] is None else c[0] for c in out])
    # the metric scores agree with the engine's metric-scores table, metric by metric
    engine_scores = result.metric_scores.loc[orgs["code"]]
    for sid, col in zip(score_ids, score_cols):
        got = np.array([np.nan if v is None else v for v in col])
        np.testing.assert_allclose(got, engine_scores[sid].to_numpy(float), err_msg=sid)

    scores_range = [score_ids] + [list(r) for r in zip(*score_cols)]
    averages = udfs.average_scores(scores_range)[1:]
    avg_col = column(*[a for a, _ in averages])
    unadjusted = udfs.segments(avg_col)
    adjusted = udfs.adjusted_segments(unadjusted, column(*orgs["in_deficit"]))
    pos = udfs.positions(types, adjusted, avg_col)

    league = result.league.loc[orgs["code"]]
    assert [a for a, _ in averages] == league["average_score"].tolist()
    assert [n for _, n in averages] == league["metrics_scored"].tolist()
    assert [s[0] for s in unadjusted] == league["unadjusted_segment"].tolist()
    assert [s[0] for s in adjusted] == league["segment"].tolist()
    assert [p[0] for p in pos] == league["position"].tolist()
    cuts = result.cut_points.iloc[0]
    assert udfs.cut_points(avg_col) == [[cuts["c1"], cuts["c2"], cuts["c3"]]]
    # the dataset exercises what the chain must get right: ties and the override
    assert league["override_applied"].any()
    assert league.dropna(subset=["position"]).duplicated(["type", "position"]).any()


# --- NOF_LEAGUE_TABLE -----------------------------------------------------------------------

def test_league_table_equals_the_engine_table(national):
    orgs, values, result = national
    out = udfs.league_table(input_range(orgs, values), None, 0)
    assert out[0] == LEAGUE_CSV_COLUMNS
    expected = result.league[LEAGUE_CSV_COLUMNS]
    assert len(out) == len(expected) + 1
    for got, (_, row) in zip(out[1:], expected.iterrows()):
        want = [None if pd.isna(v) else ("Yes" if v is True else "No" if v is False else v)
                for v in row]
        assert got == want


def test_league_table_with_likely_ranges_type_filter_and_cut_points(national):
    orgs, values, _ = national
    rng = input_range(orgs, values)
    cuts = [[2.2, 2.5, 2.8]]
    meth = load_methodology().with_settings(cut_points=(2.2, 2.5, 2.8), bootstrap_replicates=50)
    expected = compute_league_tables(orgs, values, meth).table("ambulance")
    out = udfs.league_table(rng, cuts, 50.0, "Ambulance trust")
    assert [r[2] for r in out[1:]] == expected["code"].tolist()
    assert [r[LEAGUE_CSV_COLUMNS.index("rank_high")] for r in out[1:]] == \
        expected["rank_high"].tolist()
    assert all(isinstance(r[LEAGUE_CSV_COLUMNS.index("score_low")], float) for r in out[1:])


def test_league_table_skips_spare_blank_rows_and_reads_flags_and_codes():
    rng = [["Trust code", "Trust_name", "Type", "In deficit", "In RSP", "OF0013", "OF0082"],
           ["RA1", "A", "Acute trust", False, None, 80.0, 4.0],
           [101.0, "B", "acute", "Yes", "No", 78.0, 5.0],
           ["RA3", "C", "acute", None, "", 70.0, "5.5"],
           ["RA4", "D", "acute", "No", None, 60.0, 6.0],
           [None, None, None, None, None, None, None]]
    out = udfs.league_table(rng, None, 0)
    assert [r[:4] for r in out[1:]] == [["acute", 1, "RA1", "A"], ["acute", 2, "101", "B"],
                                        ["acute", 3, "RA3", "C"], ["acute", 4, "RA4", "D"]]
    seg = LEAGUE_CSV_COLUMNS.index("segment")
    assert [r[seg] for r in out[1:]] == [1, 3, 3, 4]          # 101 is in deficit: 2 -> 3


@pytest.mark.parametrize("change, expected", [
    ((4, 5, "abc"), "OF0023 row 5: 'abc' is not a number"),
    ((2, 2, "hospital"), "organisation RA2: type 'hospital' is not one of acute, non-acute, "
                         "ambulance, icb"),
    ((3, 2, "#N/A"), "type row 4: the cell holds the Excel error #N/A"),
    ((2, 3, "perhaps"), "in deficit row 3: 'perhaps' is not Yes or No (or blank)"),
    ((0, 5, "RTT"), "inputs header column 6: 'RTT' is neither Code, Name, Type, Region, "
                    "Subtype, In deficit, In RSP nor a metric ID of the 2025/26 catalogue "
                    "(e.g. OF0023)"),
    ((0, 0, "Region"), "inputs: no Code column in the header row"),
    ((0, 6, "OF0023"), "inputs: the header 'OF0023' appears more than once"),
])
def test_league_table_bad_input_names_the_cell(change, expected):
    rng = [["Code", "Name", "Type", "In deficit", "In RSP", "OF0023", "OF0013"]] + [
        [f"RA{i}", f"T{i}", "acute", "No", "No", 50.0 + i, 70.0 - i] for i in range(1, 6)]
    r, c, v = change
    rng[r][c] = v
    assert message(udfs.league_table(rng, None, 0)) == expected


@pytest.mark.parametrize("args, expected", [
    ((None, -1.0), "replicates: -1.0 must be a whole number, 0 or more"),
    ((None, 0, "hospital"), "type 'hospital' is not one of acute, non-acute, ambulance, icb"),
    (([[3.0, 2.0, 1.0]],), "cut_points: [3.0, 2.0, 1.0] must be three increasing numbers, e.g. "
                           "2.05, 2.33, 2.62"),
])
def test_league_table_bad_settings(args, expected):
    rng = [["Code", "Type", "OF0013"], ["RA1", "acute", 1.0], ["RA2", "acute", 2.0],
           ["RA3", "acute", 3.0], ["RA4", "acute", 4.0]]
    assert message(udfs.league_table(rng, *args)) == expected


def test_league_table_on_a_template_input_sheet_takes_the_type_from_org_type(national):
    orgs, values, _ = national
    acute = orgs[orgs["type"] == "acute"]
    sheet = input_range(acute, values[values["code"].isin(acute["code"])])
    sheet = [[row[0], row[1]] + row[3:] for row in sheet]      # no Type column, like the sheet
    sheet[0][:4] = ["Code", "Organisation", "In deficit", "In RSP"]
    cuts = [[2.1, 2.4, 2.7]]
    out = udfs.league_table(sheet, cuts, 0, "acute")
    meth = load_methodology().with_settings(cut_points=(2.1, 2.4, 2.7), bootstrap_replicates=0)
    # an empty column (a metric with no value for these trusts) is left out, as the reader does
    expected = compute_league_tables(acute, values[values["code"].isin(acute["code"])]
                                     .dropna(axis=1, how="all"), meth).table("acute")
    assert [r[2] for r in out[1:]] == expected["code"].tolist()
    assert message(udfs.league_table(sheet, cuts, 0)) == (
        "inputs: no Type column in the header row; add one, or give org_type when every row "
        "is one type (e.g. an input sheet of the template)")


def test_league_table_needs_a_header_and_a_row():
    assert message(udfs.league_table([["Code", "Type"]])) == (
        "inputs: select the header row (Code, Name, Type, In deficit, In RSP, metric IDs) and "
        "at least one organisation")
    assert message(udfs.league_table("RA1")) == message(udfs.league_table([["Code", "Type"]]))


# --- unexpected failures go to the log, not the cell ----------------------------------------

def test_unexpected_error_is_logged_with_its_traceback(tmp_path, monkeypatch):
    log = tmp_path / "udf.log"
    monkeypatch.setenv("XL_LEAGUE_UDF_LOG", str(log))

    def broken(*args, **kwargs):
        raise ZeroDivisionError("engine bug")

    monkeypatch.setattr(udfs, "compute_league_tables", broken)
    rng = [["Code", "Type", "OF0013"], ["RA1", "acute", 1.0]]
    text = message(udfs.league_table(rng, None, 0))
    assert text == f"unexpected ZeroDivisionError in league_table; details in {log}"
    logged = log.read_text("utf-8")
    assert "league_table failed" in logged
    assert "Traceback (most recent call last)" in logged and "engine bug" in logged
