"""`localexa lwa …` against the real server: tokeninfo, profile and the token grants."""

from __future__ import annotations

import json

import httpx

from localexa.cli.main import app
from localexa.testing import Localexa, TestCustomer
from tests.cli.conftest import CLEAN_ENV, Cli
from tests.lwa.browser import REDIRECT_URI, authorize_url, form_for, pkce_pair, redirect_params
from tests.servers import SERVED_LIMITS


def test_token_info_and_profile_of_the_global_token(cli: Cli, localexa: Localexa) -> None:
    app_client = localexa.create_lwa_client()
    customer = localexa.create_customer()
    token = localexa.access_token(customer, "profile", client_id=app_client.client_id)
    info = cli.json("lwa", "token-info", token=token)
    assert info["aud"] == app_client.client_id
    assert cli.json("lwa", "profile", token=token)["user_id"] == customer.user_id
    assert customer.user_id in cli.ok("lwa", "profile", token=token).stdout  # the table


def test_refresh_prints_a_working_token_and_quiet_only_the_token(cli: Cli, localexa: Localexa) -> None:
    app_client = localexa.create_lwa_client()
    customer = localexa.create_customer()
    pair = localexa.create_tokens(customer, ("profile",), client_id=app_client.client_id)
    grant = ["--refresh-token", pair.refresh_token or "", "--client-id", app_client.client_id]
    secret = ["--client-secret", app_client.client_secret]
    issued = cli.json("lwa", "refresh", *grant, *secret)
    assert issued["access_token"] != pair.access_token
    only = cli.ok("lwa", "refresh", *grant, *secret, "-q").stdout.strip()
    assert localexa.client.lwa.profile(only).user_id == customer.user_id


def test_client_credentials_for_a_skills_messaging_client(cli: Cli, localexa: Localexa) -> None:
    skill = localexa.create_skill()
    issued = cli.json(
        "lwa", "client-credentials", "--scope", "alexa:skill_messaging",
        "--client-id", skill.messaging_client_id, "--client-secret", skill.messaging_client_secret,
    )  # fmt: skip
    assert issued["access_token"]
    assert issued["scope"] == "alexa:skill_messaging"
    # The secret may come from the environment instead of the command line (where `ps` shows it).
    from_env = cli.runner.invoke(
        app,
        ["--url", localexa.url, "lwa", "client-credentials", "--scope", "alexa:skill_messaging",
         "--client-id", skill.messaging_client_id, "--json"],
        env={**CLEAN_ENV, "LOCALEXA_CLIENT_SECRET": skill.messaging_client_secret},
    )  # fmt: skip
    assert from_env.exit_code == 0, from_env.output
    assert json.loads(from_env.stdout)["scope"] == "alexa:skill_messaging"


def test_refused_grants_and_tokens_exit_with_the_apis_error(cli: Cli, localexa: Localexa) -> None:
    app_client = localexa.create_lwa_client()
    used = cli.run(
        "lwa", "exchange-code", "made-up-code", "--client-id", app_client.client_id,
        "--client-secret", app_client.client_secret, "--redirect-uri", "https://app.example.com/cb",
    )  # fmt: skip
    assert used.exit_code == 1, (used.stdout, used.stderr)
    assert "invalid_grant" in used.stderr
    unknown = cli.run("lwa", "token-info", token="Atza|not-a-token")
    assert unknown.exit_code in (1, 4), (unknown.stdout, unknown.stderr)
    assert "not-a-token" not in unknown.stderr  # the token is a secret, not echoed
    missing = cli.run("lwa", "profile")
    assert missing.exit_code == 4, (missing.stdout, missing.stderr)  # no --token: as other commands


