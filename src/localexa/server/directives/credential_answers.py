"""What a skill's answer says of the linked token (Alexa's ErrorResponse types for it).

- EXPIRED_AUTHORIZATION_CREDENTIAL: the token is refreshed and the directive sent once more
  (service.py `_deliver`);
- INVALID_AUTHORIZATION_CREDENTIAL: the customer must link again (NEEDS_RELINK), unless the link
  holds another token than the one the directive carried (`learn_invalid`).
"""

from __future__ import annotations

from localexa.server.directives.invoker import Invocation
from localexa.server.directives.runtime import Runtime
from localexa.server.enablement.links import mark_link_invalid_unless_replaced

EXPIRED = "EXPIRED_AUTHORIZATION_CREDENTIAL"
INVALID = "INVALID_AUTHORIZATION_CREDENTIAL"


def error_type(invocation: Invocation) -> str | None:
    """The ErrorResponse type of an answer, if it is one."""
    event = (invocation.answer or {}).get("event")
    if not isinstance(event, dict):
        return None
    header, payload = event.get("header"), event.get("payload")
    if not isinstance(header, dict) or header.get("name") != "ErrorResponse" or not isinstance(payload, dict):
        return None
    value = payload.get("type")
    return value if isinstance(value, str) else None


async def learn_invalid(runtime: Runtime, *, customer_id: str, skill_id: str, token: str, valid: bool) -> str:
    """The note for an INVALID_AUTHORIZATION_CREDENTIAL answer to a directive that carried
    `token`, after marking the link NEEDS_RELINK where the answer is about the link it holds."""
    if not valid:
        # Nothing is learned from an answer whose verdict is invalid, the link's state neither:
        # an INVALID_AUTHORIZATION_CREDENTIAL answering AcceptGrant (whose only failure is
        # Alexa.Authorization's ACCEPT_GRANT_FAILED) ended the link (QA of 2026-12-07).
        return f"The skill answered {INVALID} in an invalid answer; the account link is kept."
    async with runtime.transaction() as session:
        replaced = await mark_link_invalid_unless_replaced(
            session, runtime.box, runtime.clock, customer_id=customer_id, skill_id=skill_id, token=token
        )
    if replaced:
        return (
            f"The skill answered {INVALID} to a token the link has replaced since (a refresh, or a "
            "new link); the account link is kept."
        )
    return f"The skill answered {INVALID}; the account link is marked NEEDS_RELINK."
