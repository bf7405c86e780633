"""LWA's api.amazon.com paths in any letter case (spec §3 "Client quirks": "route the path
case-insensitively").

Amazon's Python runtime posts to `/auth/O2/token`, so Amazon's server does not tell the case of
that path; the spec asks for any casing to be routed. The documented route (`/auth/o2/token`)
stays first, for the OpenAPI document; `any_case(path)` is the route path, registered after it,
that catches every other casing of the same path (the runtime's included). The metrics, the log
line and the journal name every spelling by the documented path (`canonical_path`): one route,
one label (until 2026-12-06 `/auth/O2/token` and `/{auth_o2_token_in_any_case}` were two more).
"""

from __future__ import annotations

import re

from starlette.convertors import Convertor, register_url_convertor


def _convertor(path: str) -> Convertor[str]:
    """Matches exactly `path` (slashes included), ignoring letter case. A class per path: Starlette
    reads `regex` as a class attribute."""

    class AnyCase(Convertor[str]):
        regex = f"(?i:{re.escape(path)})"
        canonical_path = path  # the documented spelling, without its leading slash: the label

        def convert(self, value: str) -> str:
            return value

        def to_string(self, value: str) -> str:
            return value

    return AnyCase()


def any_case(path: str) -> str:
    """A route path matching `path` (absolute, e.g. `/auth/o2/token`) in any letter case."""
    if not path.startswith("/"):
        raise ValueError(f"{path!r} is not an absolute path")
    # One parameter name (and convertor) per path, so each path's calls keep a route of their own.
    param = re.sub(r"\W", "_", path.strip("/")) + "_in_any_case"
    name = f"localexa_{param}"
    register_url_convertor(name, _convertor(path.lstrip("/")))
    return f"/{{{param}:{name}}}"


def canonical_path(route: object) -> str | None:
    """The path an `any_case` route stands for (`/auth/o2/token`), or None for any other route."""
    convertors = getattr(route, "param_convertors", None)
    if not isinstance(convertors, dict) or len(convertors) != 1:
        return None
    path = getattr(next(iter(convertors.values())), "canonical_path", None)
    return f"/{path}" if isinstance(path, str) else None
