"""The walk-through's shell lines quote the data dir: `--data-dir "/Users/ada/my data"` printed
`$(cat /Users/ada/my data/admin-key)`, which failed (packaging QA of 2026-12-06)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from localexa.server.admin.demo import DemoAddresses, DemoState
from localexa.server.admin.demo_text import render_walkthrough
from localexa.server.settings import Settings

STATE = DemoState(
    customer_id="amzn1.account.C",
    developer_id="amzn1.account.D",
    vendor_id="M1",
    app_client_id="amzn1.application-oa2-client.a",
    app_client_secret="s",
    skill_id="amzn1.ask.skill.s",
    messaging_client_id="amzn1.application-oa2-client.m",
    messaging_client_secret="t",
)


def _lines(tmp_path: Path, tls: bool) -> list[str]:
    data_dir = tmp_path / "my data"
    (data_dir / "tls").mkdir(parents=True)
    (data_dir / "admin-key").write_text("the-key\n")
    (data_dir / "tls" / "ca.pem").write_text("pem")
    settings = Settings(data_dir=data_dir, tls=tls)
    text = render_walkthrough(
        settings, STATE, DemoAddresses("http://127.0.0.1:8080/cb", "http://127.0.0.1:8083")
    )
    wanted = ("export ADMIN_KEY=", "export CURL_CA_BUNDLE=")
    return [line.strip() for line in text.splitlines() if line.strip().startswith(wanted)]


def test_the_admin_key_and_ca_lines_work_with_a_space_in_the_data_dir(tmp_path: Path) -> None:
    exports = _lines(tmp_path, tls=True)
    assert len(exports) == 2, exports
    script = "\n".join([*exports, 'printf "%s|%s" "$ADMIN_KEY" "$CURL_CA_BUNDLE"'])
    ran = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True, timeout=10)
    key, ca_file = ran.stdout.split("|")
    assert key == "the-key"
    assert Path(ca_file) == (tmp_path / "my data" / "tls" / "ca.pem").resolve()
