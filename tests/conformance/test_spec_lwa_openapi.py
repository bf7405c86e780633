"""localexa's OpenAPI document against spec §3 "Token success response": LWA always sends
`access_token`, `token_type` ("bearer") and `expires_in`, so the document must mark all three
required; `refresh_token` only comes with some grants."""

from __future__ import annotations

import httpx


async def test_the_token_response_schema_requires_what_lwa_always_sends(client: httpx.AsyncClient) -> None:
    document = (await client.get("/_localexa/openapi.json")).json()
    ok = document["paths"]["/auth/o2/token"]["post"]["responses"]["200"]
    reference = ok["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][reference.rsplit("/", 1)[-1]]
    assert {"access_token", "token_type", "expires_in"} <= set(schema["required"])
    assert "refresh_token" not in schema["required"]
    assert schema["properties"]["token_type"]["const"] == "bearer"
