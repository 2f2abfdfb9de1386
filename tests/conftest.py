"""Fixtures shared by the workbook tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbook_helpers import filled_workbook


@pytest.fixture(scope="module")
def base_book(tmp_path_factory) -> Path:
    """The filled sample workbook (tests/workbook_helpers.py), built once per module."""
    return filled_workbook(tmp_path_factory.mktemp("base"))


@pytest.fixture
def book(base_book: Path, tmp_path: Path) -> Path:
    """A fresh copy of the filled sample workbook (a module may define its own ``book``)."""
    return Path(shutil.copy(base_book, tmp_path / "book.xlsx"))
