"""An argument a request body refuses is named as the caller wrote it: `evaluations.create(…,
test_plan_id=None)` said "id: Input should be a valid string", the wire field of the plan's
reference, a name the caller never wrote (cliq QA of 2026-12-07). Nothing is sent: the client
points at a port where nothing listens, and the error comes before any connection."""

from __future__ import annotations

import socket

import pytest

from localexa.client import AsyncClient, Client, ConfigurationError

SKILL = "amzn1.ask.skill.1"


def _closed_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize("plan", [None, 5, ["p"]])
def test_a_refused_test_plan_id_is_named_as_the_parameter(plan: object) -> None:
    with (
        Client(base_url=_closed_url(), auth="Atza|x", max_retries=0) as client,
        pytest.raises(ConfigurationError) as caught,
    ):
        client.evaluations.create(SKILL, test_plan_id=plan, endpoint_id="e")  # type: ignore[arg-type]
    assert str(caught.value) == "test_plan_id: Input should be a valid string"


async def test_the_async_client_names_it_too() -> None:
    async with AsyncClient(base_url=_closed_url(), auth="Atza|x", max_retries=0) as client:
        with pytest.raises(ConfigurationError) as caught:
            await client.evaluations.create(SKILL, test_plan_id=None, endpoint_id="e")  # type: ignore[arg-type]
    assert str(caught.value) == "test_plan_id: Input should be a valid string"


def test_the_other_arguments_keep_their_names() -> None:
    with Client(base_url=_closed_url(), auth="Atza|x", max_retries=0) as client:
        with pytest.raises(ConfigurationError) as caught:
            client.evaluations.create(SKILL, test_plan_id="p", endpoint_id=None)  # type: ignore[arg-type]
        assert str(caught.value) == "endpoint_id: Input should be a valid string"
        with pytest.raises(ConfigurationError) as caught:
            client.evaluations.create(SKILL, test_plan_id="p", endpoint_id="e", stage="cert")  # type: ignore[arg-type]
        assert str(caught.value) == "stage: Input should be 'development' or 'live'"
