"""A password in a skill's accessTokenUrl (`https://user:password@host/token`) never reaches the
log or the journal, even when the exchange fails and the reason is logged."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from localexa.server.observe.logging_setup import KeyValueFormatter, RedactingFilter
from tests.enablement.helpers import customer_token, link, linked_skill
from tests.enablement.token_server import TokenServer
from tests.factories import Admin
from tests.observe.helpers import journal

PASSWORD = "TOPSECRETPW"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(f"http://tokuser:{PASSWORD}@127.0.0.1:9/token", id="unreachable"),
        pytest.param(None, id="reachable-refusing"),
    ],
)
async def test_a_password_in_the_token_url_is_never_logged_or_journaled(
    client: httpx.AsyncClient,
    admin: Admin,
    token_server: TokenServer,
    caplog: pytest.LogCaptureFixture,
    url: str | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    refusing = token_server.url("error").replace("http://", f"http://tokuser:{PASSWORD}@")
    skill = await linked_skill(admin, token_server, linking={"accessTokenUrl": url or refusing})
    answer = await link(client, await customer_token(admin, await admin.customer()), skill.skill_id)
    assert answer.status_code == 400
    # What `localexa serve`'s handler writes of these records (httpx's own included).
    scrub, formatter = RedactingFilter(), KeyValueFormatter()
    written = "\n".join(formatter.format(record) for record in caplog.records if scrub.filter(record))
    assert "127.0.0.1" in written  # the failed exchange was logged with its URL ...
    assert PASSWORD not in written  # ... without the password
    entries = await journal(client)
    assert PASSWORD not in json.dumps(entries)
    if url is None:
        # The exchange itself is in the journal, its userinfo redacted: the entry was skipped
        # (the redacted URL's `[redacted]@` read as a broken IPv6 host; QA of 2026-12-05).
        [outbound] = [e for e in entries if e["direction"] == "outbound"]
        assert outbound["path"] == "/token/error"
        assert outbound["url"].startswith("http://[redacted]@127.0.0.1:")
        assert outbound["status"] == 400
