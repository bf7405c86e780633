"""What a request that got no answer raises, in both clients' words (`_sync.py`, `_async.py`):
httpx's request errors, a value HTTP cannot carry, a StopIteration from under a request. Never
the request's secrets: no header value, query or password in a message."""

from __future__ import annotations

import httpx

from localexa.client._errors import APIConnectionError, APIError, APITimeoutError, ConfigurationError
from localexa.client._tls import plain_http_reason
from localexa.client.messages import UNTRUSTED_CA_FIX
from localexa.tls_failures import certificate_failure, plain_http_hint
from localexa.url_passwords import without_password

STOP_ITERATION_TEXT = "the request's transport (or auth) raised StopIteration"


def stop_iteration_error(exc: BaseException) -> RuntimeError | None:
    """The RuntimeError both clients raise for a StopIteration from under a request (a transport,
    auth or event hook that ran out of items: a test's `next(iter(replies))`), or None when `exc`
    is no such thing. It comes as itself from a plain function (the sync runner would read it as
    the flow's return, answering None as if the call had worked), or as Python's "coroutine (or
    generator) raised StopIteration" (PEP 479) from a coroutine or an auth flow: one wording for
    all, the same in both clients (the async one said Python's until 2026-12-07, review36b #11).
    Raise it `from` the StopIteration."""
    if isinstance(exc, StopIteration) or (
        isinstance(exc, RuntimeError) and isinstance(exc.__cause__, StopIteration)
    ):
        return RuntimeError(STOP_ITERATION_TEXT)
    return None


def unsendable() -> ConfigurationError:
    """A value httpx cannot encode: a header that is not ASCII (an admin key or token read from a
    file with a byte-order mark, a typographic quote) or text that is not UTF-8 (a lone surrogate
    from argv bytes) in a parameter or body. Never quotes the value, nor is raised from within the
    `except`: the UnicodeEncodeError's repr holds the whole text, admin key or token included."""
    return ConfigurationError(
        "The request could not be sent: a header, parameter or body value is not text HTTP can carry "
        "(a non-ASCII character, e.g. a byte-order mark, in a token or the admin key, or text that is "
        "not UTF-8). Check tokens, the admin key and arguments."
    )


def transport_error(exc: httpx.RequestError, request: httpx.Request) -> APIError | ConfigurationError:
    """httpx's request errors never leak: they become APIConnectionError / APITimeoutError.

    Their text is not copied when it may quote the request: a header httpx refuses to send (a
    token or admin key with a stray newline) is a ConfigurationError naming the fault, never the
    value, and is not retried. Raise the result outside the `except` block, so the httpx error,
    which quotes the header, is not chained to it either.
    """
    # Nothing left when no connection was made: then even a POST may be sent again.
    sent = not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    where = request_target(request)
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"Request timed out: {where}: {type(exc).__name__}.", request=request, sent=sent
        )
    if isinstance(exc, httpx.LocalProtocolError):
        return ConfigurationError(
            f"The request could not be sent ({type(exc).__name__}): a header value is not valid "
            "HTTP. Check tokens and the admin key for stray whitespace or newlines."
        )
    if isinstance(exc, httpx.DecodingError):
        return APIConnectionError(
            f"The response body could not be decoded ({type(exc).__name__}: its Content-Encoding "
            "does not match its bytes).",
            request=request,
        )
    plain = plain_http_reason(exc)
    if plain is not None:
        return APIConnectionError(
            f"Connection error: {where}: {plain_http_hint(plain)}", request=request, sent=sent
        )
    verify = certificate_failure(exc)
    if verify is not None and verify[1]:
        # OpenSSL's "[SSL: CERTIFICATE_VERIFY_FAILED] … (_ssl.c:1006)" named no fix (revB QA).
        return APIConnectionError(
            f"Connection error: {where}: TLS certificate verify failed ({verify[0]}): this client "
            f"does not trust the server's CA; {UNTRUSTED_CA_FIX}",
            request=request,
            sent=sent,
        )
    return APIConnectionError(
        f"Connection error: {where}: {exc or type(exc).__name__}", request=request, sent=sent
    )


def request_target(request: httpx.Request) -> str:
    """`GET http://host:port/path` for messages: which call failed where (until 2026-12-06 a
    connection error said only "[Errno 111] Connection refused"). The query (a tokeninfo's
    `access_token`), fragment and user info are left out: they may hold secrets. So is what may
    be a password httpx read as a port and a path: `http://127.0.0.1:1/pw@host` is the password
    `1/pw` to whoever put a `/` in it (re-verification E1 of the night of 2026-12-06); the
    client's own path segments have no `@`, they are quoted."""
    url = request.url.copy_with(query=None, fragment=None, userinfo=b"")
    return f"{request.method} {without_password(str(url))}"
