"""Amazon's own clients, unchanged, against `localexa serve` (spec §6): ask-cli over HTTP with
its environment profile, and ask-smapi-sdk over HTTPS (`serve --tls`, REQUESTS_CA_BUNDLE).

Each drives set / get / delete skill enablement and get skill credentials, and the server's state
is checked independently afterwards."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.enablement.serve import DeveloperSetup, Served, clean_env, developer_setup, serve

pytestmark = pytest.mark.slow

ASK = Path(__file__).resolve().parents[1] / "node" / "node_modules" / ".bin" / "ask"


def _enablement_status(served: Served, setup: DeveloperSetup) -> int:
    with served.http() as client:
        response = client.get(
            f"/v1/skills/{setup.skill_id}/stages/development/enablement",
            headers={"Authorization": f"Bearer {setup.access_token}"},
        )
    return response.status_code


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("serve-http")) as served:
        yield served


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("serve-https"), tls=True) as served:
        yield served


def _ask(served: Served, setup: DeveloperSetup, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(
        HOME=str(home),
        ASK_SMAPI_SERVER_BASE_URL=served.base_url,
        ASK_LWA_TOKEN_HOST=served.base_url,
        ASK_LWA_CLIENT_ID=setup.client_id,
        ASK_LWA_CLIENT_CONFIRMATION=setup.client_secret,
        ASK_REFRESH_TOKEN=setup.refresh_token,
        ASK_VENDOR_ID=setup.vendor_id,
        AWS_ACCESS_KEY_ID="AKIALOCALEXAUNUSED",
        AWS_SECRET_ACCESS_KEY="unused",
        ASK_SHARE_USAGE="false",
    )
    if served.base_url.startswith("https"):
        # Node trusts localexa's CA only when told to (issue 10: `localexa ca` prints this line).
        env["NODE_EXTRA_CA_CERTS"] = str(served.ca_file)
    return subprocess.run(
        [str(ASK), "smapi", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(params=["http", "https"])
def ask_server(request: pytest.FixtureRequest) -> Served:
    """ask-cli over plain HTTP, and over `serve --tls` trusting the CA through NODE_EXTRA_CA_CERTS."""
    served: Served = request.getfixturevalue("plain_server" if request.param == "http" else "tls_server")
    return served


def test_ask_cli_enablement_and_credentials(ask_server: Served, tmp_path: Path) -> None:
    if not ASK.exists() or shutil.which("node") is None:
        pytest.skip("ask-cli is not installed: run `npm install` in tests/node (scripts/test does)")
    plain_server = ask_server
    setup = developer_setup(plain_server)

    enabled = _ask(
        plain_server, setup, tmp_path, "set-skill-enablement", "-s", setup.skill_id, "-g", "development"
    )
    assert enabled.returncode == 0, enabled.stdout + enabled.stderr
    assert _enablement_status(plain_server, setup) == 204

    status = _ask(
        plain_server,
        setup,
        tmp_path,
        "get-skill-enablement-status",
        "-s",
        setup.skill_id,
        "-g",
        "development",
    )
    assert status.returncode == 0, status.stdout + status.stderr

    credentials = _ask(plain_server, setup, tmp_path, "get-skill-credentials", "-s", setup.skill_id)
    assert credentials.returncode == 0, credentials.stdout + credentials.stderr
    shown = json.loads(credentials.stdout)
    assert shown["skillMessagingCredentials"] == {
        "clientId": setup.messaging_client_id,
        "clientSecret": setup.messaging_client_secret,
    }

    disabled = _ask(
        plain_server, setup, tmp_path, "delete-skill-enablement", "-s", setup.skill_id, "-g", "development"
    )
    assert disabled.returncode == 0, disabled.stdout + disabled.stderr
    assert _enablement_status(plain_server, setup) == 404

    missing = _ask(
        plain_server,
        setup,
        tmp_path,
        "get-skill-enablement-status",
        "-s",
        setup.skill_id,
        "-g",
        "development",
    )
    assert missing.returncode != 0
    assert "404" in missing.stdout + missing.stderr


def test_ask_smapi_sdk_enablement_and_credentials(
    tls_server: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ask_sdk_model_runtime import (
        ApiConfiguration,
        AuthenticationConfiguration,
        DefaultApiClient,
        DefaultSerializer,
        ServiceException,
    )
    from ask_sdk_model_runtime.lwa import LwaClient
    from ask_smapi_model.services.skill_management import SkillManagementServiceClient
    from ask_smapi_model.v1.skill.skill_credentials import SkillCredentials

    setup = developer_setup(tls_server)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_server.ca_file))
    serializer, api_client = DefaultSerializer(), DefaultApiClient()
    auth = AuthenticationConfiguration(
        client_id=setup.client_id, client_secret=setup.client_secret, refresh_token=setup.refresh_token
    )
    lwa = LwaClient(
        ApiConfiguration(serializer=serializer, api_client=api_client, api_endpoint=tls_server.base_url),
        auth,
        grant_type="refresh_token",
    )
    smapi = SkillManagementServiceClient(
        ApiConfiguration(serializer=serializer, api_client=api_client, api_endpoint=tls_server.base_url),
        auth,
        lwa_client=lwa,
    )

    smapi.set_skill_enablement_v1(skill_id=setup.skill_id, stage="development")
    assert _enablement_status(tls_server, setup) == 204
    smapi.get_skill_enablement_status_v1(skill_id=setup.skill_id, stage="development")

    credentials = smapi.get_skill_credentials_v1(skill_id=setup.skill_id)
    assert isinstance(credentials, SkillCredentials), credentials  # (the SDK's answer is a Union)
    messaging = credentials.skill_messaging_credentials
    assert messaging is not None, credentials
    assert messaging.client_id == setup.messaging_client_id
    assert messaging.client_secret == setup.messaging_client_secret

    smapi.delete_skill_enablement_v1(skill_id=setup.skill_id, stage="development")
    assert _enablement_status(tls_server, setup) == 404
    with pytest.raises(ServiceException) as missing:
        smapi.get_skill_enablement_status_v1(skill_id=setup.skill_id, stage="development")
    assert missing.value.status_code == 404

    with pytest.raises(ServiceException) as foreign:
        smapi.get_skill_credentials_v1(skill_id="amzn1.ask.skill.not-mine")
    assert foreign.value.status_code == 404
