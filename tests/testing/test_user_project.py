"""The example user project (examples/user-project) passes its own suite with the plugin, run as a
user would run it: `python -m pytest examples/user-project -q` in a separate process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_example_user_project_passes() -> None:
    result = subprocess.run(
        # (-p no:asyncio: the example does not use pytest-asyncio, which our dev extra installs and
        # which warns about its own unset option, an error under the example's filterwarnings.)
        [sys.executable, "-m", "pytest", "examples/user-project", "-q", "-p", "no:asyncio"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert "failed" not in result.stdout
