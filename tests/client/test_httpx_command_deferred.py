"""httpx's command-line client (Rich, Pygments) loads on first use, not with localexa
(src/localexa/_httpx_cli.py). Each case runs in a new interpreter: this one imported httpx long ago."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", code]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    ("entry", "click"),
    [
        ("localexa.client", False),
        ("localexa.skill", False),
        # uvicorn imports click for its own command line; Rich and Pygments came only from httpx.
        ("localexa.samples.mylights.app", True),
    ],
)
def test_importing_localexa_loads_no_command_line_client(entry: str, click: bool) -> None:
    done = run_python(
        f"import sys, json, {entry}, httpx\n"
        "print(json.dumps({name: name in sys.modules for name in ('rich', 'pygments', 'click')}))"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"rich": False, "pygments": False, "click": click}


def test_httpx_main_still_runs_the_real_command() -> None:
    done = run_python("import localexa, httpx\nhttpx.main(['--help'])")
    assert done.returncode == 0, done.stderr
    assert "Usage: httpx <URL> [OPTIONS]" in done.stdout
    assert "--method" in done.stdout


def test_other_names_of_the_command_module_load_it() -> None:
    done = run_python(
        "import sys, localexa, httpx\n"
        "shown = repr(sys.modules['httpx._main'])\n"
        "print(shown.startswith(\"<module 'httpx._main'\"), 'rich' in sys.modules)\n"
        "from httpx._main import print_response\n"
        "module = sys.modules['httpx._main']\n"
        "print(callable(print_response), module.__file__.endswith('_main.py'), 'rich' in sys.modules)"
    )
    assert done.returncode == 0, done.stderr
    # repr() of the stand-in answers for itself; the first real name loads the real module.
    assert done.stdout.splitlines() == ["True False", "True True True"]


def test_nothing_of_httpx_is_loaded_before_httpx_is() -> None:
    done = run_python(
        "import sys, localexa\nprint(sorted(name for name in sys.modules if name.startswith('httpx')))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_httpx_imported_first_is_left_alone() -> None:
    done = run_python(
        "import sys, httpx, localexa\n"
        "print(sys.modules['httpx._main'].__file__.endswith('_main.py'), 'rich' in sys.modules)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]


def test_httpx_main_is_the_click_command_to_whoever_reads_it() -> None:
    # CliRunner reads the command's `name` first: a plain function failed with AttributeError.
    done = run_python(
        "import sys, localexa, httpx\n"
        "from click.testing import CliRunner\n"
        "print('rich' in sys.modules)\n"
        "result = CliRunner().invoke(httpx.main, ['--help'])\n"
        "print(result.exit_code, 'Usage: httpx' in result.output, type(httpx.main).__name__)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["False", "0 True Command"]


def test_threads_loading_the_command_at_once_all_get_it() -> None:
    done = run_python(
        "import threading, localexa, httpx\n"
        "failed = []\n"
        "def load():\n"
        "    try:\n"
        "        from httpx._main import print_response  # noqa: F401\n"
        "    except Exception as error:\n"
        "        failed.append(repr(error))\n"
        "threads = [threading.Thread(target=load) for _ in range(32)]\n"
        "for thread in threads: thread.start()\n"
        "for thread in threads: thread.join()\n"
        "print(failed)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_without_the_commands_packages_httpx_keeps_its_own_fallback() -> None:
    # Without Pygments (a skill kit in a Lambda, say) httpx cannot import its command and says so
    # itself; the stand-in would have turned that into a ModuleNotFoundError at `httpx.main()`.
    done = run_python(
        "import sys\n"
        "sys.modules['pygments'] = None\n"
        "import localexa, httpx\n"
        "print(any(type(finder).__name__ == '_StandInFinder' for finder in sys.meta_path))\n"
        "httpx.main()"
    )
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == "False"
    assert "pip install 'httpx[cli]'" in done.stdout
