"""localexa.client: a typed Python SDK for the Alexa smart home cloud APIs, sync and async.

It talks to Amazon's real hosts by default, and to a localexa server with one argument:

    from localexa.client import Client

    with Client(base_url="http://127.0.0.1:8080", auth=token) as client:
        client.enablement.enable(skill_id, "development")
        for network in client.thread_networks.list(extended_pan_id="..."):
            ...

It imports httpx, anyio and pydantic only, never localexa.server (a test keeps it so).
"""

from localexa.client import _log_redaction
from localexa.client._client import DEFAULT_TIMEOUT, AsyncClient, Client
from localexa.client._endpoints import Endpoints, Region
from localexa.client._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CaFileError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    EventLoopError,
    InternalServerError,
    LocalexaClientError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    ServiceUnavailableError,
    Violation,
)
from localexa.client._pagination import AsyncPager, Page, SyncPager
from localexa.client._retry import DEFAULT_RETRY, RetryPolicy
from localexa.client.auth import BearerAuth, LwaTokenAuth
from localexa.client.pkce import code_challenge_s256, generate_code_verifier, generate_state

_log_redaction.hide_query_secrets_in_httpx_log()  # a tokeninfo call's ?access_token= stays out of httpx's log

__all__ = [
    "DEFAULT_RETRY",
    "DEFAULT_TIMEOUT",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "BearerAuth",
    "CaFileError",
    "Client",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "Endpoints",
    "EventLoopError",
    "InternalServerError",
    "LocalexaClientError",
    "LwaTokenAuth",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitError",
    "Region",
    "RetryPolicy",
    "ServiceUnavailableError",
    "SyncPager",
    "Violation",
    "code_challenge_s256",
    "generate_code_verifier",
    "generate_state",
]
