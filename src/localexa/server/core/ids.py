"""Identifiers in Amazon's formats, so code that checks prefixes or lengths works unchanged."""

from __future__ import annotations

import secrets
import string
import uuid

_UPPER_ALNUM = string.ascii_uppercase + string.digits


def _upper(n: int) -> str:
    return "".join(secrets.choice(_UPPER_ALNUM) for _ in range(n))


def account_id() -> str:
    """An Amazon customer id, `amzn1.account.` + 28 upper-case characters."""
    return "amzn1.account." + _upper(28)


def skill_user_id() -> str:
    """A skill-scoped user id (`amzn1.ask.account.…`), new for every enablement."""
    return "amzn1.ask.account." + _upper(100)


def vendor_id() -> str:
    """A vendor id such as `M2ABCDEFGHIJKL`."""
    return "M" + _upper(13)


def skill_id() -> str:
    return f"amzn1.ask.skill.{uuid.uuid4()}"


def lwa_client_id() -> str:
    return "amzn1.application-oa2-client." + secrets.token_hex(16)


def lwa_client_secret() -> str:
    return "amzn1.oa2-cs.v1." + secrets.token_hex(32)
