"""xl_league.libreoffice: the profile it makes, and its errors (conversions are exercised by
the LibreOffice tests of workbooks, packs and the .xlsm)."""

from __future__ import annotations

import pytest

from xl_league import libreoffice
from xl_league.libreoffice import LibreOfficeError, convert, recalculating_profile


def test_the_profile_forces_recalculation_on_load(tmp_path):
    root = recalculating_profile(tmp_path / "p")
    text = (root / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")
    assert 'oor:name="OOXMLRecalcMode"' in text and "<value>0</value>" in text


def test_converting_without_libreoffice_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(libreoffice, "find_soffice", lambda: None)
    with pytest.raises(LibreOfficeError, match="not installed"):
        convert([tmp_path / "b.xlsx"], "pdf", tmp_path, profile=tmp_path / "p")


def test_a_file_it_did_not_write_is_an_error(tmp_path):
    # "true" stands in for soffice: it exits 0 and writes nothing
    with pytest.raises(LibreOfficeError, match=r"did not convert \['b.pdf'\]"):
        convert([tmp_path / "b.xlsx"], "pdf", tmp_path / "out", profile=tmp_path / "p",
                soffice="true")
