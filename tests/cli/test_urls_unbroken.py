"""URLs and paths in error messages are never broken across lines on a terminal: Rich folded a
word longer than what was left of the line at any character, so on 50 columns the path in a
NO_SUCH_SKILL_STAGE message (`POST /v1/users/~current/skills/…/enablement`) and a long
`--url` in a usage error came out cut in two (rev4 QA). Each command runs in a real terminal (a
pty) of 50 columns (COLUMNS=50)."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from rich.cells import cell_len

from tests.cli.canned_api import serve_canned
from tests.cli.conftest import CLEAN_ENV

SKILL = "amzn1.ask.skill.9d3c42c9-46f5-4f7a-a81a-f53fd52441c4"
RUN = "5c1e6a3e-2f1d-4e0a-8d7c-9b8a7f6e5d4c"
PATH = f"/v1/users/~current/skills/{SKILL}/enablement"
MESSAGE = (
    "The skill is not enabled at stage development in the developer's account; enable and link it "
    f"with the developer's own token, as a customer does (POST {PATH} with an authCode), then start "
    "the evaluation again."
)
ERROR = {"code": "NO_SUCH_SKILL_STAGE", "message": MESSAGE}
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _answer(method: str, path: str) -> tuple[int, Any]:
    """A run that ended in NO_SUCH_SKILL_STAGE (GET), and a refused start of one (POST)."""
    if method == "POST":
        return 400, {"message": MESSAGE, "code": "NO_SUCH_SKILL_STAGE"}
    if path.endswith("/capabilityTestPlans"):
        return 200, {"testPlans": [{"id": "plan-1", "name": "PowerController"}]}
    return 200, {"id": RUN, "status": "ERROR", "metrics": {}, "error": ERROR}


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with serve_canned(_answer) as url:
        yield url


def on_terminal(*args: str, columns: int = 50) -> list[str]:
    """`localexa ARGS` with stdout and stderr a terminal `columns` wide: the lines it showed."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    env.update(COLUMNS=str(columns), TERM="xterm")
    with subprocess.Popen(
        [sys.executable, "-m", "localexa", *args],
        stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env,
    ) as process:  # fmt: skip
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the command ended and closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(leader)
    text = _ESCAPES.sub("", b"".join(chunks).decode())
    return text.replace("\r\n", "\n").splitlines()


def within_terminal(line: str, columns: int) -> bool:
    """`line` fits a terminal `columns` wide, or is one word wider than the terminal itself (the
    terminal's to show on more rows). A word that fits the terminal but not after an indent is no
    excuse: accepted as any one-word line, `  <36-character id>` on 36 columns passed while the
    terminal cut the id's last two characters onto the next row (re-verification D1 of the night
    of 2026-12-06)."""
    return cell_len(line) <= columns or (len(line.split()) == 1 and cell_len(line.strip()) > columns)


def whole_in_one_line(word: str, lines: list[str]) -> bool:
    return any(word in line for line in lines)


def test_the_error_of_a_run_keeps_its_path_whole(api: str) -> None:
    lines = on_terminal("--url", api, "--token", "t", "evaluations", "status", SKILL, RUN)
    assert "NO_SUCH_SKILL_STAGE" in "\n".join(lines)
    assert whole_in_one_line(PATH, lines), lines
    assert all(len(line) <= 50 or PATH in line for line in lines), lines  # still wrapped, at spaces


def test_an_api_error_keeps_its_path_whole(api: str) -> None:
    args = ("--url", api, "--token", "t", "--retries", "0", "evaluations", "run", SKILL)
    lines = on_terminal(*args, "--plan", "PowerController", "--endpoint", "e")
    assert any("400 NO_SUCH_SKILL_STAGE" in line for line in lines), lines
    assert whole_in_one_line(PATH, lines), lines
    assert all(len(line) <= 50 or PATH in line for line in lines), lines


def test_a_usage_error_keeps_its_url_whole() -> None:
    url = "http://127.0.0.1:9/" + "/".join(["a" * 20, "b" * 20, "c" * 20])
    lines = on_terminal("--url", url + "?x=1", "admin", "health")
    assert whole_in_one_line(url, lines), lines
    assert any("no query or fragment" in line for line in lines), lines


def test_a_short_url_keeps_the_box(api: str) -> None:
    lines = on_terminal("--url", api + "/?x=1", "admin", "health", columns=100)
    assert any("╭" in line for line in lines), lines
    assert whole_in_one_line(api, lines), lines


def test_a_quoted_url_one_cell_too_wide_leaves_the_box() -> None:
    """The box fits 76 cells at 80 columns: `'http://…?x=1'` with its two quotes 77 wide kept the
    box, only the URL and its closing quote having been measured, and lost the quote (revB QA)."""
    url = "http://127.0.0.1:9/" + "a" * 56
    lines = on_terminal("--url", url + "?x=1", "admin", "health", columns=80)
    assert not any("╭" in line for line in lines), lines
    assert whole_in_one_line(f"'{url}'", lines), lines


def test_a_long_file_path_is_not_cut() -> None:
    path = "/tmp/" + "/".join(["d" * 30, "e" * 30]) + "/dataset.tlv"
    args = ("--token", "t", "thread", "put", "--extended-pan-id", "dead00beef00cafe", "--tlv-file", path)
    lines = on_terminal(*args, columns=50)
    assert whole_in_one_line(path, lines), lines


def test_a_piped_usage_error_is_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "localexa", "--url", "http://127.0.0.1:9/?x=1", "admin", "health"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert not any(c in done.stderr for c in "╭│╰"), done.stderr
    error = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(error) == 1, done.stderr
    assert "no query or fragment" in error[0], done.stderr
