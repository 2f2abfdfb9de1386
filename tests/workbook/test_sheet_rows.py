"""The XML of a table's cells (workbook_io/sheet_rows.py): the quick path for the common
values writes exactly what the general one writes, and text never becomes anything else."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from xl_league.workbook_io.sheet_rows import _cell_xml, _kind_and_value, _table_cell_xml

_WB = Workbook()
_WS = _WB.active

values = st.one_of(st.none(), st.floats(), st.integers(), st.booleans(), st.text(),
                   st.sampled_from(["=SUM(A1)", " padded ", "\u00a0nbsp", "a & <b>", "x\x1by"]))


@settings(max_examples=500, deadline=None)
@given(values, st.sampled_from([0, 3]))
def test_the_quick_path_writes_what_the_general_one_writes(value, style):
    try:
        kind, bound = _kind_and_value(_WS, value)
        expected = _cell_xml("B7", style, kind, bound, _WB.epoch)
    except IllegalCharacterError:
        with pytest.raises(IllegalCharacterError):
            _table_cell_xml(_WS, "B7", style, value)
        return
    assert _table_cell_xml(_WS, "B7", style, value) == expected


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+44", "@SUM(A1)"])
def test_text_that_looks_like_a_formula_stays_text(text):
    xml = _table_cell_xml(_WS, "A2", 0, text)
    assert 't="inlineStr"' in xml and "<f>" not in xml


def test_markup_in_a_name_is_escaped():
    assert "<t>A &amp; B &lt;NHS&gt;</t>" in _table_cell_xml(_WS, "A2", 5, "A & B <NHS>")


def test_surrounding_spaces_are_preserved():
    assert 'xml:space="preserve"' in _table_cell_xml(_WS, "A2", 0, " Trust ")
