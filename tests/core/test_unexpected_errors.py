"""A bug's 500 is answered inside the request: in the API's shape, with its request id in the log
line and the journal, and without raising further (which closed the client's connection)."""

from __future__ import annotations

import logging

import httpx
import pytest
from fastapi import FastAPI

from localexa.server.core.request_id import RequestIdLogFilter
from tests.observe.helpers import journal

PATH = "/_localexa/test-only-bug"


class _Bug(Exception):
    pass


async def _buggy() -> None:
    raise _Bug("a bug in a handler")


@pytest.fixture
def buggy_route(app: FastAPI) -> None:
    app.add_api_route(PATH, _buggy, methods=["GET"])


@pytest.mark.usefixtures("buggy_route")
async def test_a_bug_is_a_500_with_its_request_id_everywhere(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdLogFilter())
    with caplog.at_level(logging.ERROR, logger="localexa"):
        # The in-process transport raises whatever the app raises: an answer here means the
        # exception stopped inside the app.
        response = await client.get(PATH)

    assert response.status_code == 500
    assert response.json() == {"message": "An internal error occurred. Retry the request."}
    request_id = response.headers["X-Amzn-RequestId"]
    [record] = [r for r in caplog.records if r.getMessage().startswith("unhandled error")]
    assert getattr(record, "request_id", None) == request_id
    assert record.exc_info is not None
    assert record.exc_info[0] is _Bug
    [entry] = await journal(client, path=PATH)
    assert entry["status"] == 500
    assert entry["requestId"] == request_id
