"""Every client call a person would make by hand has a `localexa` command (the converse of the
README's "what the CLI does, your code can do too").

The audit is dynamic, like tests/client/test_route_coverage.py one level down, so it cannot
drift from the code: every CLI command (test_every_command's enumeration of the Typer app, with
its placeholder arguments) runs against a fake transport that records the (method, path) of each
request the command's client sends, and so does every public client call (test_parity's
`EVERY_CALL`). Both are matched to the operation templates of the app's OpenAPI document. A
client call is covered when every operation it sends is sent by some command; the calls left
uncovered must be listed in `NOT_FOR_THE_SHELL` with their reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

import localexa.client
from localexa.cli.main import app
from tests.cli.conftest import CLEAN_ENV
from tests.cli.test_every_command import COMMANDS, command_line
from tests.client.test_parity import EVERY_CALL, LOCAL_ONLY, Recorder, run_sync
from tests.client.test_route_coverage import _answer, _not_found, covered, documented
from tests.client.test_route_coverage import server as server  # the app, for its document

Operation = tuple[str, str]  # (METHOD, path template as the OpenAPI document writes it)

#: Public client calls no command makes, each with why a shell does not need one.
NOT_FOR_THE_SHELL: dict[str, str] = {
    # No I/O: they build a URL or an auth object for code; a command would only print it back.
    "client.lwa.authorization_url": "builds a URL locally (no request); code opens it in a browser",
    "client.lwa.token_auth": "builds an httpx auth object for code (no request)",
}

#: The real class, taken before any patching (a patched one would be subclassed otherwise).
_Client = localexa.client.Client


def _patched_client(recorder: Recorder) -> type[localexa.client.Client]:
    class RecordingClient(_Client):  # the CLI's client on a fake transport
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "transport": httpx.MockTransport(recorder)})

    return RecordingClient


def _invoke(args: list[str]) -> None:
    root = ["--url", "http://127.0.0.1:9", "--admin-key", "k", "--token", "Atza|t", "--retries", "0"]
    CliRunner().invoke(app, [*root, *args], env=CLEAN_ENV)  # the outcome does not matter here


def command_lines(files: Path) -> Iterator[tuple[str, list[str]]]:
    # test_every_command's placeholder lines; a command whose options send to other operations
    # would need a second line here (none does today: the audit passes with these alone).
    for path, command in COMMANDS:
        yield " ".join(path), command_line(path, command, files)


def sent_by_the_cli(monkeypatch: pytest.MonkeyPatch, files: Path) -> dict[tuple[str, str], set[str]]:
    """(method, concrete path) of every request some command sends -> the commands sending it."""
    sent: dict[tuple[str, str], set[str]] = {}
    answers: list[Callable[[httpx.Request], httpx.Response]] = [_answer, _not_found]
    for name, line in command_lines(files):
        for answer in answers:
            recorder = Recorder(answer)
            monkeypatch.setattr(localexa.client, "Client", _patched_client(recorder))
            _invoke(line)
            for method, url_path, _ in recorder.seen:
                sent.setdefault((method, url_path), set()).add(name)
    return sent


def operations_of_each_call(operations: set[Operation]) -> dict[str, set[Operation]]:
    """Client call -> the operations it sends (answered with success, then with 404)."""
    options = {"auth": "Atza|dev", "admin_key": "admin-key", "max_retries": 0}
    each: dict[str, set[Operation]] = {}
    for dotted, path, kwargs in EVERY_CALL:
        if path[-1] in LOCAL_ONLY:
            each[dotted] = set()
            continue
        sent: dict[tuple[str, str], set[str]] = {}
        for answer in (_answer, _not_found):
            recorder = Recorder(answer)
            run_sync(path, kwargs, recorder, **options)
            for method, url_path, _ in recorder.seen:
                sent.setdefault((method, url_path), set()).add(dotted)
        each[dotted] = set(covered(operations, sent))
    return each


def uncovered(each: dict[str, set[Operation]], by_the_cli: set[Operation]) -> set[str]:
    # A call with no request (LOCAL_ONLY) is never covered: no command can be seen making it.
    return {call for call, ops in each.items() if not ops or not ops <= by_the_cli}


@pytest.fixture(scope="module")
def audit(
    server: FastAPI, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, set[Operation]], set[Operation]]:
    operations = documented(server)
    files = tmp_path_factory.mktemp("lines")
    with pytest.MonkeyPatch.context() as monkeypatch:  # one Click tree for every line: conftest.py
        by_the_cli = covered(operations, sent_by_the_cli(monkeypatch, files))
    return operations_of_each_call(operations), set(by_the_cli)


def test_every_client_call_has_a_command_or_a_reason(
    audit: tuple[dict[str, set[Operation]], set[Operation]],
) -> None:
    each, by_the_cli = audit
    assert len(each) > 45  # both sides were walked, not empty ones
    assert len(by_the_cli) > 40
    missing = sorted(uncovered(each, by_the_cli) - NOT_FOR_THE_SHELL.keys())
    assert not missing, f"client calls no command makes and NOT_FOR_THE_SHELL does not explain: {missing}"


def test_the_exclusions_stay_true(audit: tuple[dict[str, set[Operation]], set[Operation]]) -> None:
    each, by_the_cli = audit
    assert NOT_FOR_THE_SHELL.keys() <= each.keys(), sorted(NOT_FOR_THE_SHELL.keys() - each.keys())
    stale = NOT_FOR_THE_SHELL.keys() - uncovered(each, by_the_cli)
    assert not stale, f"excluded calls that some command makes after all: {sorted(stale)}"


def test_the_audit_notices_a_command_that_is_gone(
    audit: tuple[dict[str, set[Operation]], set[Operation]],
) -> None:
    """The matching is not vacuous: without the operations of `skill linking …`, the three
    account-linking calls are reported missing."""
    each, by_the_cli = audit
    linking = "/v1/skills/{skill_id}/stages/{stage}/accountLinkingClient"
    without = {op for op in by_the_cli if op[1] != linking}
    missing = uncovered(each, without) - uncovered(each, by_the_cli)
    assert missing == {f"client.account_linking.{name}" for name in ("get", "update", "delete")}
