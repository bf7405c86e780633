"""Authorization codes: the ones /ap/oa issues and the AcceptGrant codes other areas mint.

A code is valid 5 minutes (the skill-enablement doc) by localexa's clock and is used once; only
its keyed hash is stored. Tokens later issued from a code share the code's `grant_id`, so a
replayed code revokes them (RFC 6749 §4.1.2, LwaRepository.revoke_grant).

AcceptGrant (`Alexa.Authorization.AcceptGrant`, spec §4): localexa sends the skill a code that
the skill exchanges at /auth/o2/token with its Skill Messaging credentials. Amazon's sample
(`sample_async.py`) sends no `redirect_uri`, so grant codes carry none and need none.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.lwa.key_confirmation import require_confirmed_key
from localexa.server.lwa.models import KIND_GRANT, AuthorizationCode
from localexa.server.lwa.repository import LwaRepository
from localexa.server.lwa.tokens import new_grant_id

CODE_LIFETIME = timedelta(minutes=5)
KIND_LWA = "lwa"
# Amazon's codes are letters only ("ANUbUKCJqlBOpMhwYWxU"); 32 of them carry 182 bits.
_CODE_ALPHABET = string.ascii_letters
_CODE_LENGTH = 32


def new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


async def store_code(
    session: AsyncSession,
    box: SecretBox,
    clock: Clock,
    *,
    kind: str,
    client_id: str,
    user_id: str,
    scopes: Iterable[str],
    redirect_uri: str | None = None,
    code_challenge: str | None = None,
    code_challenge_method: str | None = None,
    skill_id: str | None = None,
) -> str:
    """Store a new one-time code and return it (the only time it exists in clear). Refused while
    the secret key is not confirmed: its hash would pass for a proof of this key
    (lwa/key_confirmation.py)."""
    if not box.key_confirmed:
        await require_confirmed_key(session, box)
    code = new_code()
    repo = LwaRepository(session)
    repo.add(
        AuthorizationCode(
            code_hash=box.hash_token(code),
            kind=kind,
            client_id=client_id,
            user_id=user_id,
            redirect_uri=redirect_uri,
            scopes=" ".join(scopes),
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            expires_at=clock.now() + CODE_LIFETIME,
            used_at=None,
            grant_id=new_grant_id(),
            skill_id=skill_id,
        )
    )
    await repo.flush()
    return code


async def mint_grant_code(
    session: AsyncSession,
    box: SecretBox,
    clock: Clock,
    *,
    client_id: str,
    user_id: str,
    skill_id: str,
    scopes: Iterable[str],
) -> str:
    """A one-time `Alexa.Authorization.AcceptGrant` code for `user_id` and the skill `skill_id`.

    `client_id` must be the skill's messaging client (Skill Credentials): only that client can
    exchange the code, with its client secret and without `redirect_uri`, for an access token
    and a refresh token of the customer. The code lives 5 minutes and works once.

    Raises ValueError when `client_id` is not the messaging client of `skill_id`, or when the
    customer does not exist (a programming error of the caller, not a request error).
    """
    repo = LwaRepository(session)
    client = await repo.client(client_id)
    if client is None or client.skill_id != skill_id:
        raise ValueError(f"{client_id} is not the skill messaging client of {skill_id}")
    if await repo.customer(user_id) is None:
        raise ValueError(f"{user_id} is not a customer")
    return await store_code(
        session,
        box,
        clock,
        kind=KIND_GRANT,
        client_id=client_id,
        user_id=user_id,
        scopes=scopes,
        skill_id=skill_id,
    )
