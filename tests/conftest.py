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


#: Test files that are slow as a whole: the fast lane (``pytest -m "not slow"``) leaves them out.
SLOW_FILES = {"test_fuzz_workbook.py", "test_benchmark_script.py"}


def pytest_collection_modifyitems(config, items):
    """``slow``: LibreOffice tests, the benchmark script, the fuzz test (README's fast lane)."""
    for item in items:
        if item.get_closest_marker("libreoffice") or item.path.name in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
