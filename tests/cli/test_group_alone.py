"""A command group run alone (`localexa`, `localexa admin`, `localexa admin faults`) prints its
help and exits 2, as on a terminal: piped, an empty `Error: ` line (and the usage lines before it)
followed the help on stderr (cliq QA of 2026-12-07)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.cli.conftest import CLEAN_ENV


@pytest.mark.parametrize("args", [(), ("admin",), ("admin", "faults"), ("skill", "linking")])
def test_a_group_alone_prints_its_help_and_no_empty_error(args: tuple[str, ...]) -> None:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    command = [sys.executable, "-m", "localexa", *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 2
    assert " ".join(["localexa", *args, "[OPTIONS]"]) in done.stdout  # `Usage: python -m localexa …`
    assert done.stderr == ""