def test_the_grants_text_leaves_out_what_was_not_issued(cli: Cli, localexa: Localexa) -> None:
    """The client credentials grant issues no refresh token: no `refresh_token None` line."""
    skill = localexa.create_skill()
    text = cli.ok(
        "lwa", "client-credentials", "--scope", "alexa:skill_messaging",
        "--client-id", skill.messaging_client_id, "--client-secret", skill.messaging_client_secret,
    ).stdout  # fmt: skip
    names = [line.split()[0] for line in text.splitlines() if line.strip()]
    assert names == ["access_token", "expires_in", "scope"]
    assert "None" not in text
    assert text.splitlines()[-1] == "scope         alexa:skill_messaging"  # aligned as before
    # A refresh issues the pair (LWA sends no scope with it): the lines in the order they had.
    app_client = localexa.create_lwa_client()
    pair = localexa.create_tokens(localexa.create_customer(), ("profile",), client_id=app_client.client_id)
    refreshed = cli.ok(
        "lwa", "refresh", "--refresh-token", pair.refresh_token or "", "--client-id", app_client.client_id,
        "--client-secret", app_client.client_secret,
    ).stdout  # fmt: skip
    names = [line.split()[0] for line in refreshed.splitlines() if line.strip()]
    assert names == ["access_token", "refresh_token", "expires_in"]


def table_fields(stdout: str) -> list[str]:
    """The first column of a field/value table's rows."""
    return [line.split("│")[1].strip() for line in stdout.splitlines() if line.startswith("│")]


def test_token_info_and_profile_tables_leave_out_what_the_api_did_not_send(
    cli: Cli, localexa: Localexa
) -> None:
    app_client = localexa.create_lwa_client()
    customer = localexa.create_customer()
    token = localexa.access_token(customer, "profile", client_id=app_client.client_id)
    info = cli.json("lwa", "token-info", token=token)
    assert "scope" not in info  # tokeninfo sends none: the table had an empty `scope` row
    shown = table_fields(cli.ok("lwa", "token-info", token=token).stdout)
    assert shown == [name for name, value in info.items() if value is not None]
    assert "scope" not in shown
    profile = cli.json("lwa", "profile", token=token)
    assert table_fields(cli.ok("lwa", "profile", token=token).stdout) == [
        name for name, value in profile.items() if value is not None
    ]


def test_a_token_past_ascii_is_a_usage_error_and_nothing_is_sent(cli: Cli, localexa: Localexa) -> None:
    """A token from a file with a byte-order mark (or an "é"): httpx sent it as UTF-8 and the
    server's 401 "The access token is not valid" (exit 4) hid what was wrong."""
    skill = localexa.create_skill()
    for token in ("\ufeff" + skill.developer.token, skill.developer.token + "é"):
        for args in (("skill", "credentials", skill.skill_id), ("lwa", "profile")):
            result = cli.run(*args, token=token)
            assert result.exit_code == 2, (args, result.stdout, result.stderr)
            assert "past ASCII" in result.stderr
            assert skill.developer.token not in result.stderr
    assert localexa.client.admin.journal.list(path="/v1/skills").first_page().items == []
    assert localexa.client.admin.journal.list(path="/user/profile").first_page().items == []


def pkce_code(localexa: Localexa, client_id: str, customer: TestCustomer) -> tuple[str, str]:
    """A code from the real server's /ap/oa with an S256 challenge, and its verifier."""
    verifier, challenge = pkce_pair()
    with httpx.Client(limits=SERVED_LIMITS, base_url=localexa.url) as http:
        page = http.get(authorize_url(client_id, code_challenge=challenge, code_challenge_method="S256"))
        signin = form_for(page.text, "signin")
        page = http.post(
            signin.action, data=dict(signin.data({"email": customer.email, "password": customer.password}))
        )
        consent = form_for(page.text, "consent")
        answer = http.post(consent.action, data=dict(consent.data(button="allow")))
    return redirect_params(answer)["code"], verifier


def test_a_public_pkce_exchange_prints_a_refresh_token_that_refreshes_without_a_secret(
    cli: Cli, localexa: Localexa
) -> None:
    app_client = localexa.create_lwa_client()
    customer = localexa.create_customer()
    code, verifier = pkce_code(localexa, app_client.client_id, customer)
    issued = cli.json(
        "lwa", "exchange-code", code, "--client-id", app_client.client_id,
        "--redirect-uri", REDIRECT_URI, "--code-verifier", verifier,
    )  # fmt: skip
    assert issued["refresh_token"].startswith("Atzr|")
    refreshed = cli.ok(
        "lwa", "refresh", "--refresh-token", issued["refresh_token"],
        "--client-id", app_client.client_id, "-q",
    ).stdout.strip()  # fmt: skip
    assert refreshed != issued["access_token"]
    assert localexa.client.lwa.profile(refreshed).user_id == customer.user_id
