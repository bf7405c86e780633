"""Every table of the CLI keeps its words whole in a real terminal (a pty) of 36, 50 and 80
columns, as its records and "Actual vs expected" do (cli/unbroken.py): a column is never narrower
than its longest word, or the rows print as records, broken at spaces only. Until the night of
2026-12-06 only id columns and "Actual vs expected" were measured so: on 50 columns `evaluations
plans` printed `BrightnessCo` then `ntroller`, on 80 `admin customers list` printed
`demo@localexa` then `.test`, and `lwa token-info` folded its `aud` and `user_id` (lead's QA).
And a list with no rows says so at any width: on 36 columns an empty `admin skills list` printed
only its title, `Skills`, as if the rest were lost."""

from __future__ import annotations

import pytest

from localexa.testing import Localexa
from localexa.testing.kit import TestDeveloper
from tests.cli.conftest import Cli
from tests.cli.test_urls_unbroken import on_terminal, within_terminal

COLUMNS = [36, 50, 80]
EMAILS = ["demo@localexa.test", "someone.with.a.long.name@example-mail.test"]
REDIRECT = "https://app.example.com/alexa/link/callback-with-a-long-path"


@pytest.fixture
def developer(localexa: Localexa) -> TestDeveloper:
    return localexa.create_developer(name="Demo Developer With A Long Name")


def _assert_whole(lines: list[str], words: list[str], columns: int) -> None:
    for word in words:
        assert any(word in line for line in lines), (word, lines)
    # Wrapped to the terminal's width: only a word longer than the terminal runs past it, alone.
    for line in lines:
        assert within_terminal(line, columns), "\n".join(lines)


@pytest.mark.parametrize("columns", COLUMNS)
def test_test_plan_names_are_never_cut(
    cli: Cli, localexa: Localexa, developer: TestDeveloper, columns: int
) -> None:
    skill = localexa.create_skill(developer=developer, name="Lights")
    plans = cli.json("evaluations", "plans", skill.skill_id, token=developer.token)
    names = [plan["name"] for plan in plans]
    assert "ColorTemperatureController" in names  # 26 characters: folded at 50 columns
    args = ("--url", localexa.url, "--token", developer.token, "evaluations", "plans", skill.skill_id)
    lines = on_terminal(*args, columns=columns)
    _assert_whole(lines, [*names, *(plan["id"] for plan in plans)], columns)


@pytest.mark.parametrize("columns", COLUMNS)
def test_emails_and_urls_in_admin_lists_are_never_cut(cli: Cli, localexa: Localexa, columns: int) -> None:
    for number, email in enumerate(EMAILS):
        cli.ok(
            "admin",
            "customers",
            "create",
            "--name",
            f"Customer {number}",
            "--email",
            email,
            "--password",
            "pw",
        )
    cli.ok("admin", "lwa-clients", "create", "--name", "Console", "--redirect-uri", REDIRECT)
    root = ("--url", localexa.url, "--admin-key", localexa.admin_key)
    _assert_whole(on_terminal(*root, "admin", "customers", "list", columns=columns), EMAILS, columns)
    _assert_whole(on_terminal(*root, "admin", "lwa-clients", "list", columns=columns), [REDIRECT], columns)


@pytest.mark.parametrize("columns", COLUMNS)
def test_the_values_of_one_object_are_never_cut(
    cli: Cli, localexa: Localexa, developer: TestDeveloper, columns: int
) -> None:
    """`lwa token-info`: `aud` and `user_id` hold ids, but no field name says so (`…Id`)."""
    info = cli.json("lwa", "token-info", token=developer.token)
    assert info["user_id"] == developer.user_id
    lines = on_terminal(
        "--url", localexa.url, "lwa", "token-info", "--token", developer.token, columns=columns
    )
    _assert_whole(lines, [info["aud"], info["user_id"]], columns)
    if not any("┃" in line for line in lines):  # records: each field heads its own value
        assert "user_id" in [line.split()[0] for line in lines if line.strip()], lines
        assert not [line for line in lines if line.startswith("field ")], lines


EMPTY_LISTS = [
    (("admin", "customers", "list"), "Customers"),
    (("admin", "vendors", "list"), "Vendors"),
    (("admin", "lwa-clients", "list"), "LWA clients"),
    (("admin", "skills", "list"), "Skills"),
    (("admin", "faults", "list"), "Faults"),
    (("admin", "journal", "list", "--request-id", "none-such"), "Journal"),
]


#: Every list on 36 columns (where an empty table printed only its title), and one on 80 (an empty
#: list that would fit as a table says so too). Every list prints through one function
#: (output.py `_print_table`), which says "none" before it measures anything: a width between
#: the two takes one of the same two branches, and every list on every width was 18 terminals
#: (~9 s) for the two.
EMPTY_CASES = [pytest.param(args, title, 36, id=f"36-{title}") for args, title in EMPTY_LISTS] + [
    pytest.param(*EMPTY_LISTS[3], 80, id="80-Skills")
]


@pytest.mark.parametrize(("args", "title", "columns"), EMPTY_CASES)
def test_an_empty_list_says_it_is_empty_at_any_width(
    localexa: Localexa, args: tuple[str, ...], title: str, columns: int
) -> None:
    lines = on_terminal("--url", localexa.url, "--admin-key", localexa.admin_key, *args, columns=columns)
    assert [line.rstrip() for line in lines if line.strip()] == [f"{title}: none"], lines


def test_an_empty_list_of_a_developer_says_so_piped_too(
    cli: Cli, localexa: Localexa, developer: TestDeveloper
) -> None:
    skill = localexa.create_skill(developer=developer, name="Lights")
    result = cli.ok("evaluations", "list", skill.skill_id, token=developer.token)
    assert result.stdout == "Capability evaluations: none\n"
    assert cli.json("evaluations", "list", skill.skill_id, token=developer.token) == []
