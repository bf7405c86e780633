"""`localexa admin …`: each command's happy path against the real server, JSON parsed."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from localexa.testing import Localexa
from tests.cli.conftest import Cli


def test_customers_create_list_get(cli: Cli) -> None:
    created = cli.json(
        "admin", "customers", "create", "--name", "Ada", "--email", "ada@example.com", "--password", "pw",
        "--region", "EU",
    )  # fmt: skip
    assert created["userId"].startswith("amzn1.account.")
    assert created["region"] == "EU"

    listed = cli.json("admin", "customers", "list")
    assert [c["email"] for c in listed] == ["ada@example.com"]
    assert cli.json("admin", "customers", "get", created["userId"])["name"] == "Ada"

    table = cli.ok("admin", "customers", "list").stdout
    assert created["userId"] in table
    assert "ada@example.com" in table


def test_quiet_prints_only_the_id_for_scripts(cli: Cli) -> None:
    user_id = cli.ok(
        "admin",
        "customers",
        "create",
        "--name",
        "Dev",
        "--email",
        "dev@example.com",
        "--password",
        "pw",
        "-q",
    ).stdout.strip()
    assert user_id.startswith("amzn1.account.")
    vendor_id = cli.ok(
        "admin", "vendors", "create", "--name", "Acme", "--owner-user-id", user_id, "-q"
    ).stdout
    assert cli.json("admin", "vendors", "list") == [
        {"vendorId": vendor_id.strip(), "name": "Acme", "ownerUserId": user_id}
    ]


def test_lwa_clients_and_tokens(cli: Cli, localexa: Localexa) -> None:
    app_client = cli.json(
        "admin", "lwa-clients", "create", "--name", "App",
        "--redirect-uri", "https://app.example.com/cb", "--redirect-uri", "https://app.example.com/cb2",
    )  # fmt: skip
    assert app_client["clientId"].startswith("amzn1.application-oa2-client.")
    assert app_client["clientSecret"]
    listed = cli.json("admin", "lwa-clients", "list")
    assert listed[0]["redirectUris"] == ["https://app.example.com/cb", "https://app.example.com/cb2"]
    assert "clientSecret" not in listed[0]

    customer = localexa.create_customer()
    tokens = cli.json(
        "admin", "tokens", "create", "--client-id", app_client["clientId"], "--user-id", customer.user_id,
        "--scope", "profile", "--scope", "alexa::skills:account_linking",
    )  # fmt: skip
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    info = localexa.client.lwa.token_info(tokens["access_token"])
    assert info.aud == app_client["clientId"]

    only_token = cli.ok(
        "admin", "tokens", "create", "--client-id", app_client["clientId"], "--user-id", customer.user_id,
        "--scope", "profile", "-q",
    ).stdout.strip()  # fmt: skip
    assert localexa.client.lwa.profile(only_token).user_id == customer.user_id


def test_skills_create_with_account_linking_from_a_file(cli: Cli, localexa: Localexa, tmp_path: Path) -> None:
    developer = localexa.create_developer()
    linking = tmp_path / "linking.json"
    linking.write_text(
        json.dumps(
            {
                "type": "AUTH_CODE",
                "authorizationUrl": "https://lights.example.com/authorize",
                "accessTokenUrl": "https://lights.example.com/token",
                "clientId": "alexa-skill",
                "clientSecret": "s3cret",
                "scopes": ["lights"],
            }
        )
    )
    created = cli.json(
        "admin", "skills", "create", "--vendor-id", developer.vendor_id, "--name", "My Lights",
        "--endpoint", "http://127.0.0.1:9000/skill", "--stage", "development", "--stage", "live",
        "--permission", "alexa::async_event:write", "--account-linking", f"@{linking}",
    )  # fmt: skip
    skill_id = created["skillId"]
    assert created["skillMessagingCredentials"]["clientSecret"]

    stored = cli.json("admin", "skills", "get", skill_id)
    assert stored["stages"] == ["development", "live"]
    assert stored["permissions"] == ["alexa::async_event:write"]
    assert stored["accountLinking"]["accessTokenUrl"] == "https://lights.example.com/token"
    assert "s3cret" not in json.dumps(stored)
    assert [s["skillId"] for s in cli.json("admin", "skills", "list")] == [skill_id]
    assert skill_id in cli.ok("admin", "skills", "list").stdout


def test_skills_create_with_regional_endpoints(cli: Cli, localexa: Localexa) -> None:
    developer = localexa.create_developer()
    created = cli.json(
        "admin", "skills", "create", "--vendor-id", developer.vendor_id, "--name", "Regional",
        "--endpoint", "http://127.0.0.1:9000/skill",
        "--region-endpoint", "eu=http://127.0.0.1:9000/skill/eu",
        "--region-endpoint", "FE=python:my_skill.fe:handler",
    )  # fmt: skip
    stored = cli.json("admin", "skills", "get", created["skillId"])
    assert stored["regions"] == {
        "EU": {"endpoint": "http://127.0.0.1:9000/skill/eu"},
        "FE": {"endpoint": "python:my_skill.fe:handler"},
    }
    refused = cli.run(
        "admin", "skills", "create", "--vendor-id", developer.vendor_id, "--name", "Regional",
        "--endpoint", "http://127.0.0.1:9000/skill", "--region-endpoint", "EU",
    )  # fmt: skip
    assert refused.exit_code == 2
    assert "REGION=ENDPOINT" in refused.stderr
    twice = cli.run(
        "admin", "skills", "create", "--vendor-id", developer.vendor_id, "--name", "Regional",
        "--endpoint", "http://127.0.0.1:9000/skill",
        "--region-endpoint", "EU=http://a:1/", "--region-endpoint", "eu=http://b:1/",
    )  # fmt: skip
    assert twice.exit_code == 2
    assert "given twice" in twice.stderr
    unknown = cli.run(
        "admin", "skills", "create", "--vendor-id", developer.vendor_id, "--name", "Regional",
        "--endpoint", "http://127.0.0.1:9000/skill", "--region-endpoint", "XX=http://a:1/",
    )  # fmt: skip
    assert unknown.exit_code != 0
    assert "XX" in unknown.stderr


def test_clock_get_and_advance(cli: Cli) -> None:
    before = datetime.fromisoformat(cli.ok("admin", "clock", "get").stdout.strip())
    after = datetime.fromisoformat(cli.json("admin", "clock", "advance", "1h30m")["now"])
    assert (after - before).total_seconds() >= 5400
    assert (after - before).total_seconds() < 5400 + 60


def test_faults_create_list_delete(cli: Cli) -> None:
    fault_id = cli.ok(
        "admin", "faults", "create", "--path", "/v1/skills/*/credentials", "--status", "503",
        "--count", "2", "--method", "GET", "-q",
    ).stdout.strip()  # fmt: skip
    assert fault_id.startswith("fault-")
    [fault] = cli.json("admin", "faults", "list")
    assert (fault["faultId"], fault["status"], fault["remaining"]) == (fault_id, 503, 2)
    assert cli.json("admin", "faults", "delete", fault_id) == {"faultId": fault_id, "deleted": True}
    assert cli.json("admin", "faults", "list") == []


def test_customers_and_skills_delete(cli: Cli) -> None:
    dev = cli.ok(
        "admin", "customers", "create", "--name", "Dev", "--email", "dev-del@example.com",
        "--password", "pw", "-q",
    ).stdout.strip()  # fmt: skip
    vendor = cli.ok(
        "admin", "vendors", "create", "--name", "Acme", "--owner-user-id", dev, "-q"
    ).stdout.strip()
    skill = cli.ok(
        "admin", "skills", "create", "--vendor-id", vendor, "--name", "S", "--endpoint",
        "http://127.0.0.1:9/s", "-q",
    ).stdout.strip()  # fmt: skip
    assert cli.json("admin", "skills", "delete", skill) == {"skillId": skill, "deleted": True}
    assert cli.json("admin", "customers", "delete", dev) == {"userId": dev, "deleted": True}
    assert cli.run("admin", "customers", "delete", dev).exit_code == 3


def test_region_options_take_any_case_and_fault_bounds_are_the_servers(cli: Cli) -> None:
    cli.json("admin", "faults", "create", "--path", "/x", "--status", "503", "--region", "eu")
    [fault] = cli.json("admin", "faults", "list")
    assert fault["region"] == "EU"
    assert cli.json("admin", "journal", "list", "--region", "Fe") == []
    for option, value in (("--retry-after", "0"), ("--delay-ms", "60001")):  # the server's 400s, said first
        refused = cli.run("admin", "faults", "create", "--path", "/x", "--status", "429", option, value)
        assert refused.exit_code == 2, (option, refused.stdout, refused.stderr)
        assert option in refused.stderr


def test_journal_list_and_get(cli: Cli, localexa: Localexa) -> None:
    localexa.create_customer(name="Journaled")
    entries = cli.json("admin", "journal", "list", "--path", "/_localexa/customers", "--limit", "5")
    assert entries
    assert entries[0]["method"] == "POST"
    entry = cli.json("admin", "journal", "get", str(entries[0]["id"]))
    assert "Journaled" in entry["requestBody"]
    assert '"password":"[redacted]"' in entry["requestBody"].replace(" ", "")
    table = cli.ok("admin", "journal", "list", "--status", "2xx").stdout
    assert "/_localexa/customers" in table


def test_reset_needs_yes_then_empties_everything(cli: Cli, localexa: Localexa) -> None:
    localexa.create_customer()
    refused = cli.run("admin", "reset")
    assert refused.exit_code == 2
    assert "--yes" in refused.stderr
    assert len(localexa.client.admin.customers.list()) == 1

    assert cli.json("admin", "reset", "--yes")["reset"] is True
    assert localexa.client.admin.customers.list() == []


def test_snapshot_to_a_file_and_restore_from_it(cli: Cli, localexa: Localexa, tmp_path: Path) -> None:
    customer = localexa.create_customer(name="Kept")
    state = tmp_path / "state.json"
    done = cli.ok("admin", "snapshot", "-o", str(state))
    assert done.stderr == f"wrote {state} ({state.stat().st_size} bytes)\n"
    assert json.loads(state.read_text())["format"] == "localexa.snapshot"

    localexa.reset()
    restored = cli.json("admin", "restore", str(state))
    assert restored["restored"]["customers"] == 1
    assert localexa.client.admin.customers.get(customer.user_id).name == "Kept"

    document = cli.ok("admin", "snapshot").stdout
    localexa.reset()
    from_stdin = cli.ok("admin", "restore", "-", input=document)
    assert "customers" in from_stdin.stdout
    assert localexa.client.admin.customers.list()[0].user_id == customer.user_id


def test_a_snapshot_file_is_its_owners_only(cli: Cli, localexa: Localexa, tmp_path: Path) -> None:
    """It holds password hashes and sealed secrets: 0600 whatever the umask, an older file too."""
    localexa.create_customer(name="Kept")
    fresh, older = tmp_path / "fresh.json", tmp_path / "older.json"
    older.write_text('{"format": "localexa.snapshot"}')  # -o replaces only a snapshot (or --force)
    older.chmod(0o644)
    previous = os.umask(0o022)
    try:
        for path in (fresh, older):
            cli.ok("admin", "snapshot", "-o", str(path))
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            assert json.loads(path.read_text())["format"] == "localexa.snapshot"
    finally:
        os.umask(previous)


def test_health_needs_no_admin_key(cli: Cli) -> None:
    result = cli.json("admin", "health", admin_key=None)
    assert result["health"] == "ok"
    assert result["ready"] is True


@pytest.mark.parametrize("written", ["{day}T00:00:00Z", "{day} 00:00:00+00:00", "{day}", "{day}T00:00"])
def test_journal_times_in_every_form_the_api_reads_pass_the_cli(
    cli: Cli, localexa: Localexa, written: str
) -> None:
    """The CLI checks `--since/--until` before sending (options.py `check_journal_time`) and must
    take what the admin API takes: a `Z`, a space for `T`, a date alone, no offset."""
    today = localexa.client.admin.clock.get().now.date()  # read first: the entry is never before it
    localexa.create_customer(name="Journaled")
    since = written.format(day=today.isoformat())
    until = written.format(day=(today + timedelta(days=1)).isoformat())
    entries = cli.json("admin", "journal", "list", "--path", "/_localexa/customers", "--since", since)
    assert [entry["method"] for entry in entries] == ["POST"]
    assert cli.json("admin", "journal", "list", "--path", "/_localexa/customers", "--until", since) == []
    assert len(cli.json("admin", "journal", "list", "--since", since, "--until", until)) >= 1
