"""`localexa ca`: the CA's path and the lines that make clients trust it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from localexa.cli.main import app
from localexa.server.core.tls import fingerprint_sha256


def run_ca(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(app, ["ca", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_ca_creates_the_ca_and_prints_its_path_first(tmp_path: Path) -> None:
    output = run_ca("--data-dir", str(tmp_path / "data"))
    ca_file = (tmp_path / "data" / "tls" / "ca.pem").resolve()
    assert ca_file.exists()
    assert output.splitlines()[0] == str(ca_file)
    assert fingerprint_sha256(ca_file) in output


def test_ca_makes_a_new_data_dir_its_owners_only(tmp_path: Path) -> None:
    """`localexa ca` before the first `serve` (README "Trusting the CA") made the data dir 0755,
    and `serve` keeps an existing data dir's mode: keys and database readable by others."""
    run_ca("--data-dir", str(tmp_path / "data"))
    assert (tmp_path / "data").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "data" / "tls").stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("export REQUESTS_CA_BUNDLE={}", id="python-requests"),
        pytest.param("export SSL_CERT_FILE={}", id="python-ssl"),
        pytest.param("export NODE_EXTRA_CA_CERTS={}", id="node"),
        pytest.param(
            "/usr/local/share/ca-certificates/localexa.crt && sudo update-ca-certificates", id="debian"
        ),
    ],
)
def test_ca_prints_how_each_client_trusts_it(tmp_path: Path, line: str) -> None:
    output = run_ca("--data-dir", str(tmp_path))
    assert line.format((tmp_path / "tls" / "ca.pem").resolve()) in output


def test_ca_reads_the_data_dir_from_the_environment_and_keeps_the_ca(tmp_path: Path) -> None:
    first = run_ca(env={"LOCALEXA_DATA_DIR": str(tmp_path / "env-data")})
    ca_file = tmp_path / "env-data" / "tls" / "ca.pem"
    assert first.splitlines()[0] == str(ca_file.resolve())
    pem = ca_file.read_bytes()
    run_ca(env={"LOCALEXA_DATA_DIR": str(tmp_path / "env-data")})
    assert ca_file.read_bytes() == pem
    assert "phone" in first.lower() or "android" in first.lower()
