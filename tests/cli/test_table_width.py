"""Tables in an 80-column terminal (README "Command line", since 2026-12-06): an id is never cut
over lines and a header never split mid-word; other columns wrap; rows too wide for a table print
as `header  value` records. Before, `amzn1.account.…` folded over 2-3 lines and `admin faults
list` printed "remainin"/"g"."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from localexa.cli import output
from localexa.cli.admin import CUSTOMER_COLUMNS, SKILL_COLUMNS
from localexa.cli.admin_steer import FAULT_COLUMNS

USER_ID = "amzn1.account.89N4W8QV095KEDLPA732NBW24EN9"
SKILL_ID = "amzn1.ask.skill.7f7a5413-1bbb-4a98-a770-b5baa633f0f7"


def render(monkeypatch: pytest.MonkeyPatch, value: Any, columns: Any = None) -> str:
    # A terminal 80 columns wide (output that is no terminal is never wrapped).
    console = Console(file=io.StringIO(), width=80, highlight=False, color_system=None, force_terminal=True)
    monkeypatch.setattr(output, "_stdout", lambda: console)
    output.emit(value, as_json=False, columns=columns, title="T")
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert all(len(line) <= 80 for line in text.splitlines()), text
    return str(text)


def customer(n: int) -> SimpleNamespace:
    return SimpleNamespace(
        user_id=USER_ID[:-1] + str(n),
        name="Someone With A Long Name",
        email=f"someone{n}@example.com",
        region="NA",
    )


def test_customer_ids_stay_on_one_line_and_names_wrap(monkeypatch: pytest.MonkeyPatch) -> None:
    text = render(monkeypatch, [customer(1), customer(2)], CUSTOMER_COLUMNS)
    assert USER_ID[:-1] + "1" in text
    assert USER_ID[:-1] + "2" in text
    assert "region" in text


def test_fault_headers_are_never_split(monkeypatch: pytest.MonkeyPatch) -> None:
    fault = SimpleNamespace(
        fault_id="fault-387fb4d542f744f4", method="GET", path="/v1/skills/*/credentials", status=503,
        delay_ms=0, remaining=1, fired=0, active=True,
    )  # fmt: skip
    text = render(monkeypatch, [fault], FAULT_COLUMNS)
    for header in ("faultId", "remaining", "delayMs", "active"):
        assert header in text
    assert "remainin\n" not in text
    assert "fault-387fb4d542f744f4" in text


def test_rows_too_wide_for_a_table_print_as_records(monkeypatch: pytest.MonkeyPatch) -> None:
    skill = SimpleNamespace(
        skill_id=SKILL_ID, name="My Lights", vendor_id="M" * 30, stages=["development", "live"],
        endpoint="http://127.0.0.1:9000/skill",
    )  # fmt: skip
    text = render(monkeypatch, [skill], SKILL_COLUMNS)
    assert f"skillId   {SKILL_ID}" in text
    assert "vendorId  " + "M" * 30 in text


def test_an_id_field_of_one_object_stays_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    text = render(
        monkeypatch,
        {"skillMessagingCredentialsClientId": "amzn1.application-oa2-client." + "a" * 32, "x": "y"},
    )
    assert "amzn1.application-oa2-client." + "a" * 32 in text
