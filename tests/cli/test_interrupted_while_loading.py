"""Ctrl-C while the command line is still importing ends the command with 130 and no traceback,
through the installed `localexa` script's entry point and through `python -m localexa`.

The interrupt is delivered where a real Ctrl-C in the first few hundred milliseconds lands: in
the import of `localexa.cli.main` (a finder on `sys.meta_path` raises it there), so the test
does not depend on timing a signal against the machine's speed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

_INTERRUPT_THE_IMPORT = textwrap.dedent(
    """
    import sys

    class InterruptTheImport:
        def find_spec(self, name, path=None, target=None):
            if name == "localexa.cli.main":
                raise KeyboardInterrupt
            return None

    sys.meta_path.insert(0, InterruptTheImport())
    sys.argv = ["localexa", "--help"]
    """
)
_SCRIPT = """
from importlib.metadata import entry_points
[script] = entry_points(group="console_scripts", name="localexa")
sys.exit(script.load()())
"""
_MODULE = """
import runpy
runpy.run_module("localexa", run_name="__main__")
"""


@pytest.mark.parametrize("how", [_SCRIPT, _MODULE], ids=["localexa script", "python -m localexa"])
def test_ctrl_c_while_the_command_line_loads_exits_130_without_a_traceback(how: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _INTERRUPT_THE_IMPORT + how], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "KeyboardInterrupt" not in result.stderr
    assert result.returncode == 130
    assert result.stdout == ""


def test_the_command_still_runs_through_the_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "localexa", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout
