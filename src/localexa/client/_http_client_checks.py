"""What `Client(http_client=…)` and `AsyncClient(http_client=…)` refuse beside it, at once.

An `http_client=` is used as it is: the other kind of httpx client, or options that would be
ignored beside it, are a ConfigurationError where they are given, not a surprise at the first call.
"""

from __future__ import annotations

from localexa.client._errors import ConfigurationError
from localexa.client._timeouts import DEFAULT_TIMEOUT
from localexa.client._tls import CaPath, VerifyArg, tls_options_given


def refuse_other_http_client(http_client: object, wanted: type, ours: str, other: str) -> None:
    """`http_client=` of the other kind (an httpx.AsyncClient for Client, or the reverse) was taken
    until 2026-12-06 and failed only at the first call, with httpx's words (rev4 QA)."""
    if not isinstance(http_client, wanted):
        given = type(http_client)
        name = f"httpx.{given.__name__}" if given.__module__.startswith("httpx") else given.__name__
        raise ConfigurationError(
            f"{ours}(http_client=) takes an httpx.{wanted.__name__}, not {name}: pass "
            f"httpx.{wanted.__name__}(…), or use localexa.client.{other} for an httpx.{other}."
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
