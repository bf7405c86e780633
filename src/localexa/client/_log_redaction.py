"""OAuth secrets in a query kept out of httpx's request log.

httpx logs every request's URL at INFO on the logger `httpx` (`HTTP Request: GET
https://api.amazon.com/auth/o2/tokeninfo?access_token=Atza|… "HTTP/1.1 200 OK"`), and LWA's
tokeninfo takes the access token in its query, the only form Amazon documents: an app logging at
INFO kept its customers' access tokens in clear (cliq QA of 2026-12-07). A filter on that logger
shows the value of such a parameter as `***` in the record; the request itself is unchanged. It
is added once, when `localexa.client` is imported, and hides the same parameters in any httpx
request the process logs, the app's own included.
"""

from __future__ import annotations

import logging
import re

import httpx

__all__ = ["hide_query_secrets_in_httpx_log"]

#: OAuth 2.0's secret parameters (RFC 6749, RFC 7636), in any letter case; their values up to the
#: next parameter or the fragment.
_SECRET_VALUE = re.compile(
    r"([?&](?:access_token|refresh_token|client_secret|code_verifier)=)[^&#]*", re.IGNORECASE
)


def _hidden(url: httpx.URL) -> httpx.URL | str:
    text = str(url)
    hidden = _SECRET_VALUE.sub(r"\1***", text)
    return url if hidden == text else hidden


class _QuerySecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(arg, httpx.URL) for arg in args):
            record.args = tuple(_hidden(arg) if isinstance(arg, httpx.URL) else arg for arg in args)
        return True


_FILTER = _QuerySecretsFilter()


def hide_query_secrets_in_httpx_log() -> None:
    """Add the filter to the `httpx` logger (again is harmless: `addFilter` keeps one)."""
    logging.getLogger("httpx").addFilter(_FILTER)
