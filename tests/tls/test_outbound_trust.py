"""With `--tls` the server's outbound calls trust localexa's own CA beside `--outbound-ca-file`,
so a skill endpoint with a certificate from either answers over https://."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from typer.testing import CliRunner

from localexa.cli.main import app as cli
from localexa.cli.serve import build_settings, certificate_names, prepare_tls
from localexa.server.app import create_app
from localexa.server.core.http import OutboundError, OutboundHttp
from localexa.server.core.tls import ensure_server_certificate
from localexa.server.settings import Settings
from tests.tls.conftest import https_endpoint


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
    monkeypatch.setattr("localexa.cli.serve.run_server", seen.append)
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
