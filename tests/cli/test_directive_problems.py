"""`localexa admin directives send` prints each problem of the skill's answer as `path: message`,
and a problem of the whole exchange (no path: the skill could not be reached) as its message
alone: it printed `problems  : http://127.0.0.1:…/skill could not be reached (ConnectError)`, a
colon standing for a path that is not there (re-verification D2 of the night of 2026-12-06)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localexa.testing import Localexa
from tests.cli.conftest import Cli
from tests.cli.test_urls_unbroken import on_terminal
from tests.servers import closed_port


@pytest.fixture
def closed() -> Iterator[int]:
    with closed_port() as port:
        yield port


def test_a_problem_without_a_path_is_its_message_alone(cli: Cli, localexa: Localexa, closed: int) -> None:
    skill = localexa.create_skill(account_linking=True, endpoint=f"http://127.0.0.1:{closed}/skill")
    customer = localexa.create_customer()
    localexa.link(customer, skill)
    pair = ("--user-id", customer.user_id, "--skill-id", skill.skill_id)
    args = ("admin", "directives", "send", *pair, "--namespace", "Alexa.PowerController", "--name", "TurnOn")
    sent = cli.json(*args, "--endpoint-id", "lamp")
    [problem] = sent["verdict"]["problems"]
    assert problem["path"] == ""
    root = ("--url", localexa.url, "--admin-key", localexa.admin_key)
    for printed in (
        cli.ok(*args, "--endpoint-id", "lamp").stdout,  # piped: a table as wide as it needs
        "\n".join(on_terminal(*root, *args, "--endpoint-id", "lamp", columns=36)),  # records
    ):
        words = " ".join(printed.replace("│", " ").split())
        assert f"problems {problem['message']} error" in words, printed
