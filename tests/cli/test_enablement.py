"""`localexa skill …`: developer enablement and credentials, customer enable-and-link, and the
events a skill then sends; `localexa admin directives …` to the linked skill."""

from __future__ import annotations

import json
from pathlib import Path

from localexa.skill import capability, discovery_endpoint
from localexa.skill.reports import add_or_update_report
from localexa.testing import Localexa
from tests.cli.conftest import Cli
from tests.cli.echo_skill import EchoSkill


def test_developer_enables_checks_and_disables_a_stage(cli: Cli, localexa: Localexa) -> None:
    skill = localexa.create_skill(stages=("development", "live"))
    token = skill.developer.token

    not_yet = cli.run("skill", "status", skill.skill_id, token=token)
    assert not_yet.exit_code == 3
    assert "not enabled" in not_yet.stdout

    assert cli.json("skill", "enable", skill.skill_id, token=token) == {
        "skillId": skill.skill_id,
        "stage": "development",
        "enabled": True,
    }
    assert "development enabled" in cli.ok("skill", "status", skill.skill_id, token=token).stdout
    cli.ok("skill", "enable", skill.skill_id, "--stage", "live", token=token)
    assert cli.run("skill", "status", skill.skill_id, token=token).exit_code == 3  # one stage at a time
    assert cli.json("skill", "status", skill.skill_id, "-g", "live", token=token)["enabled"] is True

    assert cli.json("skill", "disable", skill.skill_id, "--stage", "live", token=token)["enabled"] is False
    gone = cli.run("skill", "status", skill.skill_id, "--stage", "live", "--json", token=token)
    assert gone.exit_code == 3
    assert json.loads(gone.stdout)["enabled"] is False


def test_credentials(cli: Cli, localexa: Localexa) -> None:
    skill = localexa.create_skill()
    found = cli.json("skill", "credentials", skill.skill_id, token=skill.developer.token)
    assert found["skillMessagingCredentials"] == {
        "clientId": skill.messaging_client_id,
        "clientSecret": skill.messaging_client_secret,
    }
    text = cli.ok("skill", "credentials", skill.skill_id, token=skill.developer.token).stdout
    assert skill.messaging_client_id in text


def test_customer_enables_and_links_then_unlinks(cli: Cli, localexa: Localexa) -> None:
    skill = localexa.create_skill(account_linking=True)
    customer = localexa.create_customer(region="EU")
    token = localexa.access_token(customer, "alexa::skills:account_linking")

    endpoints = cli.ok("skill", "api-endpoints", token=token).stdout.split()
    assert endpoints == [localexa.server.eu_url.split("://")[1]]

    record = cli.json(
        "skill", "enable-and-link", skill.skill_id, "--auth-code", skill.auth_code(),
        "--redirect-uri", skill.redirect_uri, token=token,
    )  # fmt: skip
    assert record["status"] == "ENABLED"
    assert record["accountLink"]["status"] == "LINKED"
    assert record["user"]["id"]
    assert skill.stub is not None
    assert [e.status for e in skill.stub.exchanges] == [200]

    table = cli.ok("skill", "link-status", skill.skill_id, token=token).stdout
    assert "LINKED" in table
    assert cli.json("skill", "unlink", skill.skill_id, token=token) == {
        "skillId": skill.skill_id,
        "enabled": False,
    }
    assert cli.run("skill", "link-status", skill.skill_id, token=token).exit_code == 3


def test_a_refused_link_exits_1_with_the_apis_message(cli: Cli, localexa: Localexa) -> None:
    skill = localexa.create_skill(account_linking=True)
    token = localexa.access_token(localexa.create_customer(), "alexa::skills:account_linking")
    result = cli.run(
        "skill", "enable-and-link", skill.skill_id, "--auth-code", "made-up",
        "--redirect-uri", skill.redirect_uri, token=token,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "400" in result.stderr
    assert "request id:" in result.stderr


def test_events_send_from_a_file_and_from_stdin(cli: Cli, localexa: Localexa, tmp_path: Path) -> None:
    skill = localexa.create_skill()
    cli.ok("skill", "enable", skill.skill_id, token=skill.developer.token)
    customer = skill.developer.customer
    token = localexa.access_token(customer, "alexa::async_event:write", client_id=skill.messaging_client_id)
    lamp = discovery_endpoint(
        "lamp", "Lamp", [capability("Alexa")], description="A lamp", manufacturer_name="Acme"
    )
    event = tmp_path / "event.json"
    event.write_text(json.dumps(add_or_update_report([lamp], token=token)))

    assert cli.json("events", "send", str(event), token=token) == {
        "accepted": True,
        "event": "Alexa.Discovery.AddOrUpdateReport",
    }
    assert "accepted" in cli.ok("events", "send", token=token, input=event.read_text()).stdout
    known = localexa.client.admin.directives.endpoints(customer.user_id, skill.skill_id)
    assert [e.endpoint_id for e in known.endpoints] == ["lamp"]

    not_an_event = cli.run("events", "send", "-", token=token, input="[1, 2]")
    assert not_an_event.exit_code == 2


def test_directives_send_and_endpoints(cli: Cli, localexa: Localexa, echo_skill: EchoSkill) -> None:
    # The skill is the worker's (session-scoped): what other modules sent it stays in `received`
    # (an evaluation's TurnOn once, CI of 2026-12-08), so only what came after this line counts.
    seen = len(echo_skill.received)
    skill = localexa.create_skill(account_linking=True, endpoint=echo_skill.url)
    customer = localexa.create_customer()
    localexa.link(customer, skill)
    result = cli.json(
        "admin", "directives", "send", "--user-id", customer.user_id, "--skill-id", skill.skill_id,
        "--namespace", "Alexa.PowerController", "--name", "TurnOn", "--endpoint-id", "lamp",
        "--payload", "{}",
    )  # fmt: skip
    assert result["verdict"]["valid"] is True
    assert result["verdict"]["name"] == "Alexa.Response"
    # (Discover and AcceptGrant follow the link in the background, so find TurnOn among them.)
    ours = echo_skill.received[seen:]
    [sent] = [d["directive"] for d in ours if d["directive"]["header"]["name"] == "TurnOn"]
    assert sent["endpoint"]["scope"]["token"].startswith("stub-at-")  # the linked token
    summary = cli.ok(
        "admin", "directives", "send", "--user-id", customer.user_id, "--skill-id", skill.skill_id,
        "--namespace", "Alexa.PowerController", "--name", "TurnOff", "--endpoint-id", "lamp",
    ).stdout  # fmt: skip
    assert "Alexa.Response" in summary
    assert "TurnOff" in [d["directive"]["header"]["name"] for d in echo_skill.received[seen:]]

    found = cli.json("admin", "directives", "endpoints", customer.user_id, skill.skill_id, "--wait", "10")
    assert found["discovery"]["status"] == "SUCCEEDED"
    assert [e["endpointId"] for e in found["endpoints"]] == ["lamp"]
    assert "Lamp" in cli.ok("admin", "directives", "endpoints", customer.user_id, skill.skill_id).stdout
