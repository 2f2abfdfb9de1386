"""The documented examples run: the doctest in ``xl_league/__init__.py`` (the engine's public
API example) and any doctests in the engine's modules."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import xl_league
import xl_league.engine

ENGINE_MODULES = sorted(f"xl_league.engine.{m.name}"
                        for m in pkgutil.iter_modules(xl_league.engine.__path__))


def run_doctests(module) -> doctest.TestResults:
    return doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False,
                           report=False)


def test_package_example_runs_and_shows_what_it_says():
    result = run_doctests(xl_league)
    assert result.attempted >= 4, "the public API example in xl_league/__init__.py is missing"
    assert result.failed == 0


#: Modules beyond the engine whose docstrings hold examples.
EXAMPLE_MODULES = ["xl_league.run_settings", "xl_league.vocabulary", "xl_league.xml_text"]


@pytest.mark.parametrize("name", ["xl_league.engine", *ENGINE_MODULES, *EXAMPLE_MODULES])
def test_engine_doctests(name):
    result = run_doctests(importlib.import_module(name))
    assert result.failed == 0


def test_every_engine_module_is_documented():
    for name in ["xl_league.engine", *ENGINE_MODULES]:
        doc = importlib.import_module(name).__doc__
        assert doc and doc.strip(), f"{name} has no module docstring"
