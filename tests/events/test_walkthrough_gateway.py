"""README walk-through, "The event gateway": a body that is JSON but no object is described as
an event (the skill kit's check called it "the answer")."""

from __future__ import annotations

import httpx
import pytest

from tests.events.test_gateway import assert_gateway_error, post, sender
from tests.factories import Admin


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"[]", "an array"),
        (b'"event"', "a string"),
        (b"42", "a number"),
        (b"true", "a boolean"),
        (b"null", "null"),
    ],
)
async def test_an_event_that_is_not_a_json_object(
    admin: Admin, client: httpx.AsyncClient, body: bytes, kind: str
) -> None:
    who = await sender(admin, client)
    answer = await post(client, body, who.headers())
    assert_gateway_error(answer, 400, "INVALID_REQUEST_EXCEPTION")
    assert answer.json()["payload"]["description"] == f"The event must be a JSON object, not {kind}."
