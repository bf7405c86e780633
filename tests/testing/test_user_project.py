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
        # As the README gives it: pytest-asyncio (our dev extra) is loaded too, and its warning
        # about its own unset option is no error under the example's filterwarnings (it was, and
        # the README's command stopped at start while this test passed with `-p no:asyncio`).
        [sys.executable, "-m", "pytest", "examples/user-project", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert "failed" not in result.stdout
