"""`localexa lwa …` against the real server: tokeninfo, profile and the token grants."""

from __future__ import annotations

import json

from localexa.cli.main import app
from localexa.testing import Localexa
from tests.cli.conftest import CLEAN_ENV, Cli


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
