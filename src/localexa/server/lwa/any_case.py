"""LWA's api.amazon.com paths in any letter case (spec §3 "Client quirks": "route the path
case-insensitively").

Amazon's Python runtime posts to `/auth/O2/token`, so Amazon's server does not tell the case of
that path; the spec asks for any casing to be routed. The literal routes (`/auth/o2/token` and the
runtime's `/auth/O2/token`) stay first, so the journal and the metrics keep naming those calls as
before; `any_case(path)` is the route path, registered after them, that catches every other
casing of the same path.
"""

from __future__ import annotations

import re

from starlette.convertors import Convertor, register_url_convertor


def _convertor(path: str) -> Convertor[str]:
    """Matches exactly `path` (slashes included), ignoring letter case. A class per path: Starlette
    reads `regex` as a class attribute."""

    class AnyCase(Convertor[str]):
        regex = f"(?i:{re.escape(path)})"
        canonical_path = path  # the spelling the routes use: a sample of what it matches

        def convert(self, value: str) -> str:
            return value

        def to_string(self, value: str) -> str:
            return value

    return AnyCase()


def any_case(path: str) -> str:
    """A route path matching `path` (absolute, e.g. `/auth/o2/token`) in any letter case."""
    if not path.startswith("/"):
        raise ValueError(f"{path!r} is not an absolute path")
    # The parameter's name is the route's template in the journal and the metrics
    # (`/{auth_o2_token_in_any_case}`): one per path, so their calls are told apart.
    param = re.sub(r"\W", "_", path.strip("/")) + "_in_any_case"
    name = f"localexa_{param}"
    register_url_convertor(name, _convertor(path.lstrip("/")))
    return f"/{{{param}:{name}}}"
