"""The test server imports what the tests import: its PYTHONPATH carries the test process's
`sys.path` additions (pytest's `pythonpath = ["src"]`), so a `python:` skill endpoint of a
src-layout project runs (until 2026-12-06 its discovery failed with ModuleNotFoundError)."""

from __future__ import annotations

import os
import site
import sys
import sysconfig
from pathlib import Path

import pytest

from localexa.testing import Localexa, LocalexaServer, LocalexaServerError

EXTRA_VARIABLE = "LOCALEXA_EXTRA_PYTHONPATH"

HANDLER = """
def handler(event, context):
    header = event["directive"]["header"]
    if header["namespace"] == "Alexa.Discovery":
        return {"event": {"header": {**header, "name": "Discover.Response"},
                          "payload": {"endpoints": []}}}
    return {"event": {"header": header, "payload": {}}}
"""


def _src_layout(tmp_path: Path) -> Path:
    package = tmp_path / "src" / "acme_lambda_kit"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "handler.py").write_text(HANDLER)
    return tmp_path / "src"


def test_the_child_gets_the_test_processes_import_path_and_not_the_interpreters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _src_layout(tmp_path)
    monkeypatch.syspath_prepend(str(src))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    server = LocalexaServer(data_dir=tmp_path / "data")
    entries = _extra(server._child_env())
    assert entries[0] == str(src)
    stdlib, purelib = sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]
    assert stdlib not in entries  # the child has those by itself
    assert purelib not in entries


def test_env_pythonpath_keeps_its_place_and_the_inherited_one_is_not_repeated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, extra, inherited = _src_layout(tmp_path), tmp_path / "extra", tmp_path / "inherited"
    extra.mkdir()
    inherited.mkdir()
    monkeypatch.syspath_prepend(str(src))
    monkeypatch.setenv("PYTHONPATH", str(inherited))
    monkeypatch.setattr(sys, "path", [*sys.path, str(inherited)])
    alone = LocalexaServer(data_dir=tmp_path / "a")._child_env()
    # The inherited PYTHONPATH reaches the child as it is; its entries are not passed twice.
    assert (alone["PYTHONPATH"], _extra(alone)[0]) == (str(inherited), str(src))
    assert str(inherited) not in _extra(alone)
    given = LocalexaServer(data_dir=tmp_path / "b", env={"PYTHONPATH": str(extra)})._child_env()
    # env= replaces the inherited PYTHONPATH (in front, as PYTHONPATH is), as every env= value
    # does; the test process's entries, the inherited one among them, come after the child's own.
    assert (given["PYTHONPATH"], _extra(given)[0]) == (str(extra), str(src))
    assert _extra(given)[-1] == str(inherited)


@pytest.mark.slow
def test_a_python_endpoint_of_a_src_layout_project_is_discovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(_src_layout(tmp_path)))
    with LocalexaServer() as server, Localexa(server) as kit:
        skill = kit.create_skill(account_linking=True, endpoint="python:acme_lambda_kit.handler:handler")
        customer = kit.create_customer()
        kit.link(customer, skill)
        ends = kit.client.admin.directives.endpoints(customer.user_id, skill.skill_id, wait_seconds=20)
        assert ends.discovery is not None
        assert ends.discovery.status == "SUCCEEDED", ends.discovery.message


def _extra(env: dict[str, str]) -> list[str]:
    return [e for e in env.get(EXTRA_VARIABLE, "").split(os.pathsep) if e]


def _interpreter_dirs() -> set[str]:
    dirs = {path for name, path in sysconfig.get_paths().items() if name != "data"}
    dirs |= {*site.getsitepackages(), site.getusersitepackages(), sys.prefix, sys.base_prefix}
    return {os.path.realpath(d) for d in dirs}


def test_a_project_module_named_like_the_stdlibs_does_not_shadow_it_in_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tests/token.py (a test helper) came before the standard library in the child's
    PYTHONPATH: `localexa serve` imported it and did not start (2026-12-06)."""
    tests_dir = tmp_path / "tests"
    tests_dir.mkdir()
    (tests_dir / "token.py").write_text("def make():\n    return 'Atza|x'\n")
    src = _src_layout(tmp_path)
    monkeypatch.syspath_prepend(str(src))
    monkeypatch.syspath_prepend(str(tests_dir))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    env = LocalexaServer(data_dir=tmp_path / "data")._child_env()
    assert "PYTHONPATH" not in env  # nothing goes in front of the child's standard library
    assert _extra(env)[:2] == [str(tests_dir), str(src)]


def test_another_interpreter_gets_none_of_the_test_interpreters_own_directories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python=` of another venv or version got this interpreter's stdlib, lib-dynload and
    site-packages in its PYTHONPATH: "SRE module mismatch", or our copy of a dependency."""
    src = _src_layout(tmp_path)
    monkeypatch.syspath_prepend(str(src))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    other = "/root/.pyenv/versions/3.12.1/bin/python3.12"
    env = LocalexaServer(data_dir=tmp_path / "data", python=other)._child_env()
    passed = [*env.get("PYTHONPATH", "").split(os.pathsep), *_extra(env)]
    ours = _interpreter_dirs()
    leaked = [
        entry for entry in passed if entry and any(os.path.realpath(entry).startswith(mine) for mine in ours)
    ]
    assert leaked == []
    assert _extra(env)[0] == str(src)


@pytest.mark.slow
def test_a_src_layout_endpoint_works_beside_a_tests_token_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tests_dir = tmp_path / "tests"
    tests_dir.mkdir()
    (tests_dir / "token.py").write_text("def make():\n    return 'Atza|x'\n")
    (tests_dir / "types.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(_src_layout(tmp_path)))
    monkeypatch.syspath_prepend(str(tests_dir))
    # The inherited PYTHONPATH stays: it is how a checkout's localexa is the one that runs.
    with LocalexaServer() as server, Localexa(server) as kit:
        skill = kit.create_skill(account_linking=True, endpoint="python:acme_lambda_kit.handler:handler")
        customer = kit.create_customer()
        kit.link(customer, skill)
        ends = kit.client.admin.directives.endpoints(customer.user_id, skill.skill_id, wait_seconds=20)
        assert ends.discovery is not None
        assert ends.discovery.status == "SUCCEEDED", ends.discovery.message


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/root/.pyenv/versions/3.12.1/bin/python3.12"), reason="no 3.12")
def test_another_python_without_localexa_fails_clearly(tmp_path: Path) -> None:
    other = "/root/.pyenv/versions/3.12.1/bin/python3.12"
    with pytest.raises(LocalexaServerError) as info:
        LocalexaServer(python=other, env={"PYTHONPATH": ""}, startup_timeout=30).start()
    assert "No module named localexa" in str(info.value)
    assert f"localexa is not installed for {other}" in str(info.value)
    assert "SRE" not in str(info.value)


def test_a_python_that_cannot_run_is_the_kits_error(tmp_path: Path) -> None:
    """`python=` naming no program raised a bare FileNotFoundError (cliq QA of 2026-12-07): now the
    kit's error saying which, and the start leaves nothing behind (its data dir is removed)."""
    missing = str(tmp_path / "no-such-python")
    server = LocalexaServer(python=missing)
    with pytest.raises(LocalexaServerError) as info:
        server.start()
    assert str(info.value) == f"cannot run python={missing!r}: No such file or directory"
    assert not server.data_dir.exists()
    assert server.pid is None
