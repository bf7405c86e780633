"""Restore holds rows to the limits the admin API holds what makes them: a snapshot edited (or
written by hand) with a clock past the year 9999 made every later call a 500, health and reset
included, and a restart did not help; a fault with status 200 or 1000 broke the calls it met."""

from __future__ import annotations

import copy
import logging
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from localexa.server.db.base import ClockState
from localexa.server.skills.models import Skill
from tests.observe.helpers import ADMIN, add_fault


async def _snapshot(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.post("/_localexa/snapshot", headers=ADMIN)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


@pytest.mark.parametrize("offset", [1e12, -1.0, 4e10])
async def test_a_clock_no_advance_could_reach_is_refused(client: httpx.AsyncClient, offset: float) -> None:
    await client.post("/_localexa/clock", json={"advanceSeconds": 60}, headers=ADMIN)
    document = await _snapshot(client)
    edited = copy.deepcopy(document)
    edited["tables"]["clock_state"][0]["offset_seconds"] = offset
    answer = await client.post("/_localexa/restore", json=edited, headers=ADMIN)
    assert answer.status_code == 400
    assert "tables.clock_state[0]: offset_seconds" in answer.json()["message"]
    assert (await client.get("/_localexa/health")).status_code == 200
    assert (await client.post("/_localexa/restore", json=document, headers=ADMIN)).status_code == 200


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("status", 200, "status"),
        ("status", 1000, "status"),
        ("delay_ms", -5, "delay_ms"),
        ("fired", -1, "fired"),
        # The admin API takes null as absent (since 2026-12-06); a row keeps its null, which its
        # column refuses (with FaultIn's null-as-absent the insert failed: "does not fit").
        ("delay_ms", None, "delay_ms"),
        ("probability", None, "probability"),
    ],
)
async def test_a_fault_the_admin_api_would_refuse_is_refused(
    client: httpx.AsyncClient, column: str, value: int | None, says: str
) -> None:
    await add_fault(client, path="/v1/alexaApiEndpoint", status=503)
    document = await _snapshot(client)
    document["tables"]["faults"][0][column] = value
    answer = await client.post("/_localexa/restore", json=document, headers=ADMIN)
    assert answer.status_code == 400
    assert f"tables.faults[0]: {says}" in answer.json()["message"]


