"""Spec §3 "Client quirks the fake LWA must tolerate": Amazon's Python runtime posts to
`/auth/O2/token`, so "route the path case-insensitively": the token endpoint and tokeninfo answer
in any letter case, and every spelling of one path is one route in the journal (and metrics)."""

from __future__ import annotations

import httpx

from tests.factories import Admin
from tests.observe.helpers import journal


async def test_the_token_paths_answer_in_any_letter_case(client: httpx.AsyncClient, admin: Admin) -> None:
    skill = await admin.skill()
    form = {
        "grant_type": "client_credentials",
        "scope": "alexa:skill_messaging",
        "client_id": skill.messaging_client_id,
        "client_secret": skill.messaging_client_secret,
    }
    for path in ("/AUTH/O2/TOKEN", "/Auth/o2/Token", "/auth/o2/TOKEN"):
        answer = await client.post(path, data=form)
        assert answer.status_code == 200, (path, answer.text)
        token = answer.json()["access_token"]
        assert token.startswith("Atc|")  # a client_credentials token (skill messaging page)
        info = await client.get("/AUTH/O2/TokenInfo", params={"access_token": token})
        assert info.status_code == 200, info.text
        assert info.json()["aud"] == skill.messaging_client_id
    # Another casing is still only this path, and errors keep LWA's shape.
    assert (await client.post("/AUTH/O2/TOKENS", data=form)).status_code == 404
    wrong = await client.post("/Auth/O2/Token", data={**form, "client_secret": "wrong"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    # Every spelling is named by the documented path (until 2026-12-06 three names: the two literal
    # paths and `/{auth_o2_token_in_any_case}`), token and tokeninfo apart.
    assert (await client.post("/auth/o2/token", data=form)).status_code == 200
    assert (await client.post("/auth/O2/token", data=form)).status_code == 200
    routes = {(e["method"], e["path"]): e["route"] for e in await journal(client)}
    for path in ("/auth/o2/token", "/auth/O2/token", "/AUTH/O2/TOKEN", "/Auth/o2/Token"):
        assert routes["POST", path] == "/auth/o2/token", path
    assert routes["GET", "/AUTH/O2/TokenInfo"] == "/auth/o2/tokeninfo"
