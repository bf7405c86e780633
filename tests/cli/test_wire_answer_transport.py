"""The transport a request's answer is written to (cli/wire_answers.py `AnswerTransport`) makes no
reference cycle: a request's cycle and its answer transport are freed when the request is done,
without the garbage collector. Strong references made every request such a cycle (the served
process grew ~2 MB over 100,000 GETs, bench/memory.py)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from typing import Any, cast

import pytest

from localexa.cli.wire_answers import AnswerTransport


class _Cycle:
    """What AnswerTransport reads of uvicorn's RequestResponseCycle."""

    def __init__(self) -> None:
        self.more_body = True
        self.transport: asyncio.Transport | None = None


class _Protocol:
    def __init__(self) -> None:
        self.cycle: _Cycle | None = None
        self.lingered = 0

    def linger(self) -> None:
        self.lingered += 1


class _Socket(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _answer(protocol: _Protocol, socket: _Socket) -> _Cycle:
    cycle = _Cycle()
    protocol.cycle = cycle
    cycle.transport = AnswerTransport(socket, cast(Any, cycle), protocol.linger)
    return cycle


def test_a_finished_request_is_freed_without_the_garbage_collector(no_collector: None) -> None:
    protocol, socket = _Protocol(), _Socket()
    cycle = _answer(protocol, socket)
    gone, answer_gone = weakref.ref(cycle), weakref.ref(cast(Any, cycle.transport))
    del cycle
    protocol.cycle = None  # the next request replaces it
    assert gone() is None
    assert answer_gone() is None
    # The protocol is freed by reference counting too when its connection ends.
    protocol_gone = weakref.ref(protocol)
    del protocol
    assert protocol_gone() is None


def test_it_still_lingers_while_the_body_comes_and_closes_after() -> None:
    protocol, socket = _Protocol(), _Socket()
    cycle = _answer(protocol, socket)
    assert cycle.transport is not None
    cycle.transport.close()  # an answer that says close while the body is still coming
    assert (protocol.lingered, socket.closed) == (1, False)
    cycle.more_body = False
    cycle.transport.close()
    assert (protocol.lingered, socket.closed) == (1, True)
