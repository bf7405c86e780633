"""What `Client(http_client=…)` and `AsyncClient(http_client=…)` refuse beside it, at once, and
the `transport=` of the other kind.

An `http_client=` is used as it is: the other kind of httpx client, or options that would be
ignored beside it, are a ConfigurationError where they are given, not a surprise at the first call.
So is a `transport=` of the other kind (sync in AsyncClient, async in Client).
"""

from __future__ import annotations

import httpx

from localexa.client._errors import ConfigurationError
from localexa.client._timeouts import DEFAULT_TIMEOUT
from localexa.client._tls import CaPath, VerifyArg, tls_options_given


def refuse_other_http_client(http_client: object, wanted: type, ours: str, other: str) -> None:
    """`http_client=` of the other kind (an httpx.AsyncClient for Client, or the reverse) was taken
    until 2026-12-06 and failed only at the first call, with httpx's words (rev4 QA)."""
    if not isinstance(http_client, wanted):
        raise ConfigurationError(
            f"{ours}(http_client=) takes an httpx.{wanted.__name__}, not {_httpx_name(http_client)}: pass "
            f"httpx.{wanted.__name__}(…), or use localexa.client.{other} for an httpx.{other}."
        )


def _httpx_name(value: object) -> str:
    given = type(value)
    return f"httpx.{given.__name__}" if given.__module__.startswith("httpx") else given.__name__


#: What each client's transport must be, what it is not when it is the other kind, and examples.
_TRANSPORTS: dict[str, tuple[type, str, str, str]] = {
    "Client": (
        httpx.BaseTransport,
        "an async transport",
        "a sync one (httpx.HTTPTransport(…), httpx.MockTransport(…))",
        "AsyncClient",
    ),
    "AsyncClient": (
        httpx.AsyncBaseTransport,
        "a sync transport",
        "an async one (httpx.AsyncHTTPTransport(…), httpx.ASGITransport(…), httpx.MockTransport(…))",
        "Client",
    ),
}


def refuse_other_transport(transport: object, ours: str) -> None:
    """`transport=` of the other kind (httpx.ASGITransport for Client, the README's in-process
    example being async; httpx.HTTPTransport for AsyncClient) was taken until 2026-12-07 and
    failed only at the first call, with httpx's AttributeError (review36b #5). MockTransport is
    both kinds, so both clients take it."""
    wanted, other_kind, example, other = _TRANSPORTS[ours]
    if transport is None or isinstance(transport, wanted):
        return
    other_wanted = _TRANSPORTS[other][0]
    kind = f" ({other_kind})" if isinstance(transport, other_wanted) else ""
    raise ConfigurationError(
        f"{ours}(transport=) takes an httpx.{wanted.__name__}, not {_httpx_name(transport)}{kind}: "
        f"pass {example}, or use localexa.client.{other} for an httpx.{other_wanted.__name__}."
    )


def refuse_beside_http_client(
    verify: VerifyArg, ca_file: CaPath | None, transport: object, timeout: object, httpx_class: str
) -> None:
    """`http_client=` is used as it is, with its own TLS settings, transport and timeout: since
    2026-12-06 `verify=` (but True/None), `ca_file=`, `transport=` or `timeout=` beside it is a
    ConfigurationError (each was ignored, so `Client(http_client=own, verify=False)` still checked
    certificates and `timeout=1` still waited the httpx client's 20 s; rev1 QA F2). `timeout` is
    given unless it is the default's own object, `DEFAULT_TIMEOUT` (an equal `httpx.Timeout` is
    given: only passing the default object itself cannot be told from leaving it out)."""
    given = [
        *tls_options_given(verify, ca_file),
        *(["transport"] if transport is not None else []),
        *(["timeout"] if timeout is not DEFAULT_TIMEOUT else []),
    ]
    if given:
        options = " and ".join(f"{name}=" for name in given)
        raise ConfigurationError(
            f"http_client= and {options} conflict: the client sends through http_client= as it "
            f"is, so {options} would be ignored. Pass one of them; set them on the httpx client "
            f"you pass ({httpx_class}(verify=…, transport=…, timeout=…)), or a timeout for some "
            "calls with client.with_options(timeout=…)."
        )
