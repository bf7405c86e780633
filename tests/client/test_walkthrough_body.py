"""README walk-through, "Retries": a value httpx cannot send "raises `ConfigurationError` naming
the fault, never the value, before anything is sent". A JSON body holding NaN or Infinity (a float
argument, an event or directive payload) raised json's bare ValueError instead, which an
`except LocalexaClientError` does not catch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from localexa.client import ConfigurationError, LocalexaClientError
from tests.client.conftest import Either, FakeAmazon

CALLS: list[Any] = [
    pytest.param(lambda c: c.admin.clock.advance(math.nan), id="clock-advance-nan"),
    pytest.param(
        lambda c: c.admin.faults.create(path="/x", probability=math.inf), id="fault-probability-inf"
    ),
    pytest.param(lambda c: c.events.send({"event": {"v": -math.inf}}, token="Atza|t"), id="event-inf"),
]


@pytest.mark.parametrize("call", CALLS)
async def test_a_body_json_cannot_carry_is_a_configuration_error(
    call: Callable[[Any], Any], either: Either, amazon: FakeAmazon
) -> None:
    with pytest.raises(ConfigurationError, match="NaN or Infinity") as caught:
        await either.run(call, admin_key="k")
    assert isinstance(caught.value, LocalexaClientError)
    assert caught.value.__context__ is None
    assert amazon.requests == []
