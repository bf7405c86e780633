"""`localexa serve` warns of a `LOCALEXA_*` variable that is close to a setting's name but none:
pydantic-settings ignores it, so `LOCALEXA_RATE_LIMT=2/minute` left the default budget in place
without a word (env_names.py)."""

from __future__ import annotations

import logging

import pytest

from localexa.cli.serve_checks import warn_of_misspelt_names
from localexa.env_names import PREFIX, SERVER_EXTRA, SETTING_NAMES, misspelt, read_in_any_case, server_names
from localexa.server.settings import Settings


def test_close_names_are_taken_for_misspellings() -> None:
    environ = {
        "LOCALEXA_RATE_LIMT": "2/minute",
        "LOCALEXA_REDIS_ULR": "redis://",
        "localexa_directive_timeout": "2",  # pydantic-settings reads names in any case
        "LOCALEXA_TOKEN": "t",  # the CLI's and the client's
        "LOCALEXA_TEST_PORTS": "20000-20100",  # the testing kit's
        "LOCALEXA_FUZZ_SEED": "1",  # far from every name: someone else's
        "RATE_LIMIT": "1/second",
    }
    assert misspelt(environ) == [
        ("LOCALEXA_RATE_LIMT", "LOCALEXA_RATE_LIMIT"),
        ("LOCALEXA_REDIS_ULR", "LOCALEXA_REDIS_URL"),
    ]


def test_every_setting_and_the_import_path_are_known() -> None:
    names = server_names()
    assert {"LOCALEXA_RATE_LIMIT", "LOCALEXA_SECRET_KEY", "LOCALEXA_EXTRA_PYTHONPATH"} <= names
    assert misspelt(dict.fromkeys(names, "x")) == []


def test_the_static_setting_names_are_the_settings_fields() -> None:
    """env_names.py lists them by hand so that checking a name imports no server (pytest's
    `localexa_env` check ran `localexa.server.settings`, and FastAPI, in every pytest process
    until review 36b). A setting added to Settings fails here until it is listed there too."""
    assert {PREFIX + name.upper() for name in Settings.model_fields} == SETTING_NAMES
    assert server_names() == SETTING_NAMES | SERVER_EXTRA


def test_serve_warns_once_per_misspelt_name(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="localexa.serve")
    warn_of_misspelt_names({"LOCALEXA_RATE_LIMT": "2/minute", "LOCALEXA_PORT": "9000"})
    assert [r.getMessage() for r in caplog.records] == [
        "LOCALEXA_RATE_LIMT is not a setting of localexa and is ignored; did you mean LOCALEXA_RATE_LIMIT?"
    ]


def test_variables_in_another_case_are_read_under_their_own_name_and_left_as_they_were() -> None:
    environ = {
        "localexa_port": "9000",
        "Localexa_Data_Dir": "/tmp/x",
        "localexa_tls": "1",
        "LOCALEXA_TLS": "0",
        "localexa_unknown": "kept",
        "HOME": "/root",
    }
    before = dict(environ)
    with read_in_any_case(environ):
        assert environ == {
            "LOCALEXA_PORT": "9000",
            "LOCALEXA_DATA_DIR": "/tmp/x",
            "LOCALEXA_TLS": "0",  # set in upper case too: that one wins
            "localexa_unknown": "kept",
            "HOME": "/root",
        }
    assert environ == before
