"""`dir(localexa.testing)` lists the names it imports on first use (since 2026-12-06), and every
fixture of the plugin has a docstring (`pytest --fixtures`)."""

from __future__ import annotations

import localexa.testing
from localexa.testing import pytest_plugin


def test_dir_lists_the_lazily_imported_names() -> None:
    assert set(localexa.testing.__all__) <= set(dir(localexa.testing))


def test_every_fixture_of_the_plugin_has_a_docstring() -> None:
    fixtures = ["localexa", "localexa_server", "localexa_server_options", "localexa_session"]
    for name in fixtures:
        function = getattr(pytest_plugin, name)
        wrapped = getattr(function, "__wrapped__", function)
        assert (wrapped.__doc__ or function.__doc__ or "").strip(), name


def test_dir_lists_only_the_public_names() -> None:
    """It listed Any, TYPE_CHECKING, annotations, importlib and _WHERE too (until 2026-12-06)."""
    assert dir(localexa.testing) == sorted(localexa.testing.__all__)


def test_each_fixtures_first_paragraph_stands_alone() -> None:
    """`pytest --fixtures` shows a docstring's first paragraph only: localexa_server_options's
    ended on "e.g. to add settings:" (until 2026-12-06)."""
    for name in ["localexa", "localexa_server", "localexa_server_options", "localexa_session"]:
        function = getattr(pytest_plugin, name)
        doc = (getattr(function, "__wrapped__", function).__doc__ or function.__doc__ or "").strip()
        first = doc.split("\n\n")[0].strip()
        assert first.endswith("."), (name, first)
