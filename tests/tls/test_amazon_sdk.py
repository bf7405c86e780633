"""Amazon's Python runtime (ask-smapi-sdk's LwaClient) refuses plain HTTP (spec §6, observed
notes); over `serve --tls` with REQUESTS_CA_BUNDLE it reaches `/auth/o2/token`. Only TLS is
asserted here: the token endpoint's answers are the LWA area's to test."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.tls.conftest import TlsServer, child_env

pytestmark = pytest.mark.slow

#: Built as spec §6 shows: the LWA endpoint is set on the LwaClient's own ApiConfiguration.
LWA_SCRIPT = """
import json, sys
from ask_sdk_model_runtime import (
    ApiConfiguration, AuthenticationConfiguration, DefaultApiClient, DefaultSerializer,
)
from ask_sdk_model_runtime.exceptions import ServiceException
from ask_sdk_model_runtime.lwa import LwaClient

lwa = LwaClient(
    ApiConfiguration(serializer=DefaultSerializer(), api_client=DefaultApiClient(), api_endpoint=sys.argv[1]),
    AuthenticationConfiguration(client_id="amzn1.application-oa2-client.x", client_secret="s",
                                refresh_token="Atzr|not-a-real-token"),
    grant_type="refresh_token",
)
try:
    lwa.get_access_token_from_refresh_token()
    outcome = {"reached": True, "answer": "token"}
except ServiceException as exc:
    # A transport failure is a ServiceException without headers ("Call to service failed: ...").
    outcome = {"reached": exc.headers is not None, "status": exc.status_code, "message": str(exc)}
except ValueError as exc:  # an answer without expires_in
    outcome = {"reached": True, "message": str(exc)}
print(json.dumps(outcome))
"""


def run_lwa(endpoint: str, **env: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", LWA_SCRIPT, endpoint], env=child_env(**env), capture_output=True, timeout=60
    )
    assert result.returncode == 0, result.stderr.decode()
    outcome: dict[str, object] = json.loads(result.stdout)
    return outcome


def test_lwa_client_reaches_the_token_endpoint_over_https(tls_server: TlsServer) -> None:
    outcome = run_lwa(tls_server.url(host="localhost"), REQUESTS_CA_BUNDLE=str(tls_server.ca_file))
    assert outcome["reached"] is True, outcome
    assert "SSL" not in str(outcome.get("message", ""))


def test_lwa_client_without_the_ca_fails_on_tls(tls_server: TlsServer) -> None:
    outcome = run_lwa(tls_server.url(host="localhost"))
    assert outcome["reached"] is False
    assert "CERTIFICATE_VERIFY_FAILED" in str(outcome["message"])


def test_lwa_client_refuses_plain_http(tls_server: TlsServer) -> None:
    """Why --tls exists: the runtime will not even try http://."""
    outcome = run_lwa(f"http://127.0.0.1:{tls_server.ports['NA']}")
    assert outcome["reached"] is False
    assert "non-HTTPS" in str(outcome["message"])
