"""`localexa admin skills create|get` show the skill's Alexa client (app-to-app account linking)."""

from __future__ import annotations

from localexa.testing import Localexa
from tests.cli.conftest import Cli


def test_skills_create_and_get_show_the_alexa_client(cli: Cli, localexa: Localexa) -> None:
    developer = localexa.create_developer()
    args = ("admin", "skills", "create", "--vendor-id", developer.vendor_id, "--name", "My Lights")
    created = cli.json(*args, "--endpoint", "http://127.0.0.1:9/skill")
    alexa = created["alexaClientCredentials"]
    assert alexa["clientId"].startswith("amzn1.application-oa2-client.")
    assert alexa["clientSecret"]

    text = cli.ok(*args, "--endpoint", "http://127.0.0.1:9/other").stdout
    lines = dict(line.rsplit(maxsplit=1) for line in text.strip().splitlines())
    assert set(lines) == {
        "skillId",
        "messaging clientId",
        "messaging clientSecret",
        "alexa clientId",
        "alexa clientSecret",
    }
    assert lines["alexa clientId"].startswith("amzn1.application-oa2-client.")

    stored = cli.json("admin", "skills", "get", created["skillId"])
    assert stored["alexaClientId"] == alexa["clientId"]
    assert stored["alexaClientCredentials"] == alexa
    listed = cli.json("admin", "skills", "list")
    assert {s["alexaClientId"] for s in listed} == {alexa["clientId"], lines["alexa clientId"]}
