"""`localexa skill linking get|update|delete`: a skill's SMAPI account-linking configuration,
against the session's real server."""

from __future__ import annotations

import json
from pathlib import Path

from localexa.testing import Localexa
from tests.cli.bad_server import invoke
from tests.cli.canned_api import serve_canned
from tests.cli.conftest import Cli


def test_get_edit_update_delete(cli: Cli, localexa: Localexa, tmp_path: Path) -> None:
    skill = localexa.create_skill(account_linking=True, stages=("development", "live"))
    token = skill.developer.token

    shown = cli.json("skill", "linking", "get", skill.skill_id, token=token)
    assert shown["clientId"]
    assert "clientSecret" not in shown
    assert shown["etag"].startswith('"')
    text = cli.ok("skill", "linking", "get", skill.skill_id, "--stage", "live", token=token).stdout
    assert shown["authorizationUrl"] in text
    assert shown["etag"] in text

    # What `get --json` printed goes back in, edited; --if-match makes it conditional.
    edited = tmp_path / "linking.json"
    edited.write_text(json.dumps({**shown, "scopes": ["profile", "postal_code"]}))
    conditional = ["--file", str(edited), "--if-match", shown["etag"], "-q"]
    new_etag = cli.ok("skill", "linking", "update", skill.skill_id, *conditional, token=token).stdout.strip()
    assert new_etag.startswith('"')
    assert new_etag != shown["etag"]
    again = cli.json("skill", "linking", "get", skill.skill_id, token=token)
    assert again["scopes"] == ["profile", "postal_code"]
    assert again["etag"] == new_etag

    # The stale ETag: 412, exit 5 (a conflict, as a 409), in one line; the wrapped body on stdin.
    wrapped = json.dumps({"accountLinkingRequest": {k: v for k, v in shown.items() if k != "etag"}})
    stale = cli.run(
        "skill", "linking", "update", skill.skill_id, "-f", "-", "--if-match", shown["etag"],
        token=token, input=wrapped,
    )  # fmt: skip
    assert stale.exit_code == 5, stale.stderr
    assert stale.stderr.startswith("error 412 PRECONDITION_FAILED")
    updated = cli.json("skill", "linking", "update", skill.skill_id, "-f", "-", token=token, input=wrapped)
    assert updated["stage"] == "development"
    assert updated["etag"] == shown["etag"]  # the first config again: its version again

    live = cli.run("skill", "linking", "delete", skill.skill_id, "--stage", "live", token=token)
    assert live.exit_code == 4  # 403 STAGE_READ_ONLY
    assert "STAGE_READ_ONLY" in live.stderr
    assert cli.json("skill", "linking", "delete", skill.skill_id, token=token)["accountLinking"] is None
    assert cli.run("skill", "linking", "get", skill.skill_id, token=token).exit_code == 3
    assert cli.run("skill", "linking", "delete", skill.skill_id, token=token).exit_code == 3


def test_a_bad_file_is_a_usage_error_before_any_call(cli: Cli, localexa: Localexa, tmp_path: Path) -> None:
    skill = localexa.create_skill(account_linking=True)
    cases = {
        "[1]": "must be a json object",
        '{"accountLinkingRequest": 1}': "accountlinkingrequest",
        '{"accountLinkingRequest": {}, "type": "AUTH_CODE"}': "accountlinkingrequest",
        "{oops": "not valid json",
    }
    for content, message in cases.items():
        source = tmp_path / "bad.json"
        source.write_text(content)
        result = cli.run("skill", "linking", "update", skill.skill_id, "--file", str(source), token="unused")
        assert result.exit_code == 2, (content, result.stderr)
        assert message in " ".join(result.stderr.lower().split()), (content, result.stderr)
        assert "Traceback" not in result.stderr
    # A payload the server refuses: its violations, exit 1.
    source = tmp_path / "refused.json"
    source.write_text(json.dumps({"clientId": "c"}))
    refused = cli.run(
        "skill", "linking", "update", skill.skill_id, "--file", str(source), token=skill.developer.token
    )
    assert refused.exit_code == 1, refused.stderr
    assert refused.stderr.startswith("error 400")


def test_an_update_answered_without_an_etag_says_so(tmp_path: Path) -> None:
    """localexa always sends the new version; Amazon documents none for the PUT (the client's
    `update` answers None then). The line said `(etag None)`, as if None were the version."""
    config = tmp_path / "linking.json"
    config.write_text(json.dumps({"type": "AUTH_CODE", "clientId": "c"}))
    with serve_canned(lambda method, path: (204, None)) as url:
        args = ["skill", "linking", "update", "amzn1.ask.skill.x", "-f", str(config)]
        text = invoke(args, url=url)
        as_json = invoke([*args, "--json"], url=url)
        quiet = invoke([*args, "-q"], url=url)
    assert (text.exit_code, as_json.exit_code, quiet.exit_code) == (0, 0, 0), (text.output, as_json.output)
    assert text.stdout == (
        "amzn1.ask.skill.x: development account linking updated (the answer carried no ETag: "
        "`skill linking get` reads the new one)\n"
    )
    assert json.loads(as_json.stdout)["etag"] is None
    assert quiet.stdout == "\n"
