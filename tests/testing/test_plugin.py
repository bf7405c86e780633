"""The pytest plugin: the `localexa` fixture and its helpers, its options, and what loading it
costs (no server imports, no assertion rewriting of the library)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import localexa.client._client
import localexa.testing.kit
from localexa.client import AuthenticationError, ServiceUnavailableError
from localexa.testing import Localexa

INNER_SUITE = """
def test_tls_from_the_option(localexa):
    assert localexa.url.startswith("https://")
    assert localexa.ca_file.is_file()
    localexa.create_customer()
    assert len(localexa.client.admin.customers.list()) == 1


def test_each_test_starts_empty(localexa):
    assert localexa.client.admin.customers.list() == []
"""


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, localexa.testing.pytest_plugin;"
        "print(sorted(m for m in sys.modules if m.startswith(('localexa', 'httpx', 'pydantic'))))"
    )
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # localexa._httpx_cli: a few lines that keep httpx's command line out of later imports.
    assert answer.stdout.strip() == (
        "['localexa', 'localexa._httpx_cli', 'localexa.testing', 'localexa.testing.pytest_plugin']"
    )


def test_pytest_rewrites_the_kit_but_not_the_library() -> None:
    assert type(localexa.client._client.__loader__).__name__ != "AssertionRewritingHook"
    assert type(localexa.testing.kit.__loader__).__name__ == "AssertionRewritingHook"


@pytest.mark.slow
def test_the_tls_option_and_a_reset_before_every_test(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider -p no:asyncio\n")
    (tmp_path / "test_inner.py").write_text(INNER_SUITE)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path), "-q", "--localexa-tls"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_a_developer_token_drives_smapi(localexa: Localexa) -> None:
    skill = localexa.create_skill(stages=("development", "live"))
    developer = localexa.client_for(skill.developer.token)
    developer.enablement.enable(skill.skill_id, "live")
    assert developer.enablement.is_enabled(skill.skill_id, "live")
    assert developer.credentials.get(skill.skill_id).skill_messaging_credentials.client_id == (
        skill.messaging_client_id
    )


def test_link_and_the_event_token_reach_the_credential_locker(localexa: Localexa) -> None:
    skill = localexa.create_skill(account_linking=True)
    customer = localexa.create_customer(region="FE")
    record = localexa.link(customer, skill)
    assert (record.status, record.account_link and record.account_link.status) == ("ENABLED", "LINKED")
    token = localexa.event_token(customer, skill)
    localexa.client.thread_networks.put(
        extended_pan_id="dead00beef00cafe",
        network_name="home",
        network_key="00112233445566778899aabbccddeeff",
        token=token,
    )
    assert [
        n.network_name for n in localexa.client.thread_networks.list("dead00beef00cafe", token=token)
    ] == ["home"]


def test_advance_clock_expires_tokens(localexa: Localexa) -> None:
    customer = localexa.create_customer()
    token = localexa.access_token(customer, "profile")
    assert localexa.client.lwa.profile(token).user_id == customer.user_id
    before = localexa.client.admin.clock.get().now
    assert (localexa.advance_clock(3601) - before).total_seconds() >= 3601
    with pytest.raises(AuthenticationError):
        localexa.client.lwa.profile(token)


def test_fault_makes_calls_fail(localexa: Localexa) -> None:
    skill = localexa.create_skill()
    fault_id = localexa.fault("/v1/skills/*/credentials", status=503, count=5)
    with pytest.raises(ServiceUnavailableError):
        localexa.client_for(skill.developer.token).with_options(max_retries=0).credentials.get(skill.skill_id)
    assert [f.fault_id for f in localexa.client.admin.faults.list()] == [fault_id]


def test_a_fault_with_only_a_delay_lets_the_call_through(localexa: Localexa) -> None:
    """`fault(path, delay_ms=…)` means latency, as the admin API's fault without a status."""
    skill = localexa.create_skill()
    developer = localexa.client_for(skill.developer.token).with_options(max_retries=0)
    localexa.fault("/v1/skills/*/credentials", delay_ms=300, count=1)
    started = time.monotonic()
    assert developer.credentials.get(skill.skill_id) is not None
    assert time.monotonic() - started >= 0.3
    (fault,) = localexa.client.admin.faults.list()
    assert fault.status is None
    # With a status too, the call is delayed and then fails; without either, it fails with 503.
    localexa.fault("/v1/skills/*/credentials", status=429, delay_ms=1, count=1)
    localexa.fault("/v1/skills/*/credentials", count=1)
    statuses = sorted(f.status or 0 for f in localexa.client.admin.faults.list() if f.active)
    assert statuses == [429, 503]


def test_a_skill_without_linking_gives_no_codes(localexa: Localexa) -> None:
    skill = localexa.create_skill()
    with pytest.raises(RuntimeError, match="account_linking=True"):
        skill.auth_code()
    customer = localexa.create_customer(password="hunter2")
    assert "hunter2" not in repr(customer)
    assert "Test Customer" in repr(customer)


def test_a_reset_forgets_what_the_linking_stub_saw(localexa: Localexa) -> None:
    """The stub is shared by the session's tests: the reset before each one empties its log."""
    skill = localexa.create_skill(account_linking=True)
    localexa.link(localexa.create_customer(), skill)
    assert skill.stub is not None
    assert [e.status for e in skill.stub.exchanges] == [200]
    unused = skill.auth_code()
    localexa.reset()
    assert skill.stub.exchanges == []
    refused = skill.stub.answer(
        None,
        {
            "grant_type": "authorization_code",
            "code": unused,
            "redirect_uri": skill.redirect_uri,
            "client_id": skill.stub.client_id,
            "client_secret": skill.stub.client_secret,
        },
    )
    assert refused[0] == 400  # codes issued before the reset are forgotten too


def test_a_helper_given_an_id_instead_of_its_object_says_so(localexa: Localexa) -> None:
    customer = localexa.create_customer()
    with pytest.raises(TypeError, match=r"developer must be a TestDeveloper from create_developer\(\)"):
        localexa.create_skill(developer=customer.user_id)  # type: ignore[arg-type]
    skill = localexa.create_skill(account_linking=True)
    with pytest.raises(TypeError, match=r"customer must be a TestCustomer from create_customer\(\)"):
        localexa.link(customer.user_id, skill)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"skill must be a TestSkill from create_skill\(\); got str"):
        localexa.event_token(customer, skill.skill_id)  # type: ignore[arg-type]
