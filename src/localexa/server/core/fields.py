"""Field types that several areas' request bodies share."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field


def not_blank(value: str) -> str:
    """Refuse a value of white space alone (`" "` named a customer, a skill or a client)."""
    if not value.strip():
        raise ValueError("must not be only white space")
    return value


#: A display name (customer, vendor, LWA client, skill): 1–200 characters, not all white space.
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(not_blank)]

#: RFC 6749 §3.3's scope-token: printable ASCII but space, `"` and `\`.
SCOPE_TOKEN = re.compile(r"[!#-\[\]-~]+")


def _upper_case(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


#: A region in an admin body, in any letter case as the journal filter and the client take it
#: (`"eu"` was a 400 on faults and customers; QA of regions, 2026-12-05).
RegionField = Annotated[Literal["NA", "EU", "FE"], BeforeValidator(_upper_case)]
