"""A 2xx that is not the API's answer (a proxy's sign-in page, a captive portal, another server on
the port) must never read as success: `skill status` said "development enabled" for an HTML 200,
`admin health` "ok", and list commands printed empty tables for any JSON object (exit 0 each)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

import localexa.client
from localexa.client import APIResponseValidationError
from tests.cli.bad_server import BadServer, assert_clean_failure, invoke

SKILL = "amzn1.ask.skill.x"
KEY = "00112233445566778899aabbccddeeff"
COMMANDS = [
    pytest.param(["skill", "status", SKILL], False, id="skill-status"),
    pytest.param(["admin", "health"], True, id="admin-health"),
    pytest.param(["admin", "journal", "list"], True, id="journal-list"),
    pytest.param(["admin", "customers", "list"], True, id="customers-list"),
    pytest.param(["evaluations", "plans", SKILL], True, id="evaluation-plans"),
    pytest.param(["thread", "list", "--extended-pan-id", "dead00beef00cafe"], True, id="thread-list"),
]


@pytest.mark.parametrize("mode", ["html-200", "object-200"])
@pytest.mark.parametrize(("args", "api_error"), COMMANDS)
def test_a_foreign_2xx_is_no_success(
    bad_server: BadServer, mode: str, args: list[str], api_error: bool
) -> None:
    bad_server.mode = mode
    result = invoke(args, url=bad_server.url)
    assert_clean_failure(result, {6}, f"{mode}: {' '.join(args)}", api_error=api_error)
    assert "enabled" not in result.stdout


#: Commands whose call's answer has no body: each printed its success line ("accepted", "stored
#: N", "disabled and unlinked", "updated (etag None)", "deleted") and exited 0 for a captive
#: portal's page until 2026-12-07 (review36b #1). `{url}`/`{event}` are filled in by the test.
NO_BODY_COMMANDS = [
    pytest.param(["events", "send", "{event}"], id="events-send"),
    pytest.param(
        [
            "thread",
            "put",
            "--extended-pan-id",
            "dead00beef00cafe",
            "--network-name",
            "N",
            "--network-key",
            KEY,
        ],
        id="thread-put",
    ),
    pytest.param(["skill", "unlink", SKILL, "--endpoint", "{url}"], id="skill-unlink"),
    pytest.param(["skill", "linking", "update", SKILL, "--file", "{linking}"], id="linking-update"),
    pytest.param(["skill", "linking", "delete", SKILL], id="linking-delete"),
    pytest.param(["admin", "faults", "delete", "fault-1"], id="faults-delete"),
    pytest.param(["admin", "customers", "delete", "amzn1.account.X"], id="customers-delete"),
    pytest.param(["admin", "skills", "delete", SKILL], id="skills-delete"),
]


@pytest.mark.parametrize("mode", ["html-200", "object-200"])
@pytest.mark.parametrize("args", NO_BODY_COMMANDS)
def test_a_body_where_the_answer_has_none_is_no_success(
    bad_server: BadServer, tmp_path: Path, mode: str, args: list[str]
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"event": {"header": {"namespace": "Alexa", "name": "ChangeReport"}}}))
    linking = tmp_path / "linking.json"
    linking.write_text(json.dumps({"authorizationUrl": "https://a.example/auth", "clientId": "c"}))
    filled = [a.format(url=bad_server.url, event=event, linking=linking) for a in args]
    bad_server.mode = mode
    result = invoke(filled, url=bad_server.url)
    assert_clean_failure(result, {6}, f"{mode}: {' '.join(args)}")
    assert "with a body where" in result.stderr, result.stderr
    assert result.stdout == "", result.stdout


@pytest.mark.parametrize("mode", ["html-200", "object-200"])
def test_a_snapshot_that_is_no_localexa_snapshot_is_not_written(
    bad_server: BadServer, tmp_path: Path, mode: str
) -> None:
    bad_server.mode = mode
    out = tmp_path / "state.json"
    result = invoke(["admin", "snapshot", "-o", str(out)], url=bad_server.url)
    assert_clean_failure(result, {6}, mode)
    assert not out.exists()


def _client(body: bytes, status: int = 200) -> localexa.client.Client:
    answer = httpx.Response(status, content=body, headers={"Content-Type": "application/json"})
    return localexa.client.Client(
        base_url="http://127.0.0.1:9",
        auth="Atza|t",
        admin_key="k",
        max_retries=0,
        transport=httpx.MockTransport(lambda _request: answer),
    )


def test_the_client_reads_an_empty_object_as_an_empty_page_and_garbage_as_an_error() -> None:
    with _client(b"{}") as client:
        assert list(client.admin.journal.list()) == []
    with _client(b'{"weird": [1, 2]}') as client, pytest.raises(APIResponseValidationError, match="weird"):
        list(client.admin.journal.list())


def test_enablement_checks_want_204_or_an_empty_body() -> None:
    with _client(b"", status=204) as client:
        assert client.enablement.is_enabled(SKILL) is True
    with _client(b"<html>Sign in to the Wi-Fi</html>") as client:
        for call in (client.enablement.is_enabled, client.enablement.get, client.enablement.enable):
            with pytest.raises(APIResponseValidationError, match="204 No Content"):
                call(SKILL)


def test_health_and_ready_want_localexas_status() -> None:
    with _client(b'{"status": "ok"}') as client:
        assert client.admin.health() is True
    with _client(b'{"status": "ready", "database": "ok"}') as client:
        assert client.admin.ready() is True
    with _client(b'{"status": "ok"}') as client, pytest.raises(APIResponseValidationError):
        client.admin.ready()
    with _client(b"<html>ok</html>") as client, pytest.raises(APIResponseValidationError):
        client.admin.health()
