"""The LWA scopes localexa knows, and how a `scope` parameter is read.

Sources (../shared/spec/alexa-api-surface.md §3 "Scopes"): the customer-profile scopes of the LWA
docs (`profile`, `profile:user_id`, `postal_code`), the app-to-app scope
`alexa::skills:account_linking`, the SMAPI scopes ask-cli requests (`alexa::ask:…`), and the two
scopes of the client_credentials grant (`alexa:skill_messaging`, `alexa::proactive_events`).
"""

from __future__ import annotations

import re

PROFILE = "profile"
PROFILE_USER_ID = "profile:user_id"
POSTAL_CODE = "postal_code"
ACCOUNT_LINKING = "alexa::skills:account_linking"
SKILL_MESSAGING = "alexa:skill_messaging"
PROACTIVE_EVENTS = "alexa::proactive_events"

#: What a customer sees on the consent page for each scope a website or app may request.
AUTHORIZE_SCOPES: dict[str, str] = {
    PROFILE: "Your name, email address and Amazon user ID",
    PROFILE_USER_ID: "Your Amazon user ID",
    POSTAL_CODE: "Your postal code",
    ACCOUNT_LINKING: "Enable Alexa skills and link them to your accounts",
}
#: SMAPI scopes (ask-cli DEFAULT_SCOPES and the SMAPI docs) all share this prefix.
SMAPI_PREFIX = "alexa::ask:"
_SMAPI_DESCRIPTION = "Manage your Alexa skills (Alexa Skills Kit: {})"

#: Only a skill messaging client may ask for these, and only with client_credentials.
CLIENT_CREDENTIALS_SCOPES: frozenset[str] = frozenset({SKILL_MESSAGING, PROACTIVE_EVENTS})
#: All a skill's Alexa client (app-to-app account linking) may be granted. Amazon's app-to-app
#: debugging tips name this scope alone for the "Alexa Client Id", and the app's own security
#: profile for the others (`profile` among them); nothing says the Alexa client may have those.
ALEXA_CLIENT_SCOPES: frozenset[str] = frozenset({ACCOUNT_LINKING})

#: RFC 6749 §3.3 scope-token: printable ASCII without space, `"` and `\`.
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def split_scopes(value: str | None) -> tuple[str, ...]:
    """The scopes of a space-separated `scope` value, in order, without repeats.

    `+` separates too: no LWA scope contains it, and a hand-written, unencoded form body
    (`scope=profile+postal_code`) means a space by it. Nothing else does (RFC 6749 §3.3: `%x20`
    only): a tab, a no-break or an ideographic space stays inside its token, which is then no
    scope-token, so the request gets `invalid_scope` here as it would on Amazon.
    """
    if not value:
        return ()
    return tuple(dict.fromkeys(part for part in re.split(r"[ +]+", value) if part))


def is_scope_token(scope: str) -> bool:
    # fullmatch: `$` also matches before a trailing line feed, and `readwrite\n` was granted.
    return bool(_SCOPE_TOKEN.fullmatch(scope))


def authorize_scope_description(scope: str) -> str | None:
    """The consent text of a scope /ap/oa grants, or None when /ap/oa does not grant it."""
    if scope in AUTHORIZE_SCOPES:
        return AUTHORIZE_SCOPES[scope]
    if scope.startswith(SMAPI_PREFIX) and len(scope) > len(SMAPI_PREFIX) and is_scope_token(scope):
        return _SMAPI_DESCRIPTION.format(scope[len(SMAPI_PREFIX) :])
    return None
