"""What the server says is printed as text: Rich reads "[…]" in a str as markup, so a customer
named "[/x]" crashed every later `customers list`, an error message holding one crashed the error
line, and "[redacted]" in a journal entry showed as an empty value."""

from __future__ import annotations

from localexa.testing import Localexa
from tests.cli.conftest import Cli

ODD_NAME = "[red]Eve[/red] [/x]"


def test_a_name_in_square_brackets_is_shown_as_written(cli: Cli) -> None:
    created = cli.ok(
        "admin", "customers", "create", "--name", ODD_NAME, "--email", "eve@example.com", "--password", "pw"
    )  # fmt: skip
    assert ODD_NAME in created.stdout
    listed = cli.ok("admin", "customers", "list")
    assert ODD_NAME in listed.stdout


def test_an_error_message_in_square_brackets_is_printed_not_a_traceback(cli: Cli) -> None:
    result = cli.run("admin", "customers", "get", "[/x]")
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert "404" in result.stderr
    assert "[/x]" in result.stderr


def test_redacted_values_show_in_the_journal_table(cli: Cli, localexa: Localexa) -> None:
    skill = localexa.create_skill()
    token = localexa.access_token(skill.developer.customer, "alexa::ask:skills:readwrite")
    cli.ok("skill", "credentials", skill.skill_id, token=token)
    [entry] = cli.json("admin", "journal", "list", "--path", f"/v1/skills/{skill.skill_id}/credentials")
    table = cli.ok("admin", "journal", "get", str(entry["id"])).stdout
    assert '"authorization": "[redacted]"' in table


def test_an_id_that_is_no_path_segment_is_a_usage_error(cli: Cli) -> None:
    for bad in ("", ".", ".."):
        result = cli.run("admin", "customers", "get", bad)
        assert result.exit_code == 2, (bad, result.stdout, result.stderr)
        assert "is not an id" in result.stderr


def test_the_journal_lists_one_callers_calls(cli: Cli, localexa: Localexa) -> None:
    """`--caller` (added 2026-12-05) passes through the client to the API's filter."""
    skill = localexa.create_skill()
    token = localexa.access_token(skill.developer.customer, "alexa::ask:skills:readwrite")
    cli.ok("skill", "credentials", skill.skill_id, token=token)
    everything = cli.json("admin", "journal", "list", "--path", f"/v1/skills/{skill.skill_id}/credentials")
    [entry] = everything
    assert entry["caller"] not in (None, "admin")
    [same] = cli.json("admin", "journal", "list", "--caller", entry["caller"], "--path", "/v1/")
    assert same["id"] == entry["id"]
    assert cli.json("admin", "journal", "list", "--caller", "localexa", "--path", "/v1/") == []
