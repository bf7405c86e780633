"""`--url` (and LOCALEXA_URL) with a password that splits the URL elsewhere (tests/skill/
hostile_urls.py): no text of it in what the CLI prints, as text or under --json. The client's
`shown_url` cut the query before hiding the password, and looked for it where httpx parses the
authority, so `http://me:pa?ss@host` was shown as `'http://me:pa'` and `http://me:pa#ss@☃.com/`
whole (re-verification E1 of the night of 2026-12-06)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from localexa.cli.main import app
from tests.cli.conftest import CLEAN_ENV
from tests.skill.hostile_urls import assert_hidden, hostile_urls


@pytest.mark.parametrize("url", hostile_urls())
def test_no_password_text_in_what_the_cli_prints(url: str) -> None:
    """Port 1 of 127.0.0.1 is closed: a URL the CLI takes fails to connect, and says where."""
    runner = CliRunner()
    for json in ([], ["--json"]):
        args = ["--url", url, "--admin-key", "k", "--retries", "0", "admin", "health", *json]
        result = runner.invoke(app, args, env=CLEAN_ENV)
        assert result.exit_code != 0, result.output
        assert_hidden(result.stdout, result.stderr)
    if "\x00" in url:  # no environment variable holds a NUL
        return
    from_env = runner.invoke(
        app, ["--retries", "0", "admin", "health"], env={**CLEAN_ENV, "LOCALEXA_URL": url}
    )
    assert from_env.exit_code != 0, from_env.output
    assert_hidden(from_env.stdout, from_env.stderr)
