"""README walk-through, "Lambda-style skill endpoints": "What the handler prints goes to its log
(shown in the journal), never into the answer". The worker sent the log back, but the journal's
INVOKE entry dropped it: what a handler printed, or the trace of its exception, was nowhere.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.directives.conftest import MyLights, endpoints_after_link, link_customer, send
from tests.factories import Admin

HANDLERS = "python:tests.directives.handlers"
HANDLER_LOG_HEADER = "x-localexa-handler-log"


async def invoke_entry(admin: Admin, handler: str) -> dict[str, Any]:
    """The journal entry of the last call of `handler`."""
    answer = await admin.client.get(
        "/_localexa/journal", params={"direction": "outbound", "limit": 20}, headers=admin.headers
    )
    assert answer.status_code == 200, answer.text
    entries = [e for e in answer.json()["entries"] if e["url"] == f"{HANDLERS}:{handler}"]
    assert entries, answer.json()
    entry: dict[str, Any] = entries[0]
    return entry


async def test_a_handlers_prints_and_its_failures_trace_are_in_the_journal_not_the_answer(
    admin: Admin, client: httpx.AsyncClient, mylights: MyLights
) -> None:
    for handler in ("echo", "raise_with_token"):
        linked = await link_customer(
            admin, client, mylights, endpoint=f"{HANDLERS}:{handler}", permissions=[]
        )
        await endpoints_after_link(admin, linked)
        answer = await send(
            admin,
            {
                "userId": linked.user_id,
                "skillId": linked.skill_id,
                "endpointId": "light-1",
                "namespace": "Alexa",
                "name": "ReportState",
            },
        )
        assert answer.status_code == 200, answer.text
        entry = await invoke_entry(admin, handler)
        log = (entry["responseHeaders"] or {}).get(HANDLER_LOG_HEADER)
        assert log is not None, entry
        if handler == "echo":
            assert log == "echo handler says hello"
            assert "says hello" not in answer.text
        else:
            # The trace names the token the handler was sent: the journal shows it redacted.
            assert 'raise PermissionError(f"bad token' in log
            assert "PermissionError: bad token [redacted]" in log
            assert "Atza|" not in str(entry)
