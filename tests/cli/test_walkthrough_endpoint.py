"""README walk-through, "Exit codes": a bad value is a usage error (exit 2). `--endpoint` of the
customer commands names the customer's API host (`host[:port]`); one that names no host (a space,
a query, a port past 65535) is refused before anything is sent, rather than tried as a host name
(exit 6 after a DNS failure) or wrapped onto another port. No server is needed: nothing is sent.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from localexa.cli.main import app
from tests.cli.conftest import CLEAN_ENV

SKILL = "amzn1.ask.skill.1"


@pytest.mark.parametrize("command", ["link-status", "unlink"])
@pytest.mark.parametrize("endpoint", ["bad host", "127.0.0.1:123616", "127.0.0.1:8081?x=1"])
def test_an_endpoint_that_names_no_host_is_a_usage_error(command: str, endpoint: str) -> None:
    result = CliRunner().invoke(
        app,
        ["--url", "http://127.0.0.1:9", "--token", "Atza|t", "skill", command, SKILL, "--endpoint", endpoint],
        env=CLEAN_ENV,
    )
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "is not a URL of a host" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9?x=1", "ftp://user:s3cret@127.0.0.1:9", "http://127.0.0.1:65534"]
)
def test_a_url_that_is_no_base_is_a_usage_error_without_its_password(url: str) -> None:
    result = CliRunner().invoke(
        app, ["--url", url, "--admin-key", "k", "admin", "customers", "list"], env=CLEAN_ENV
    )
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "--url" in result.stderr
    assert "s3cret" not in result.stderr
