"""With `--tls` the server's outbound calls trust localexa's own CA beside `--outbound-ca-file`,
so a skill endpoint with a certificate from either answers over https://."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from localexa.cli.main import app as cli
from localexa.cli.serve_run import build_settings, certificate_names, prepare_tls
from localexa.server.app import create_app
from localexa.server.core.http import OutboundCall, OutboundError, OutboundHttp
from localexa.server.core.tls import ensure_server_certificate
from localexa.server.settings import Settings
from tests.enablement.helpers import customer_token, link
from tests.enablement.token_server import CLIENT_ID, CLIENT_SECRET
from tests.factories import Admin
from tests.observe.helpers import journal
from tests.tls.conftest import https_endpoint, plain_http_endpoint


def tls_settings(tmp_path: Path, outbound_ca_file: Path | None) -> Settings:
    return build_settings("127.0.0.1", 8080, tmp_path / "data", None, False, True, outbound_ca_file)


async def fetch(outbound: OutboundHttp, url: str) -> int:
    return (await outbound.request("GET", url + "/skill", timeout=5)).status


async def test_outbound_trusts_localexa_ca_and_the_named_ca_but_no_other(tmp_path: Path) -> None:
    user = ensure_server_certificate(tmp_path / "user-ca")  # the user's own CA and endpoint cert
    stranger = ensure_server_certificate(tmp_path / "stranger-ca")
    settings = tls_settings(tmp_path, user.ca_file)
    ssl_options = prepare_tls(settings)
    ours = Path(ssl_options["ssl_certfile"]), Path(ssl_options["ssl_keyfile"])
    outbound = OutboundHttp(ca_file=settings.outbound_ca_file)
    try:
        with https_endpoint(*ours) as url:
            assert await fetch(outbound, url) == 200
        with https_endpoint(user.cert_file, user.key_file) as url:
            assert await fetch(outbound, url) == 200
        with https_endpoint(stranger.cert_file, stranger.key_file) as url, pytest.raises(OutboundError):
            await fetch(outbound, url)
    finally:
        await outbound.aclose()


async def test_without_tls_localexa_ca_is_not_trusted_outbound(tmp_path: Path) -> None:
    ours = ensure_server_certificate(tmp_path / "data" / "tls")
    outbound = OutboundHttp(ca_file=None)
    try:
        with https_endpoint(ours.cert_file, ours.key_file) as url, pytest.raises(OutboundError):
            await fetch(outbound, url)
    finally:
        await outbound.aclose()


async def test_running_app_calls_a_skill_endpoint_behind_localexa_ca(settings: Settings) -> None:
    settings.tls = True
    prepare_tls(settings)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        paths = ensure_server_certificate(settings.data_dir / "tls")
        with https_endpoint(paths.cert_file, paths.key_file) as url:
            response = await application.state.outbound.request("GET", url + "/skill", timeout=5)
    assert response.status == 200
    assert response.json() == {"hello": "skill"}


def test_certificate_names_add_a_specific_host_and_the_public_host(tmp_path: Path) -> None:
    settings = build_settings("192.168.1.20", 8080, tmp_path, None, False, True)
    settings.public_base_url = "https://alexa.example.test:8443"
    assert certificate_names(settings) == ["192.168.1.20", "alexa.example.test"]
    assert certificate_names(build_settings("0.0.0.0", 8080, tmp_path, None, False, True)) == []


def test_outbound_ca_file_option_must_name_an_existing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    result = CliRunner().invoke(cli, ["serve", "--outbound-ca-file", str(missing)])
    assert result.exit_code == 2
    result = CliRunner().invoke(cli, ["serve"], env={"LOCALEXA_OUTBOUND_CA_FILE": str(missing)})
    assert result.exit_code == 2


def test_serve_passes_the_outbound_ca_file_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca_file = ensure_server_certificate(tmp_path / "user-ca").ca_file
    seen: list[Settings] = []
    monkeypatch.setattr("localexa.cli.serve_run.run_server", seen.append)
    args = ["serve", "--tls", "--data-dir", str(tmp_path / "data"), "--outbound-ca-file", str(ca_file)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert seen[0].tls is True
    assert seen[0].outbound_ca_file == ca_file


def test_a_named_ca_file_that_is_not_pem_stops_the_start(tmp_path: Path) -> None:
    """The outbound client opens on the first call, but the CA file is read at once."""
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(ssl.SSLError):
        OutboundHttp(ca_file=garbage)


async def test_a_token_url_whose_certificate_is_not_trusted_says_so_in_the_log_and_journal(
    tmp_path: Path, client: httpx.AsyncClient, admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    """The customer still gets Amazon's 400 "Invalid account linking credentials"; the log line
    and the journal's outbound entry said only "could not be reached (ConnectError)" and
    "ConnectError", as for a port nobody listens on (QA of 2026-12-06)."""
    stranger = ensure_server_certificate(tmp_path / "stranger-ca")
    with https_endpoint(stranger.cert_file, stranger.key_file) as url:
        linking = {
            "type": "AUTH_CODE",
            "authorizationUrl": "https://skill.example.com/authorize",
            "accessTokenUrl": f"{url}/token",
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
        }
        skill = await admin.skill(account_linking=linking)
        token = await customer_token(admin, await admin.customer())
        with caplog.at_level(logging.INFO, logger="localexa.enablement"):
            response = await link(client, token, skill.skill_id)
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid account linking credentials"}
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("account link refused")]
    assert "presented a TLS certificate localexa does not trust (" in line, line
    assert "--outbound-ca-file" in line, line
    [entry] = await journal(client, direction="outbound")
    assert entry["error"].startswith("ConnectError: TLS certificate verify failed ("), entry
    assert "certificate" in entry["error"].split("(", 1)[1], entry


async def test_a_port_nobody_listens_on_is_still_a_connect_error(tmp_path: Path) -> None:
    """Only a certificate failure says TLS: a refused connection stays "could not be reached"."""
    calls: list[OutboundCall] = []

    async def seen(call: OutboundCall) -> None:
        calls.append(call)

    outbound = OutboundHttp(ca_file=None)
    outbound.observers.append(seen)
    try:
        with pytest.raises(OutboundError) as refused:
            await fetch(outbound, "https://127.0.0.1:9")
    finally:
        await outbound.aclose()
    assert "could not be reached (ConnectError)" in refused.value.reason
    assert [call.error for call in calls] == ["ConnectError"]


async def test_an_https_token_url_of_a_plain_http_server_says_the_handshake_failed(
    client: httpx.AsyncClient, admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    """`https://` to a plain-HTTP server (the commonest mix-up) read "could not be reached
    (ConnectError)" and `ConnectError` in the journal, like a closed port (re-verification of
    2026-12-06)."""
    with plain_http_endpoint() as url:
        linking = {
            "type": "AUTH_CODE",
            "authorizationUrl": "https://skill.example.com/authorize",
            "accessTokenUrl": f"{url.replace('http://', 'https://')}/token",
            "clientId": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
        }
        skill = await admin.skill(account_linking=linking)
        token = await customer_token(admin, await admin.customer())
        with caplog.at_level(logging.INFO, logger="localexa.enablement"):
            response = await link(client, token, skill.skill_id)
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid account linking credentials"}
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("account link refused")]
    assert "did not complete a TLS handshake (" in line, line
    assert "is it serving plain HTTP?" in line, line
    assert "could not be reached" not in line, line
    [entry] = await journal(client, direction="outbound")
    assert entry["error"].startswith("ConnectError: TLS handshake failed ("), entry
