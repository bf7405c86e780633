"""Every admin body is read one way (core/admin_route.py, QA of 2026-12-06): a key given twice in
one object is a 400 naming it (the last was taken, without a word), a body is JSON whatever its
`Content-Type` (curl's `-d` labels it a form), and an empty body says it is required."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from localexa.server.core.json_body import NOT_FINITE_MESSAGE
from tests.conftest import ADMIN_KEY
from tests.factories import Admin

KEY = {"X-Localexa-Admin-Key": ADMIN_KEY}
JSON = {**KEY, "Content-Type": "application/json"}
CUSTOMER = '"name": "C", "email": "c@example.com", "password": "pw"'


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        pytest.param("clock", '{"advanceSeconds": 1000, "advanceSeconds": 0}', "advanceSeconds", id="clock"),
        pytest.param(
            "customers", "{" + CUSTOMER + ', "region": "EU", "region": "NA"}', "region", id="customer"
        ),
        pytest.param("faults", '{"path": "/nothing", "status": 503, "status": 500}', "status", id="fault"),
        pytest.param("vendors", '{"name": "V", "name": "W", "ownerUserId": "x"}', "name", id="vendor"),
        pytest.param(
            "skills",
            '{"vendorId": "v", "name": "S", "endpoint": "http://127.0.0.1:9/s",'
            ' "accountLinking": {"type": "AUTH_CODE", "type": "IMPLICIT"}}',
            "type",
            id="skill-nested",
        ),
        pytest.param("directives", '{"userId": "u", "userId": "v"}', "userId", id="directive"),
    ],
)
async def test_a_key_given_twice_is_a_400_naming_it(
    client: httpx.AsyncClient, path: str, body: str, key: str
) -> None:
    before = (await client.get("/_localexa/clock", headers=KEY)).json()["now"]
    response = await client.post(f"/_localexa/{path}", headers=JSON, content=body)
    assert response.status_code == 400, response.text
    assert response.json() == {"message": f"The request body gives the field {key} more than once."}
    assert (await client.get("/_localexa/customers", headers=KEY)).json() == []
    assert (await client.get("/_localexa/faults", headers=KEY)).json() == []
    after = (await client.get("/_localexa/clock", headers=KEY)).json()["now"]
    moved = datetime.fromisoformat(after) - datetime.fromisoformat(before)
    assert moved.total_seconds() < 500  # not moved by 1000 s (minutes compared failed at :59→:00)


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param({"Content-Type": "application/x-www-form-urlencoded"}, id="curl-d"),
        pytest.param({"Content-Type": "text/plain"}, id="text"),
        pytest.param({}, id="none"),
    ],
)
async def test_a_body_is_read_as_json_whatever_its_content_type(
    client: httpx.AsyncClient, content_type: dict[str, str]
) -> None:
    headers = {**KEY, **content_type}
    body = "{" + CUSTOMER + ', "region": "EU"}'
    created = await client.post("/_localexa/customers", headers=headers, content=body)
    assert created.status_code == 201, created.text
    assert created.json()["region"] == "EU"
    broken = await client.post("/_localexa/clock", headers=headers, content='{"advanceSeconds":')
    assert broken.status_code == 400
    assert broken.json() == {"message": "The request body is not valid JSON."}


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        pytest.param("clock", '{"advanceSeconds": …}', id="clock"),
        pytest.param("customers", '{"name": …, "email": …, "password": …}', id="customers"),
        pytest.param("faults", '{"path": …}', id="faults"),
        # Restore reads its own body: it said "not valid JSON" (re-verification of 2026-12-06).
        pytest.param("restore", "a snapshot (what POST /_localexa/snapshot answers)", id="restore"),
    ],
)
@pytest.mark.parametrize("content", [b"", b"  \n"], ids=["empty", "blank"])
async def test_an_empty_body_says_the_body_is_required(
    client: httpx.AsyncClient, path: str, shape: str, content: bytes
) -> None:
    response = await client.post(f"/_localexa/{path}", headers=JSON, content=content)
    assert response.status_code == 400, response.text
    assert response.json() == {"message": f"The request body is required: {shape}."}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"[1]", 'The request body must be a JSON object: {"advanceSeconds": …}.', id="array"),
        pytest.param(b'{"advanceSeconds": NaN}', NOT_FINITE_MESSAGE, id="nan"),
        pytest.param('{"advanceSeconds": 1}'.encode("utf-16"), None, id="utf-16"),
    ],
)
async def test_a_body_that_is_no_json_object_is_a_400(
    client: httpx.AsyncClient, content: bytes, message: str | None
) -> None:
    response = await client.post(
        "/_localexa/clock", headers={**KEY, "Content-Type": "text/plain"}, content=content
    )
    assert response.status_code == 400, response.text
    if message is not None:
        assert response.json() == {"message": message}


async def test_the_key_is_still_checked_before_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/_localexa/clock", content=b'{"advanceSeconds": 1, "advanceSeconds": 2}')
    assert response.status_code == 401


async def test_a_good_body_still_works(client: httpx.AsyncClient, admin: Admin) -> None:
    owner = await admin.customer(name="Owner")
    response = await client.post(
        "/_localexa/vendors", headers=KEY, content=f'{{"name": "V", "ownerUserId": "{owner.user_id}"}}'
    )
    assert response.status_code == 201, response.text


async def test_a_snapshot_with_a_key_given_twice_is_refused(client: httpx.AsyncClient, admin: Admin) -> None:
    await admin.customer(name="Kept")
    snapshot = (await client.post("/_localexa/snapshot", headers=KEY)).text
    assert snapshot.startswith("{")
    twice = '{"version": 1, ' + snapshot[1:]
    response = await client.post("/_localexa/restore", headers=JSON, content=twice)
    assert response.status_code == 400, response.text
    assert response.json() == {"message": "The body gives the key version more than once in one object."}
    restored = await client.post("/_localexa/restore", headers=JSON, content=snapshot)
    assert restored.status_code == 200, restored.text
