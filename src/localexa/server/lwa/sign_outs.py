""" "Not you?" on /ap/oa ends the session on the server, not only in the browser.

The session cookie is signed, not stored (signing.py): replacing it in the browser leaves a saved
copy signed in until it expires. So sign-out records the session, as the console's does, in the
same `console_sign_outs` table through the same store (console/sign_outs.py): every process
behind the database sees it, a restart forgets nothing, and reset and restore leave the table
alone (observe/state.py). The table holds a keyed hash of the session id (the SecretBox's, under
a label of its own), never the id: the console's rows are a plain SHA-256 of its ids, so the two
never meet on one row, and the table tells nothing that could be put in a cookie.

A row is kept until the cookie could no longer be valid on any clock: the cookie's age is measured
on localexa's clock, which never runs behind the wall clock, so that is its signing time on
localexa's clock plus `SESSION_MAX_AGE`, even if the clock is later reset or restored.
Only signed-in sessions are recorded and looked up: an anonymous one has nothing to end.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request

from localexa.server.console.sign_outs import SignOuts
from localexa.server.core.crypto import SecretBox
from localexa.server.lwa.signing import SESSION_MAX_AGE, BrowserSession

#: What the keyed hash of an LWA session id starts with (the console's hash is unkeyed, of the
#: bare id).
HASH_LABEL = "localexa:lwa:signed-out-session:"


def _store(request: Request, box: SecretBox) -> SignOuts:
    state = request.app.state
    store: SignOuts | None = getattr(state, "lwa_sign_outs", None)
    if store is None:
        store = SignOuts(
            state.engine,
            lifetime_seconds=int(SESSION_MAX_AGE.total_seconds()),
            hashed=lambda session_id: box.hash_token(HASH_LABEL + session_id),
        )
        state.lwa_sign_outs = store
    return store


async def live(request: Request, box: SecretBox, browser: BrowserSession | None) -> BrowserSession | None:
    """The cookie's session, or None when it was signed out (the visitor is then not signed in)."""
    if browser is None or browser.user_id is None:
        return browser
    if await _store(request, box).signed_out(browser.session_id):
        return None
    return browser


async def end(request: Request, box: SecretBox, browser: BrowserSession, now: datetime) -> None:
    """Sign out: this session's cookie signs no one in again, here or in another process."""
    if browser.user_id is None:
        return
    issued = browser.issued_at or now  # `now` is localexa's clock, as the cookie's age is
    await _store(request, box).record(browser.session_id, expires_at=issued + SESSION_MAX_AGE)
