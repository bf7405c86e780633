"""The test server imports what the tests import: its PYTHONPATH carries the test process's
`sys.path` additions (pytest's `pythonpath = ["src"]`), so a `python:` skill endpoint of a
src-layout project runs (until 2026-12-06 its discovery failed with ModuleNotFoundError)."""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

import pytest

from localexa.testing import Localexa, LocalexaServer

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
    entries = server._child_env()["PYTHONPATH"].split(os.pathsep)
    assert entries[0] == str(src)
    stdlib, purelib = sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]
    assert stdlib not in entries  # the child has those by itself
    assert purelib not in entries


def test_env_pythonpath_comes_first_and_the_inherited_one_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, extra, inherited = _src_layout(tmp_path), tmp_path / "extra", tmp_path / "inherited"
    extra.mkdir()
    inherited.mkdir()
    monkeypatch.syspath_prepend(str(src))
    monkeypatch.setenv("PYTHONPATH", str(inherited))
    monkeypatch.setattr(sys, "path", [*sys.path, str(inherited)])
    alone = LocalexaServer(data_dir=tmp_path / "a")._child_env()["PYTHONPATH"].split(os.pathsep)
    assert (alone[0], alone[-1], alone.count(str(inherited))) == (str(src), str(inherited), 1)
    given = LocalexaServer(data_dir=tmp_path / "b", env={"PYTHONPATH": str(extra)})
    # env= replaces the inherited PYTHONPATH, as every env= value does; sys.path's entries stay.
    entries = given._child_env()["PYTHONPATH"].split(os.pathsep)
    assert entries[:2] == [str(extra), str(src)]
    assert (entries[-1], entries.count(str(inherited))) == (str(inherited), 1)


@pytest.mark.slow
def test_a_python_endpoint_of_a_src_layout_project_is_discovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(_src_layout(tmp_path)))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    with LocalexaServer() as server, Localexa(server) as kit:
        skill = kit.create_skill(account_linking=True, endpoint="python:acme_lambda_kit.handler:handler")
        customer = kit.create_customer()
        kit.link(customer, skill)
        ends = kit.client.admin.directives.endpoints(customer.user_id, skill.skill_id, wait_seconds=20)
        assert ends.discovery is not None
        assert ends.discovery.status == "SUCCEEDED", ends.discovery.message
