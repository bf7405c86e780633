"""`localexa serve` warns of a `LOCALEXA_SECRET_KEY` with a line break or space at either end: a
secret written from a file keeps its newline, and the same key given without it (the data dir's
stripped `secret-key`, another process's variable) is another key to the database."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from localexa.cli.serve_checks import warn_of_a_padded_secret_key
from localexa.server.settings import Settings

KEY = "k" * 40


@pytest.mark.parametrize(
    ("key", "warned"), [(KEY + "\n", True), (" " + KEY, True), (KEY, False), (None, False)]
)
def test_a_padded_secret_key_is_warned_of(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, key: str | None, warned: bool
) -> None:
    caplog.set_level(logging.WARNING, logger="localexa.serve")
    settings = Settings(data_dir=tmp_path, secret_key=key)
    warn_of_a_padded_secret_key(settings)
    said = [r.getMessage() for r in caplog.records]
    assert bool(said) is warned, said
    assert all(KEY not in line for line in said)  # the key itself is never logged
    if warned:
        assert said[0].startswith("LOCALEXA_SECRET_KEY starts or ends with white space"), said
    # The key is used as given (stripping it would lock out the databases written with it).
    assert settings.resolved_secret_key() == (key or (tmp_path / "secret-key").read_text().strip()).encode()
