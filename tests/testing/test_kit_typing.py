"""The kit's helpers are typed (since 2026-12-06): `fault()`'s options are its own keyword
parameters and the client factories take `Client`'s keywords, so a typo fails mypy --strict and,
for `fault()`, fails at run time naming `fault()` (not `create_fault()`)."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import localexa
from localexa.client import AsyncClient, Client
from localexa.client.types import ThreadNetwork
from localexa.testing import Localexa, LocalexaServer
from localexa.testing.clients import AsyncClientOptions, ClientOptions

SNIPPET = """
from localexa.testing import Localexa, LocalexaServer


def use(kit: Localexa, server: LocalexaServer) -> None:
    kit.fault("/v1/x", cout=1)
    kit.fault("/v1/x", 500, count=1, delay_ms=5, region="EU")
    server.client(tiemout=3)
    server.client(timeout=3, max_retries=0)
    server.async_client(max_retry=1)
    kit.async_client(verfy=False)
"""


def test_fault_has_the_options_of_create_fault_as_its_own_parameters() -> None:
    parameters = inspect.signature(Localexa.fault).parameters
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    flow = localexa.client.resources.observe_flows.create_fault
    assert set(inspect.signature(flow).parameters) <= set(parameters)


def test_a_misspelt_fault_option_names_fault() -> None:
    kit = Localexa.__new__(Localexa)  # no server needed: the call fails before any request
    with pytest.raises(TypeError, match=r"fault\(\) got an unexpected keyword argument 'cout'"):
        kit.fault("/v1/x", cout=1)  # type: ignore[call-arg]


def test_the_client_options_are_the_clients_keywords_but_the_servers_own() -> None:
    sync = set(inspect.signature(Client).parameters) - {"base_url", "endpoints", "ca_file"}
    asynchronous = set(inspect.signature(AsyncClient).parameters) - {"base_url", "endpoints", "ca_file"}
    assert set(ClientOptions.__annotations__) | set(ClientOptions.__optional_keys__) == sync
    assert set(AsyncClientOptions.__optional_keys__) == asynchronous
    assert "Unpack[ClientOptions]" in str(inspect.signature(LocalexaServer.client))


def test_a_thread_networks_name_and_key_are_required_strings() -> None:
    fields = ThreadNetwork.model_fields
    assert fields["network_name"].is_required()
    assert fields["network_key"].is_required()
    assert ThreadNetwork.__annotations__["network_name"] == "str"


@pytest.mark.slow
def test_mypy_strict_catches_misspelt_options(tmp_path: Path) -> None:
    (tmp_path / "snippet.py").write_text(SNIPPET)
    env = {**os.environ, "MYPYPATH": str(Path(localexa.__file__).parents[1])}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--follow-imports=silent",
            "--python-version=3.11",
            "snippet.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # Only the snippet's own errors: localexa's modules are checked by the project's mypy run.
    lines = [
        line for line in result.stdout.splitlines() if line.startswith("snippet.py:") and ": error:" in line
    ]
    assert [line.split(":")[1] for line in lines] == ["6", "8", "10", "11"], result.stdout
    assert 'Unexpected keyword argument "cout" for "fault" of "Localexa"' in lines[0]
