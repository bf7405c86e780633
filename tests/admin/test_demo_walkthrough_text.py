"""The walk-through `localexa serve` prints works as printed: over HTTPS curl is told the CA, and
the admin key comes from where the server took it."""

from __future__ import annotations

from pathlib import Path

from localexa.server.admin.demo import DemoState, walkthrough
from localexa.server.settings import Settings

STATE = DemoState(*(f"id-{n}" for n in range(8)))


def test_over_https_curl_is_given_the_ca(tmp_path: Path) -> None:
    text = walkthrough(Settings(data_dir=tmp_path, tls=True), STATE)
    assert "export LX=https://" in text
    assert f"export CURL_CA_BUNDLE={(tmp_path / 'tls' / 'ca.pem').resolve()}" in text
    assert "CURL_CA_BUNDLE" not in walkthrough(Settings(data_dir=tmp_path), STATE)


def test_the_admin_key_comes_from_where_the_server_took_it(tmp_path: Path) -> None:
    from_file = walkthrough(Settings(data_dir=tmp_path), STATE)
    assert f"export ADMIN_KEY=$(cat {tmp_path / 'admin-key'})" in from_file
    from_env = walkthrough(Settings(data_dir=tmp_path, admin_key="k" * 20), STATE)
    assert "export ADMIN_KEY=$LOCALEXA_ADMIN_KEY" in from_env
    assert "admin-key" not in from_env


def test_a_wildcard_host_is_printed_as_loopback(tmp_path: Path) -> None:
    """`--host 0.0.0.0` printed `export LX=http://0.0.0.0:8080` and registered the demo's redirect
    URI there: Windows cannot connect to 0.0.0.0 and Chrome blocks it."""
    everywhere = "0.0.0.0"
    text = walkthrough(Settings(data_dir=tmp_path, host=everywhere), STATE)
    assert "export LX=http://127.0.0.1:8080" in text
    assert everywhere not in text
    assert Settings(data_dir=tmp_path, host="::").base_url() == "http://[::1]:8080"
    assert Settings(data_dir=tmp_path, host="::1").base_url() == "http://[::1]:8080"
    assert Settings(data_dir=tmp_path, host="192.168.1.20").base_url() == "http://192.168.1.20:8080"
