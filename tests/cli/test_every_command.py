"""Every command of the `localexa` CLI, enumerated from the Typer app (a new command is covered
without a change here), against servers that fail in every way: no server, a server answering
HTML, empty bodies, invalid JSON, JSON of the wrong shape, 4xx/5xx pages, a connection closed
mid-answer, no HTTP at all, and one too slow for the timeout.

Properties (README "Exit codes"): never a Python exception (CliRunner would hold it; a real
process would print a traceback), the documented exit code for each class of failure, an API
error in one line on stderr (plus its request id), and no secret (admin key, token) printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer import _click as click
from typer.core import TyperGroup
from typer.testing import CliRunner

import localexa.client
from localexa.cli.main import app
from localexa.testing import Localexa
from localexa.testing.ports import free_port_block
from tests.cli.bad_server import (
    ANSWERS,
    BAD_BODIES,
    EXPECTED_EXIT,
    TOKEN,
    BadServer,
    answer_bytes,
    assert_clean_failure,
    flat,
    invoke,
)
from tests.cli.conftest import CLEAN_ENV, Cli

#: Commands that do not call a server (`serve` is tested in test_serve_bad_options.py).
LOCAL_COMMANDS = {("serve",), ("ca",)}
XPANID = "dead00beef00cafe"
KEY = "00112233445566778899aabbccddeeff"


# -- the commands ----------------------------------------------------------------------------------


def leaf_commands(
    command: click.Command, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(command, TyperGroup):
        context = click.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None, name
            yield from leaf_commands(sub, (*path, name))
    else:
        yield path, command


COMMANDS = [
    (path, command)
    for path, command in leaf_commands(typer.main.get_command(app))
    if path not in LOCAL_COMMANDS
]


def extra_arguments(path: tuple[str, ...], files: Path) -> list[str]:
    """What a command needs beyond placeholders for its required parameters to reach the server."""
    event = files / "event.json"
    event.write_text(json.dumps({"event": {"header": {"namespace": "Alexa", "name": "ChangeReport"}}}))
    snapshot = files / "snapshot.json"
    snapshot.write_text("{}")
    linking = files / "linking.json"
    linking.write_text(json.dumps({"authorizationUrl": "https://a.example/auth", "clientId": "c"}))
    network = ["--extended-pan-id", XPANID, "--network-name", "home", "--network-key", KEY, "--pskc", KEY]
    needs: dict[tuple[str, ...], list[str]] = {
        ("thread", "put"): network,
        ("events", "send"): [str(event)],
        ("admin", "restore"): [str(snapshot)],
        ("admin", "reset"): ["--yes"],
        ("skill", "linking", "update"): ["--file", str(linking)],  # after the "--file 1" placeholder
        ("evaluations", "run"): ["--poll", "0", "--timeout", "0"],
    }
    return needs.get(path, [])


def command_line(path: tuple[str, ...], command: Any, files: Path) -> list[str]:
    """`path` with "1" for each required argument and option (ints, ids, durations all take it)."""
    extra = extra_arguments(path, files)
    args = list(path)
    for param in command.params:
        if not param.required or (path == ("admin", "restore") and param.name == "source"):
            continue
        args += ["1"] if type(param).__name__ == "TyperArgument" else [param.opts[0], "1"]
    return [*args, *extra]


def test_every_command_is_enumerated() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"admin customers create", "skill status", "thread put", "events send", "admin restore"} <= names
    assert len(names) >= 40


# -- properties ------------------------------------------------------------------------------------


#: Commands whose call's answer has no body (events 202, the Credential Locker's PUT and the
#: customer's DELETE 200, the rest 204): one with a body is no answer of the API, so exit 6. They
#: printed "accepted", "stored" or "deleted" and exited 0 for any 2xx until 2026-12-07 (review36b #1).
NO_BODY_COMMANDS = {
    ("events", "send"),
    ("thread", "put"),
    ("skill", "unlink"),
    ("skill", "linking", "update"),
    ("skill", "linking", "delete"),
    ("admin", "faults", "delete"),
    ("admin", "customers", "delete"),
    ("admin", "skills", "delete"),
}
#: The bad 2xx answers that carry a body (all of BAD_BODIES but the empty ones).
BODY_MODES = sorted(BAD_BODIES - {"empty-200", "empty-204"})


def expected_exit(path: tuple[str, ...], codes: set[int], mode: str = "") -> set[int]:
    """`admin health` exits 6 for any answer but localexa's "ok", a 4xx too (README; since
    2026-12-06: it exited with the 4xx's code, 3 for another server's 404). A command whose
    answer has no body exits 6 for a 2xx with one."""
    if path in NO_BODY_COMMANDS and mode in BODY_MODES:
        return {6}
    return {6} if path == ("admin", "health") and 0 not in codes else codes


def test_every_command_reaches_the_server(bad_server: BadServer, tmp_path: Path) -> None:
    """The placeholders of command_line are enough for every command to call the server: what
    the tests below find is then about answers, not about arguments refused first."""
    bad_server.mode = "json-409"
    for path, command in COMMANDS:
        before = bad_server.hits
        result = invoke(command_line(path, command, tmp_path), url=bad_server.url)
        assert bad_server.hits > before, (path, "add its arguments to extra_arguments", result.stderr)
        assert_clean_failure(result, expected_exit(path, {5}), " ".join(path))


def test_every_command_without_a_server_exits_6(tmp_path: Path) -> None:
    nobody = f"http://127.0.0.1:{free_port_block()}"
    for path, command in COMMANDS:
        result = invoke(command_line(path, command, tmp_path), url=nobody)
        assert_clean_failure(result, {6}, " ".join(path))


def test_every_bad_answer_against_some_commands(bad_server: BadServer, tmp_path: Path) -> None:
    """Every bad answer against a rotating share of the commands (all of them for every mode would
    take ~40 s): each command meets two modes, each mode five commands or more."""
    modes = sorted(ANSWERS)
    for index, (path, command) in enumerate(COMMANDS):
        for mode in (modes[index % len(modes)], modes[(index + 7) % len(modes)]):
            bad_server.mode = mode
            result = invoke(command_line(path, command, tmp_path), url=bad_server.url)
            assert_clean_failure(
                result, expected_exit(path, EXPECTED_EXIT[mode], mode), f"{mode}: {' '.join(path)}"
            )


def test_a_command_whose_answer_has_no_body_refuses_one(bad_server: BadServer, tmp_path: Path) -> None:
    """Every 2xx with a body (HTML, an object, a list, null, not UTF-8) against every command whose
    answer has none: exit 6 with the error on stderr, never the success line; the empty 200 and
    204 (what localexa and Amazon answer) still succeed where the command makes only that call."""
    commands = [(path, command) for path, command in COMMANDS if path in NO_BODY_COMMANDS]
    assert {path for path, _ in commands} == NO_BODY_COMMANDS
    for path, command in commands:
        for mode in BODY_MODES:
            bad_server.mode = mode
            result = invoke(command_line(path, command, tmp_path), url=bad_server.url)
            assert_clean_failure(result, {6}, f"{mode}: {' '.join(path)}")
            assert result.stdout == "", (mode, path, result.stdout)
        for mode in ("empty-200", "empty-204"):
            bad_server.mode = mode
            result = invoke(command_line(path, command, tmp_path), url=bad_server.url)
            # `skill unlink` asks /v1/alexaApiEndpoint first, whose empty answer is no answer.
            assert_clean_failure(
                result, {6} if path == ("skill", "unlink") else {0}, f"{mode}: {' '.join(path)}"
            )


def test_a_server_slower_than_the_timeout_exits_6(
    bad_server: BadServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class QuickClient(localexa.client.Client):  # the CLI's client, with a 0.2 s timeout
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "timeout": 0.2})

    monkeypatch.setattr(localexa.client, "Client", QuickClient)
    bad_server.mode = "silent"
    for args in (
        ["admin", "customers", "list"],
        ["skill", "credentials", "amzn1.ask.skill.x"],
        ["thread", "list", "--extended-pan-id", XPANID],
        ["evaluations", "plans", "amzn1.ask.skill.x"],
    ):
        result = invoke(args, url=bad_server.url)
        assert_clean_failure(result, {6}, " ".join(args))
        assert "timed out" in result.stderr.lower() or "timeout" in result.stderr.lower(), result.stderr


def test_a_server_message_is_one_line_without_control_characters(bad_server: BadServer) -> None:
    bad_server.mode = "json-400"
    result = invoke(["admin", "customers", "list"], url=bad_server.url)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "error 400: bad [/x] \\x1b[2J second line"
    as_json = invoke(["admin", "customers", "list", "--json"], url=bad_server.url)
    assert json.loads(as_json.stderr)["error"]["message"] == "bad [/x] \x1b[2J\n second line"


def test_an_evaluation_status_in_square_brackets_is_text(bad_server: BadServer) -> None:
    """The evaluation id (the user's) and status (the server's) were read as Rich markup."""
    answer = json.dumps({"status": "[/y]", "metrics": {}}).encode()
    ANSWERS["evaluation"] = answer_bytes(200, "application/json", answer)
    bad_server.mode = "evaluation"
    try:
        result = invoke(["evaluations", "status", "amzn1.ask.skill.x", "[/x]"], url=bad_server.url)
    finally:
        del ANSWERS["evaluation"]
    assert_clean_failure(result, {1}, "evaluations status", api_error=False)  # status not PASSED
    assert "evaluation [/x]: [/y]" in result.stdout


# -- bad arguments ---------------------------------------------------------------------------------

SKILLS_CREATE = ["admin", "skills", "create", "--vendor-id", "v", "--name", "n", "--endpoint", "e"]
NETWORK = ["--extended-pan-id", XPANID, "--network-name", "home", "--network-key", KEY]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["admin", "customers", "get"], "Missing argument", id="missing-argument"),
        pytest.param(["skill", "status", "x", "y"], "unexpected extra argument", id="extra-argument"),
        pytest.param(["admin", "journal", "get", "abc"], "'abc' is no whole number", id="not-an-int"),
        pytest.param(["admin", "journal", "list", "--limit", "0"], "--limit", id="int-below-min"),
        pytest.param(
            ["evaluations", "plans", "s", "--limit", "51"],
            "51 is out of range: give 1 to 50",
            id="plans-limit",
        ),
        pytest.param(
            ["evaluations", "results", "s", "r", "--limit", "0"],
            "0 is out of range: give 1 to 50",
            id="results-limit",
        ),
        pytest.param(["admin", "journal", "list", "--since", "yesterday"], "--since", id="journal-since"),
        pytest.param(["admin", "journal", "list", "--until", "2026-13-01"], "--until", id="journal-until"),
        pytest.param(
            ["admin", "journal", "list", "--since", "0001-01-01T00:00:00+01:00"], "range", id="journal-year-0"
        ),
        pytest.param(
            ["admin", "faults", "create", "--path", "/x", "--status", "200"], "--status", id="int-range"
        ),
        pytest.param(
            ["admin", "faults", "create", "--path", "/", "--probability", "nan"], "--probability", id="nan"
        ),
        pytest.param(
            ["admin", "directives", "endpoints", "u", "s", "--wait", "x"], "--wait", id="not-a-float"
        ),
        pytest.param(["skill", "status", "x", "--stage", "beta"], "--stage", id="bad-choice"),
        pytest.param(
            [
                "admin",
                "customers",
                "create",
                "--name",
                "a",
                "--email",
                "b",
                "--password",
                "c",
                "--region",
                "XX",
            ],
            "--region",
            id="bad-region",
        ),
        pytest.param(["admin", "clock", "advance", "soon"], "no duration", id="bad-duration"),
        pytest.param(["admin", "clock", "advance", "1e400"], "no duration", id="float-duration"),
        pytest.param(["admin", "clock", "advance", "5m5m"], "'5m5m' is no duration", id="unit-twice"),
        pytest.param(["admin", "clock", "advance", "2d5"], "'2d5' is no duration", id="trailing-number"),
        pytest.param([*SKILLS_CREATE, "--account-linking", '{"a": NaN}'], "NaN", id="json-nan"),
        pytest.param([*SKILLS_CREATE, "--account-linking", '{"a": 1e999}'], "too large", id="json-inf"),
        pytest.param([*SKILLS_CREATE, "--account-linking", "[1]"], "JSON object", id="json-wrong-shape"),
        pytest.param([*SKILLS_CREATE, "--account-linking", "@"], "cannot read", id="json-at-nothing"),
        pytest.param(["thread", "put", "--tlv", "zz"], "--tlv", id="bad-tlv"),
        pytest.param(["thread", "put", "--network-name", "home"], "--extended-pan-id", id="thread-missing"),
        pytest.param(["thread", "put", *NETWORK, "--channel", "99"], "--channel", id="thread-channel"),
        pytest.param(["thread", "put", *NETWORK, "--tlv", "00"], "--tlv", id="thread-both"),
        pytest.param(["admin", "reset"], "--yes", id="reset-unconfirmed"),
        pytest.param(["skill", "status", "x\udcff"], "UTF-8", id="id-not-utf8"),
        pytest.param(
            ["admin", "customers", "create", "--name", "\udcff", "--email", "e", "--password", "p"],
            "UTF-8",
            id="body-not-utf8",
        ),
        pytest.param(
            ["skill", "link-status", "x", "--endpoint", "http://[::1"], "not a URL", id="bad-endpoint"
        ),
    ],
)
def test_bad_arguments_exit_2(bad_server: BadServer, args: list[str], message: str) -> None:
    bad_server.mode = "json-400"
    before = bad_server.hits
    result = invoke(args, url=bad_server.url, stdin="")
    assert_clean_failure(result, {2}, " ".join(args))
    assert message.lower() in flat(result.stderr), result.stderr
    assert bad_server.hits == before  # refused before any call


@pytest.mark.parametrize(
    "url", ["notaurl", "ftp://example.com", "http://[::1", "http://host\x00name", "http://exa mple.com:x"]
)
def test_a_bad_url_exits_2(url: str) -> None:
    result = invoke(["admin", "customers", "list"], url=url)
    assert_clean_failure(result, {2}, url)
    assert "--url" in result.stderr


def test_an_option_given_twice_takes_the_last(bad_server: BadServer) -> None:
    bad_server.mode = "json-404"
    ANSWERS["json-404"] = answer_bytes(404, "application/json", b'{"message": "not enabled"}')
    try:
        result = invoke(
            ["skill", "status", "x", "--stage", "live", "--stage", "development", "--json"],
            url=bad_server.url,
        )
    finally:
        del ANSWERS["json-404"]
    assert_clean_failure(result, {3}, "skill status", api_error=False)
    assert json.loads(result.stdout)["stage"] == "development"


# -- input files -----------------------------------------------------------------------------------


def _file_commands(path: str) -> list[list[str]]:
    return [
        ["admin", "restore", path],
        ["events", "send", path],
        [*SKILLS_CREATE, "--account-linking", "@" + path],
        [
            "admin",
            "directives",
            "send",
            "--user-id",
            "u",
            "--skill-id",
            "s",
            "--namespace",
            "N",
            "--name",
            "n",
            "--payload",
            "@" + path,
        ],
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "No such file", id="missing"),
        pytest.param("directory", "Is a directory", id="directory"),
        pytest.param(b'{"a": "\xff\xfe"}', "not UTF-8", id="not-utf8"),
        pytest.param(b"hello", "not valid JSON", id="not-json"),
        pytest.param(b"", "not valid JSON", id="empty"),
        pytest.param(b"[1, 2]", "JSON object", id="wrong-shape"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="deeply-nested"),
        pytest.param(b'{"a": Infinity}', "Infinity", id="infinity"),
    ],
)
def test_bad_input_files_exit_2(
    bad_server: BadServer, tmp_path: Path, content: bytes | str | None, message: str
) -> None:
    bad_server.mode = "json-400"
    path = tmp_path / "input.json"
    if content == "directory":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    before = bad_server.hits
    for args in _file_commands(str(path)):
        result = invoke(args, url=bad_server.url)
        assert_clean_failure(result, {2}, " ".join(args[:3]))
        assert message.lower() in flat(result.stderr), (args[:3], result.stderr)
    assert bad_server.hits == before


def test_non_utf8_stdin_exits_2(bad_server: BadServer) -> None:
    result = CliRunner().invoke(
        app,
        ["--url", bad_server.url, "--token", TOKEN, "events", "send", "-"],
        input=b"\xff{}",
        env=CLEAN_ENV,
    )
    assert_clean_failure(result, {2}, "events send -")
    assert "not utf-8" in flat(result.stderr)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_an_unreadable_file_exits_2(bad_server: BadServer, tmp_path: Path) -> None:
    path = tmp_path / "secret.json"
    path.write_text("{}")
    path.chmod(0)
    for args in _file_commands(str(path)):
        result = invoke(args, url=bad_server.url)
        assert_clean_failure(result, {2}, " ".join(args[:3]))
        assert "permission denied" in flat(result.stderr)


def test_a_huge_input_file_is_sent_or_refused_cleanly(bad_server: BadServer, tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"tables": {"x": ["y" * 1000] * 10_000}}))  # 10 MB
    bad_server.mode = "json-400"
    result = invoke(["admin", "restore", str(path)], url=bad_server.url)
    assert_clean_failure(result, {1}, "admin restore huge")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param("missing.pem", None, "No such file", id="missing"),
        pytest.param("junk.pem", b"not a certificate", "NO_CERTIFICATE", id="not-pem"),
        pytest.param("latin1.pem", b"\xff\xfe", "NO_CERTIFICATE", id="not-utf8"),
    ],
)
def test_a_bad_ca_file_exits_2(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = invoke(["--ca-file", str(path), "admin", "health"], url="https://127.0.0.1:1")
    assert_clean_failure(result, {2}, name)
    assert "--ca-file" in result.stderr
    assert message.lower() in flat(result.stderr)


def test_a_bad_local_ca_in_the_data_dir_exits_2(tmp_path: Path) -> None:
    (tmp_path / "tls").mkdir()
    (tmp_path / "tls" / "ca.pem").write_text("junk")
    result = invoke(["--data-dir", str(tmp_path), "admin", "health"], url="https://127.0.0.1:1")
    assert_clean_failure(result, {2}, "data dir CA")
    assert "--data-dir" in result.stderr


@pytest.mark.parametrize(
    "output", [pytest.param(".", id="a-directory"), pytest.param("no/such/dir/state.json", id="no-folder")]
)
def test_a_snapshot_that_cannot_be_written_exits_2(
    bad_server: BadServer, tmp_path: Path, output: str
) -> None:
    snapshot = b'{"format": "localexa.snapshot", "tables": {}}'
    ANSWERS["snapshot"] = answer_bytes(200, "application/json", snapshot)
    bad_server.mode = "snapshot"
    try:
        result = invoke(["admin", "snapshot", "-o", str(tmp_path / output)], url=bad_server.url)
    finally:
        del ANSWERS["snapshot"]
    assert_clean_failure(result, {2}, "snapshot")
    assert "cannot write" in flat(result.stderr)


# -- against a real server: the admin key, odd ids, what the server echoes -------------------------


def test_every_admin_command_with_a_wrong_key_exits_4(cli: Cli, tmp_path: Path) -> None:
    for path, command in COMMANDS:
        if path[0] != "admin" or path == ("admin", "health"):
            continue
        args = command_line(path, command, tmp_path)
        result = cli.run(*args, admin_key="wrong-key-SECRET")
        assert_clean_failure(result, {4}, " ".join(path))
        assert "401" in result.stderr


@pytest.mark.parametrize(
    "odd_id",
    [
        "é\u202e",
        "x\x00y",
        "\x1b[31mred",
        "[bold]x[/]",
        "a/b",
        "x\r\nX-Injected: 1",
        "%2e%2e",
        "?a=b#c",
        "x" * 5000,
    ],
)
def test_odd_ids_are_not_found_or_refused(cli: Cli, localexa: Localexa, odd_id: str) -> None:
    result = cli.run("admin", "customers", "get", odd_id)
    assert_clean_failure(result, {1, 2, 3}, repr(odd_id[:20]))
    developer = localexa.create_customer()
    token = localexa.access_token(developer, "alexa::ask:skills:readwrite")
    status = cli.run("skill", "status", odd_id, token=token)
    assert_clean_failure(status, {1, 2, 3}, repr(odd_id[:20]), api_error=False)
    assert "\x1b" not in status.stdout


def test_control_characters_the_server_echoes_are_shown_escaped(cli: Cli) -> None:
    name = "\x1b]0;owned\x07Eve\x1b[2J"
    created = cli.json(
        "admin", "customers", "create", "--name", name, "--email", "e@example.com", "--password", "pw"
    )
    assert created["name"] == name  # --json keeps the value as it is
    for args in (("admin", "customers", "list"), ("admin", "customers", "get", created["userId"])):
        shown = cli.ok(*args).stdout
        assert "\x1b" not in shown
        assert "\x07" not in shown
        assert "\\x1b]0;owned\\x07Eve\\x1b[2J" in shown


def test_a_real_process_with_a_non_utf8_argument_exits_2(tmp_path: Path) -> None:
    """argv bytes that are no UTF-8 reach Python as lone surrogates (PEP 383): only a real process
    shows what the user sees."""
    nobody = f"http://127.0.0.1:{free_port_block()}"
    done = subprocess.run(
        [sys.executable.encode(), b"-m", b"localexa", b"--url", nobody.encode(), b"--token", TOKEN.encode(),
         b"skill", b"status", b"amzn1.ask.skill.\xff"],
        capture_output=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LC_ALL": "C.UTF-8"},
    )  # fmt: skip
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert "UTF-8" in stderr  # the client refuses the id (before: the CLI's own catch-all)
    assert done.stdout == b""
