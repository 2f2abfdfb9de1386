"""LibreOffice in the tests: skipped where it is not installed, required in CI."""

from __future__ import annotations

import os

import pytest

from xl_league.libreoffice import find_soffice


def soffice_or_skip(what: str = "this test") -> str:
    """The soffice executable; skips when missing, fails when XL_LEAGUE_REQUIRE_LIBREOFFICE=1."""
    found = find_soffice()
    if found is None:
        message = f"LibreOffice (soffice) is not installed, so {what} cannot run"
        if os.environ.get("XL_LEAGUE_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(message + "; XL_LEAGUE_REQUIRE_LIBREOFFICE=1 requires it (CI installs it)")
        pytest.skip(message)
    return found