async def test_a_stored_clock_past_any_advance_is_ignored_not_a_500_on_every_call(
    client: httpx.AsyncClient, app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    """A database written before restore checked (or by hand) still serves, and reset clears it."""
    await client.post("/_localexa/clock", json={"advanceSeconds": 60}, headers=ADMIN)
    async with app.state.engine.begin() as conn:
        await conn.execute(update(ClockState).values(offset_seconds=1e12))
    caplog.set_level(logging.WARNING, logger="localexa.clock")
    await app.state.clock.refresh(app.state.engine, force=True)
    assert (await client.get("/_localexa/health")).status_code == 200
    assert (await client.get("/_localexa/clock", headers=ADMIN)).status_code == 200
    assert "stored clock offset is ignored" in caplog.text
    assert (await client.post("/_localexa/reset", headers=ADMIN)).status_code == 200


@pytest.mark.parametrize("version", [True, 1.0, "1", None])
async def test_the_version_is_the_integer_1(client: httpx.AsyncClient, version: Any) -> None:
    """`true` and `1.0` passed as version 1 (they equal 1 in Python; QA of 2026-12-05)."""
    document = await _snapshot(client)
    answer = await client.post("/_localexa/restore", json={**document, "version": version}, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    assert "version 1" in answer.json()["message"]


async def test_a_customer_region_the_admin_api_would_refuse_is_refused(client: httpx.AsyncClient) -> None:
    """`ZZ` restored, then the customer's calls that need the region answered 500."""
    made = await client.post(
        "/_localexa/customers",
        json={"name": "R", "email": "r@example.com", "password": "pw", "region": "EU"},
        headers=ADMIN,
    )
    assert made.status_code == 201
    document = await _snapshot(client)
    edited = copy.deepcopy(document)
    edited["tables"]["customers"][0]["region"] = "ZZ"
    answer = await client.post("/_localexa/restore", json=edited, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    assert "tables.customers[0]: region" in answer.json()["message"]


@pytest.mark.parametrize(
    "regional",
    [["http://127.0.0.1:9/x"], {"ZZ": "http://127.0.0.1:9/x"}, {"EU": "ftp://x/"}, {"EU": 7}],
    ids=["a-list", "unknown-region", "bad-endpoint", "not-a-string"],
)
async def test_regional_endpoints_the_admin_api_would_refuse_are_refused(
    client: httpx.AsyncClient, regional: Any
) -> None:
    """A skill's `regional_endpoints` are held to the admin body's `regions` (a list restored, and
    every directive of the skill was a 500)."""
    await _regional_skill(client)
    document = await _snapshot(client)
    assert document["tables"]["skills"][0]["regional_endpoints"] == {"EU": "http://127.0.0.1:9/eu"}
    assert (await client.post("/_localexa/restore", json=document, headers=ADMIN)).status_code == 200
    edited = copy.deepcopy(document)
    edited["tables"]["skills"][0]["regional_endpoints"] = regional
    answer = await client.post("/_localexa/restore", json=edited, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    message = answer.json()["message"]
    # A value of the wrong type is refused by the column's shape (since 2026-12-06), a wrong value
    # of the right type by the skill's row check.
    assert any(f"tables.skills[0]{joint}regional_endpoints" in message for joint in (": ", "."))


async def _regional_skill(client: httpx.AsyncClient, account_linking: dict[str, Any] | None = None) -> None:
    developer = await client.post(
        "/_localexa/customers",
        json={"name": "D", "email": "d@example.com", "password": "pw", "region": "NA"},
        headers=ADMIN,
    )
    vendor = await client.post(
        "/_localexa/vendors", json={"name": "V", "ownerUserId": developer.json()["userId"]}, headers=ADMIN
    )
    made = await client.post(
        "/_localexa/skills",
        json={
            "vendorId": vendor.json()["vendorId"],
            "name": "S",
            "endpoint": "http://127.0.0.1:9/s",
            "regions": {"EU": {"endpoint": "http://127.0.0.1:9/eu"}},
            **({"accountLinking": account_linking} if account_linking else {}),
        },
        headers=ADMIN,
    )
    assert made.status_code == 201, made.text


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("column", "value", "says"),
    [
        ("stages", [1], "stages: at [0]: input should be a valid string"),
        ("permissions", {"a": 1}, "permissions: input should be a valid list"),
        ("account_linking", [1], "account_linking: input should be a valid dictionary"),
        ("account_linking", {"extra": _nested(300)}, "account_linking: nests objects and arrays more than"),
    ],
    ids=["stages-of-numbers", "permissions-an-object", "account-linking-a-list", "account-linking-300-deep"],
)
async def test_a_json_column_of_another_shape_or_too_deep_is_refused(
    client: httpx.AsyncClient, column: str, value: Any, says: str
) -> None:
    """Restored, each made every later read of the skills a 500 (pydantic serializes ~255 levels at
    most; the response models declare the shapes) until the next reset (QA of 2026-12-06)."""
    await _regional_skill(client)
    document = await _snapshot(client)
    edited = copy.deepcopy(document)
    edited["tables"]["skills"][0][column] = value
    answer = await client.post("/_localexa/restore", json=edited, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    assert f"tables.skills[0].{column}: " in answer.json()["message"]
    assert says.split(": ", 1)[1] in answer.json()["message"]
    assert (await client.get("/_localexa/skills", headers=ADMIN)).status_code == 200
    deep_enough = copy.deepcopy(document)
    # 128 levels in all, inside a valid linking (its platform URLs' objects are not checked
    # field by field).
    platform = {
        "platformType": "iOS",
        "platformAuthorizationUrl": "https://a.example/",
        "extra": _nested(125),
    }
    deep_enough["tables"]["skills"][0]["account_linking"] = {
        "authorizationUrl": "http://127.0.0.1:9/authorize",
        "accessTokenUrl": "http://127.0.0.1:9/token",
        "clientId": "c",
        "authorizationUrlsByPlatform": [platform],
    }
    assert (await client.post("/_localexa/restore", json=deep_enough, headers=ADMIN)).status_code == 200


async def test_the_clock_is_one_row(client: httpx.AsyncClient) -> None:
    """A second clock row (id 2) restored and was never read (QA of 2026-12-05)."""
    document = await _snapshot(client)
    edited = copy.deepcopy(document)
    edited["tables"]["clock_state"].append({"id": 2, "offset_seconds": 5.0})
    answer = await client.post("/_localexa/restore", json=edited, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    assert "id must be 1" in answer.json()["message"]
    assert (await client.post("/_localexa/restore", json=document, headers=ADMIN)).status_code == 200


@pytest.mark.parametrize("error", [{"x": 1}, {"code": "X"}, {"code": 1, "message": "m"}, ["X", "m"]])
async def test_a_case_result_error_of_another_shape_is_refused(client: httpx.AsyncClient, error: Any) -> None:
    """`{"x": 1}` restored as a case's error, and every read of the run's results was a 500 (the
    answer shows `{"code", "message"}`; QA of 2026-12-06)."""
    document = await _snapshot(client)
    document["tables"]["capability_test_case_results"] = [{"error": error}]
    answer = await client.post("/_localexa/restore", json=document, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    assert "tables.capability_test_case_results[0]" in answer.json()["message"]
    assert "error" in answer.json()["message"]


LINKING = {
    "type": "AUTH_CODE",
    "authorizationUrl": "http://127.0.0.1:9/authorize",
    "accessTokenUrl": "http://127.0.0.1:9/token",
    "clientId": "skill-client",
    "clientSecret": "skill-secret",
    "accessTokenScheme": "HTTP_BASIC",
}


@pytest.mark.parametrize(
    ("column", "edit", "says"),
    [
        ("account_linking", {"accessTokenUrl": "ftp://127.0.0.1/token"}, "accessTokenUrl"),
        ("account_linking", {"accessTokenScheme": "PLAIN"}, "accessTokenScheme"),
        ("account_linking", {"defaultTokenExpirationInSeconds": 10**12}, "defaultTokenExpirationInSeconds"),
        ("account_linking", {"clientId": ""}, "clientId"),
        ("account_linking", {"type": None}, "account_linking.type: must not be null"),
        ("account_linking", {"clientSecret": "leaked"}, "account_linking.clientSecret: not a field"),
        ("account_linking", {"authorization_url": "http://127.0.0.1:9/a"}, "authorization_url: not a field"),
        ("account_linking", {"fooBar": 1}, "account_linking.fooBar: not a field"),
        ("endpoint", "ftp://127.0.0.1/skill", "endpoint"),
        ("regional_endpoints", {"ZZ": "http://127.0.0.1:9/x"}, "regions must be NA, EU or FE"),
    ],
    ids=[
        "token-url-not-http",
        "unknown-scheme",
        "expiry-past-any-date",
        "no-client-id",
        "null-type",
        "a-secret",
        "snake-case",
        "unknown-key",
        "endpoint-not-http",
        "regions-beside-account-linking",  # were not checked when the skill had account linking
    ],
)
async def test_a_skill_the_admin_api_would_refuse_is_refused(
    client: httpx.AsyncClient, column: str, edit: Any, says: str
) -> None:
    """A skill's endpoint and account linking are held to what the admin API and SMAPI take (until
    2026-12-06 restore checked neither: an expiry of 10**12 s overflowed the date at every
    enable-and-link, a token URL of another scheme was called)."""
    await _regional_skill(client, account_linking=LINKING)
    document = await _snapshot(client)
    assert document["tables"]["skills"][0]["account_linking"]["accessTokenUrl"] == LINKING["accessTokenUrl"]
    assert (await client.post("/_localexa/restore", json=document, headers=ADMIN)).status_code == 200
    edited = copy.deepcopy(document)
    row = edited["tables"]["skills"][0]
    row[column] = {**row[column], **edit} if isinstance(edit, dict) else edit
    answer = await client.post("/_localexa/restore", json=edited, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    message = answer.json()["message"]
    assert message.startswith(f"tables.skills[0]: {column}"), message
    assert says in message, message


#: Names the admin API took before 2026-12-06 (any of the shape `^[a-z][\w:.\-]*$`) and refuses since.
OLD_PERMISSIONS = ["alexa::async_event:write", "alexa::thread_network_credential:read", "bogus:perm"]


async def test_a_skill_stored_with_a_permission_no_longer_taken_restores_as_stored(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """A snapshot the server takes always restores on it: a skill stored before 2026-12-06 with a
    permission name the admin API now refuses (written here straight into the database, as an
    upgraded one holds it) was a 400 at restore, the server's own snapshot and the older
    localexa's snapshot README advises keeping alike (rev1 QA F6). Creating one still is a 400."""
    await _regional_skill(client)
    async with app.state.engine.begin() as conn:
        await conn.execute(update(Skill).values(permissions=OLD_PERMISSIONS))
    document = await _snapshot(client)
    assert document["tables"]["skills"][0]["permissions"] == OLD_PERMISSIONS
    answer = await client.post("/_localexa/restore", json=document, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    skills = (await client.get("/_localexa/skills", headers=ADMIN)).json()
    assert [skill["permissions"] for skill in skills] == [OLD_PERMISSIONS]
    # An older localexa's snapshot (its skill's names edited in, as that version stored them).
    older = copy.deepcopy(document)
    older["tables"]["skills"][0]["permissions"] = ["alexa::thread_network_credential:read"]
    answer = await client.post("/_localexa/restore", json=older, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    # Of any length: the earlier rule had no limit (rev4 QA).
    older["tables"]["skills"][0]["permissions"] = ["alexa::" + "x" * 300]
    answer = await client.post("/_localexa/restore", json=older, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    # Names no localexa ever stored are still refused, naming the field (rev3 QA).
    for never in ["", "  spaced  ", "Alexa::Upper", "alexa::caf\u00e9:read", None]:
        odd = copy.deepcopy(document)
        odd["tables"]["skills"][0]["permissions"] = [never] if never is not None else None
        answer = await client.post("/_localexa/restore", json=odd, headers=ADMIN)
        assert answer.status_code == 400, (never, answer.text)
        assert "permissions" in answer.json()["message"], answer.text
    vendor = document["tables"]["skills"][0]["vendor_id"]
    made = await client.post(
        "/_localexa/skills",
        json={
            "vendorId": vendor,
            "name": "New",
            "endpoint": "http://127.0.0.1:9/s",
            "permissions": ["alexa::thread_network_credential:read"],
        },
        headers=ADMIN,
    )
    assert made.status_code == 400, made.text
    assert "did you mean 'alexa::thread_network_credentials:read'?" in made.json()["message"]
