"""`localexa admin <kind> list --limit N [--after ID]`: one page on stdout and, while more follow,
the command of the next page on stderr (cli/listing.py); without `--limit`, every row as before."""

from __future__ import annotations

import json
import re

import pytest

from localexa.cli.listing import MAX_PAGE
from localexa.server.admin.listing import MAX_LIMIT
from localexa.testing import Localexa
from tests.cli.conftest import Cli


def customers(localexa: Localexa, count: int) -> list[str]:
    """Made through the client: each CLI run costs ~0.2 s, and the tests are about `list`."""
    admin = localexa.client.admin
    return [
        admin.customers.create(name=f"C{n}", email=f"c{n}@example.com", password="pw").user_id
        for n in range(count)
    ]


def test_a_page_then_its_next_hint_lead_through_every_customer_once(cli: Cli, localexa: Localexa) -> None:
    made = customers(localexa, 5)
    seen: list[str] = []
    hints: list[str] = []
    args = ["--limit", "2"]
    for _ in range(5):  # three pages; a hint that never ended would fail here, not hang
        page = cli.ok("admin", "customers", "list", *args, "--json")
        seen += [c["userId"] for c in json.loads(page.stdout)]
        hints.append(page.stderr)
        if not page.stderr:
            break
        args = page.stderr.split(" list ", 1)[1].split()
    assert seen == made  # every one, once, in order
    # Each hint's --after is the page's last id with its place (admin/listing.py).
    assert [re.sub(r"~[0-9]+\n$", "\n", hint) for hint in hints] == [
        f"next page: localexa admin customers list --limit 2 --after {made[1]}\n",
        f"next page: localexa admin customers list --limit 2 --after {made[3]}\n",
        "",  # the last page: no hint
    ]

    table = cli.ok("admin", "customers", "list", "--limit", "2", "--after", made[3])
    assert made[4] in table.stdout
    assert made[3] not in table.stdout
    assert table.stderr == ""  # the last page: no hint
    whole = cli.ok("admin", "customers", "list", "--json")
    assert [c["userId"] for c in json.loads(whole.stdout)] == made
    assert whole.stderr == ""


@pytest.mark.parametrize("kind", ["vendors", "lwa-clients", "skills"])
def test_the_other_lists_take_limit_alike(cli: Cli, localexa: Localexa, kind: str) -> None:
    admin = localexa.client.admin
    user = customers(localexa, 1)[0]
    for name in ("A", "B"):
        vendor = admin.vendors.create(name=name, owner_user_id=user).vendor_id
        admin.skills.create(vendor_id=vendor, name=name, endpoint="http://127.0.0.1:9/skill")
    whole = cli.json("admin", kind, "list")
    first = cli.ok("admin", kind, "list", "--limit", "1", "--json")
    assert json.loads(first.stdout) == whole[:1]
    assert first.stderr.startswith(f"next page: localexa admin {kind} list --limit 1 --after ")


@pytest.mark.parametrize(
    ("kind", "limit"),
    [("customers", "0"), ("vendors", "-1"), ("lwa-clients", "1001"), ("skills", "0")],
)
def test_a_limit_out_of_the_servers_bounds_is_a_usage_error(cli: Cli, kind: str, limit: str) -> None:
    """As `admin journal list --limit 0` is: exit 2 and the bounds, before any request (it was the
    server's 400, exit 1). Sent to a port nobody listens on: a request would have been exit 6."""
    refused = cli.run("admin", kind, "list", "--limit", limit, url="http://127.0.0.1:9")
    assert refused.exit_code == 2, (refused.stdout, refused.stderr)
    assert f"{limit} is out of range: give 1 to 1000." in " ".join(refused.stderr.replace("│", " ").split())
    assert refused.stdout == ""


def test_the_cli_bound_is_the_servers() -> None:
    """The CLI keeps its own copy (it imports no server module to read its options)."""
    assert MAX_PAGE == MAX_LIMIT


def test_an_unknown_after_is_the_servers_400(cli: Cli) -> None:
    refused = cli.run("admin", "vendors", "list", "--after", "amzn1.vendor.nobody", "--json")
    assert refused.exit_code == 1
    assert "there is no vendor amzn1.vendor.nobody" in json.loads(refused.stderr)["error"]["message"]
