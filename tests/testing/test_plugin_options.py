"""The plugin's server settings: the ini option `localexa_env`, a conftest's own
`localexa_server_options`, and a src-layout project's `python:` skill endpoint (since 2026-12-06)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PYPROJECT = """
[tool.pytest.ini_options]
pythonpath = ["src"]
addopts = "-p no:cacheprovider -p no:asyncio"
localexa_env = ["LOCALEXA_DIRECTIVE_TIMEOUT=1.5", "LOCALEXA_EVALUATION_CASE_TIMEOUT = 7"]
"""

CONFTEST = """
import pytest


@pytest.fixture(scope="session")
def localexa_server_options(localexa_server_options):
    assert localexa_server_options["tls"] is False
    return {**localexa_server_options, "env": {**localexa_server_options["env"], "ACME_FLAG": "on"}}
"""

HANDLER = """
def handler(event, context):
    header = event["directive"]["header"]
    return {"event": {"header": {**header, "name": "Discover.Response"}, "payload": {"endpoints": []}}}
"""

TESTS = """
from pathlib import Path


def test_the_server_got_the_settings(localexa_server):
    raw = Path(f"/proc/{localexa_server.pid}/environ").read_bytes().split(b"\\0")
    env = dict(item.decode().partition("=")[::2] for item in raw if item)
    assert env["LOCALEXA_DIRECTIVE_TIMEOUT"] == "1.5"
    assert env["LOCALEXA_EVALUATION_CASE_TIMEOUT"] == "7"
    assert env["ACME_FLAG"] == "on"


def test_a_python_endpoint_from_src(localexa):
    skill = localexa.create_skill(account_linking=True, endpoint="python:acme_skill.lam:handler")
    customer = localexa.create_customer()
    localexa.link(customer, skill)
    ends = localexa.client.admin.directives.endpoints(customer.user_id, skill.skill_id, wait_seconds=20)
    assert ends.discovery.status == "SUCCEEDED", ends.discovery.message


def test_the_session_kit_has_a_docstring(request):
    assert "never emptied" in (request.fixturenames and
        request.config.pluginmanager.get_plugin("localexa").localexa_session.__doc__ or "")
"""


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc/<pid>/environ")
def test_ini_settings_a_conftest_override_and_a_src_layout_handler(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(CONFTEST)
    (tmp_path / "tests" / "test_inner.py").write_text(TESTS)
    package = tmp_path / "src" / "acme_skill"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "lam.py").write_text(HANDLER)
    result = _pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_a_localexa_env_line_that_is_no_assignment_stops_the_run(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nlocalexa_env =\n    LOCALEXA_DIRECTIVE_TIMEOUT 2\n")
    (tmp_path / "test_nothing.py").write_text("def test_it():\n    pass\n")
    result = _pytest(tmp_path, "-p", "no:cacheprovider")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "localexa_env: 'LOCALEXA_DIRECTIVE_TIMEOUT 2' is not NAME=VALUE" in result.stderr


MISSPELT = "[pytest]\nlocalexa_env =\n    LOCALEXA_RATE_LIMT=2/minute\n"


def test_a_misspelt_setting_in_localexa_env_stops_the_run(tmp_path: Path) -> None:
    """It was passed on, and the server ignored it: the default budget, without a word."""
    (tmp_path / "pytest.ini").write_text(MISSPELT)
    (tmp_path / "test_nothing.py").write_text("def test_it():\n    pass\n")
    result = _pytest(tmp_path, "-p", "no:cacheprovider")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "LOCALEXA_RATE_LIMT is not a setting of localexa serve; did you mean LOCALEXA_RATE_LIMIT?" in (
        result.stderr
    )


COMMENTED = """[pytest]
localexa_env =
    LOCALEXA_DIRECTIVE_TIMEOUT=2  # seconds
    LOCALEXA_RATE_LIMIT=100/second; 6000/minute
    LOCALEXA_ADMIN_KEY="key#1 # kept"
    ACME_URL=http://example.test/#fragment
"""

SHOW_ENV = """
def test_show(localexa_server_options):
    print("ENV", sorted(localexa_server_options["env"].items()))
"""


def test_localexa_env_drops_comments_after_a_value(tmp_path: Path) -> None:
    """pytest keeps the rest of the line: `2  # seconds` reached the server as the timeout."""
    (tmp_path / "pytest.ini").write_text(COMMENTED)
    (tmp_path / "test_show.py").write_text(SHOW_ENV)
    result = _pytest(tmp_path, "-p", "no:cacheprovider", "-s")
    assert result.returncode == 0, result.stdout + result.stderr
    shown = next(line for line in result.stdout.splitlines() if line.startswith("ENV") or "ENV [" in line)
    assert (
        "[('ACME_URL', 'http://example.test/#fragment'), ('LOCALEXA_ADMIN_KEY', 'key#1 # kept'), "
        "('LOCALEXA_DIRECTIVE_TIMEOUT', '2'), ('LOCALEXA_RATE_LIMIT', '100/second; 6000/minute')]"
    ) in shown


def test_localexa_env_keeps_the_server_out_of_the_test_process(tmp_path: Path) -> None:
    """Its names are checked at the run's start without importing `localexa.server.settings`:
    until review 36b that import (FastAPI, Starlette) came into every pytest process of a project
    setting `localexa_env`, tests that never start a server included."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "-p no:cacheprovider -p no:asyncio"\n'
        'localexa_env = ["LOCALEXA_DIRECTIVE_TIMEOUT=2"]\n'
    )
    (tmp_path / "test_unit.py").write_text(
        "import sys\n\n\ndef test_no_server_here():\n"
        "    assert [m for m in sys.modules if m.startswith(('localexa.server', 'fastapi'))] == []\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
