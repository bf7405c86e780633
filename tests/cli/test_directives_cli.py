"""`localexa admin directives discover | accept-grant | messages` to a linked skill (the echo skill)."""

from __future__ import annotations

from localexa.testing import Localexa
from tests.cli.conftest import Cli
from tests.cli.echo_skill import EchoSkill


def linked_pair(localexa: Localexa, echo_skill: EchoSkill) -> tuple[str, str]:
    """(user id, skill id) of a customer who linked a skill answered by the echo skill."""
    skill = localexa.create_skill(account_linking=True, endpoint=echo_skill.url)
    customer = localexa.create_customer()
    localexa.link(customer, skill)
    return customer.user_id, skill.skill_id


def test_discover_accept_grant_and_the_messages_they_leave(
    cli: Cli, localexa: Localexa, echo_skill: EchoSkill
) -> None:
    pair = linked_pair(localexa, echo_skill)
    cli.json("admin", "directives", "endpoints", *pair, "--wait", "10")  # the link's own Discover is done

    discovered = cli.json("admin", "directives", "discover", *pair)
    assert discovered["verdict"]["name"] == "Alexa.Discovery.Discover.Response"
    granted = cli.ok("admin", "directives", "accept-grant", *pair).stdout
    assert "AcceptGrant.Response" in granted

    messages = cli.json("admin", "directives", "messages", *pair, "--limit", "500")
    names = [m["name"] for m in messages]
    assert names.count("Discover") >= 2, names  # the link's and ours
    assert names.count("AcceptGrant") >= 2, names
    assert len(cli.json("admin", "directives", "messages", *pair, "--limit", "1")) == 1
    assert "AcceptGrant" in cli.ok("admin", "directives", "messages", *pair).stdout  # the table

    unknown = cli.run("admin", "directives", "messages", "no-such-user", pair[1])
    assert unknown.exit_code == 3, (unknown.stdout, unknown.stderr)


def test_send_takes_the_cookie_and_correlation_token_the_client_takes(
    cli: Cli, localexa: Localexa, echo_skill: EchoSkill
) -> None:
    user_id, skill_id = linked_pair(localexa, echo_skill)
    pair = ("--user-id", user_id, "--skill-id", skill_id)
    sent = cli.json(
        "admin", "directives", "send", *pair, "--namespace", "Alexa.PowerController", "--name", "TurnOff",
        "--endpoint-id", "lamp", "--cookie", '{"room": "hall"}', "--correlation-token", "corr-7",
    )  # fmt: skip
    assert sent["verdict"]["valid"] is True, sent
    # The skill is shared by the module's tests, and the link's Discover may come after: find ours.
    [directive] = [
        d["directive"]
        for d in echo_skill.received
        if d["directive"]["header"].get("correlationToken") == "corr-7"
    ]
    assert directive["endpoint"]["cookie"] == {"room": "hall"}
    assert directive["header"]["correlationToken"] == "corr-7"
    bad = cli.run(*("admin", "directives", "send", *pair, "--namespace", "Alexa", "--name", "ReportState"),
                  "--cookie", "[1]")  # fmt: skip
    assert bad.exit_code == 2, (bad.stdout, bad.stderr)
    assert "--cookie" in bad.stderr
