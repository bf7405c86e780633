"""The skill permissions a skill may hold: the names Amazon's skill manifest takes.

Amazon's SMAPI refuses a manifest whose `permissions[].name` it does not know; localexa stored any
name of the right shape (`alexa::thread_network_credential:read`, `bogus:perm`), and the skill then
failed later without a word: a misspelt `alexa::async_event:write` meant no AcceptGrant was ever
sent (readme1 QA of 2026-12-06, F10). Since 2026-12-06 an unknown name is a 400 naming it.

Source: the `PermissionName` enumeration of Amazon's SMAPI model
(alexa/alexa-apis-for-python, `ask-smapi-model/ask_smapi_model/v1/skill/manifest/permission_name.py`),
which is what the skill manifest's `permissions[].name` takes, and the manifest pages of the Alexa
developer documentation (developer.amazon.com/docs/alexa/smapi/skill-manifest.html, "permissions
object"; custom-skills/use-device-address.html spells the postal-code permission with `::`, the
enumeration with one `:`: both are taken). One name is localexa's own:
`alexa::thread_network_credentials:read`, the Credential Locker's permission, which Amazon does
not publish (../shared/spec/admin-api.md).
"""

from __future__ import annotations

import difflib
import re

#: Of these localexa acts on two: `alexa::async_event:write` (AcceptGrant, the event gateway) and
#: `alexa::thread_network_credentials:read` (the Credential Locker). The others are stored and shown.
KNOWN_PERMISSIONS: tuple[str, ...] = tuple(
    sorted(
        {
            "alexa::alerts:reminders:skill:readwrite",
            "alexa::alerts:timers:skill:readwrite",
            "alexa::async_event:write",
            "alexa::authenticate:2:mandatory",
            "alexa::authenticate:2:optional",
            "alexa::customer_id:read",
            "alexa::device_id:read",
            "alexa::device_type:read",
            "alexa::devices:all:address:country_and_postal_code:read",
            "alexa:devices:all:address:country_and_postal_code:read",  # the enumeration's spelling
            "alexa::devices:all:address:full:read",
            "alexa::devices:all:coarse_location:read",
            "alexa::devices:all:geolocation:read",
            "alexa::devices:all:notifications:urgent:write",
            "alexa::devices:all:notifications:write",
            "alexa::energy:devices:state:read",
            "alexa::health:profile:write",
            "alexa::household:lists:read",
            "alexa::household:lists:write",
            "alexa::music:cast",
            "alexa::origin_ip_address:read",
            "alexa::person_id:read",
            "alexa::personality:explicit:read",
            "alexa::personality:explicit:write",
            "alexa::profile:email:read",
            "alexa::profile:given_name:read",
            "alexa::profile:mobile_number:read",
            "alexa::profile:name:read",
            "alexa::raw_person_id:read",
            "alexa::skill:cds:monetization",
            "alexa::skill:products:entitlements",
            "alexa::skill:proactive_enablement",
            "alexa::thread_network_credentials:read",  # localexa's (Amazon publishes none)
            "alexa::user_experience_guidance:read",
            "alexa::utterance_id:read",
            "avs::distributed_audio",
            "payments:autopay_consent",
        }
    )
)
_KNOWN = frozenset(KNOWN_PERMISSIONS)


def unknown_permission_message(name: str) -> str | None:
    """None for a known permission; else why it is refused, with the closest known name if any."""
    if name in _KNOWN:
        return None
    shown = name if len(name) <= 120 else name[:120] + "…"
    message = f"{shown!r} is not a skill permission Amazon's skill manifest knows"
    close = difflib.get_close_matches(name, KNOWN_PERMISSIONS, n=1, cutoff=0.8)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    return message + " (the names taken: /_localexa/openapi.json, SkillSpec.permissions)"


#: What the admin API took before the list above (2026-12-06), so what an upgraded database or an
#: older localexa's snapshot may hold: restore takes such names as stored, and refuses the rest
#: (an empty name, white space, `é`: no localexa stored those). The rule had no length limit.
_STORED_SHAPE = re.compile(r"[a-z][\w:.\-]*", re.ASCII)


def stored_permission_problem(name: str) -> str | None:
    """None for a name some localexa could have stored; else why a restore refuses it."""
    if _STORED_SHAPE.fullmatch(name):
        return None
    shown = name if len(name) <= 120 else name[:120] + "…"
    return f"{shown!r} is not a permission name (a small letter, then letters, digits, '_', ':', '.', '-')"
