"""The Python client's reading of error responses (client/_errors.py, client/_core.py): any body,
content type, status and Retry-After becomes the client's own exception, never another one."""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from localexa.client import APIResponseValidationError, APIStatusError
from localexa.client._core import json_body, parse_model
from localexa.client._errors import parse_error_body, parse_retry_after, status_error_from_response
from tests.property import budget

CI = budget(300)
REQUEST = httpx.Request("GET", "https://api.example.test/v1/things")

json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
#: Bodies shaped like the families' errors, with any values in their fields.
shaped = st.fixed_dictionaries(
    {},
    optional={
        k: json_like
        for k in ("code", "message", "type", "error", "error_description", "violations", "header", "payload")
    },
)
bodies = (
    st.binary(max_size=200)
    | json_like.map(lambda v: json.dumps(v).encode())
    | shaped.map(lambda v: json.dumps(v).encode())
    | st.integers(1, 5000).map(lambda n: b"[" * n)
)
content_types = (
    st.none()
    | st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-16",
            "text/plain; charset=no-such-charset",
            "text/html; charset=latin-1",
            "application/problem+json",
            "",
        ]
    )
    | st.text(max_size=40).filter(lambda s: s.isascii() and s.isprintable())
)
retry_afters = (
    st.none()
    | st.sampled_from(
        [
            "inf",
            "-inf",
            "nan",
            "1e400",
            "-5",
            "10",
            "Mon, 01 Jan 99999999999 00:00:00 GMT",
            "Wed, 21 Oct 2015 07:28:00 GMT",
        ]
    )
    | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
)


def response(status: int, body: bytes, content_type: str | None, retry_after: str | None) -> httpx.Response:
    headers = {}
    if content_type is not None:
        headers["content-type"] = content_type
    if retry_after is not None:
        headers["retry-after"] = retry_after
    return httpx.Response(status, content=body, headers=headers, request=REQUEST)


@CI
@given(st.integers(400, 599), bodies, content_types, retry_afters)
def test_any_error_response_is_an_api_status_error(
    status: int, body: bytes, content_type: str | None, retry_after: str | None
) -> None:
    error = status_error_from_response(response(status, body, content_type, retry_after))
    assert isinstance(error, APIStatusError)
    assert error.status_code == status
    assert isinstance(error.message, str)
    assert error.message
    assert error.retry_after is None or (math.isfinite(error.retry_after) and error.retry_after >= 0)
    assert str(error)


@CI
@given(json_like | shaped)
def test_parse_error_body_reads_any_value(body: Any) -> None:
    code, message, violations = parse_error_body(body)
    assert code is None or isinstance(code, str)
    assert message is None or isinstance(message, str)
    assert all(isinstance(v.message, str) for v in violations)


@CI
@given(retry_afters, st.floats(0, 2e9))
def test_retry_after_is_a_finite_wait_or_none(value: str | None, now: float) -> None:
    seconds = parse_retry_after(value, now=now)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)


class Thing(BaseModel):
    id: str
    count: int = 0


@CI
@given(st.integers(200, 299), bodies, content_types)
def test_a_2xx_body_that_does_not_fit_is_a_validation_error(
    status: int, body: bytes, content_type: str | None
) -> None:
    answer = response(status, body, content_type, None)
    for read in (json_body, lambda r: parse_model(r, Thing)):
        with contextlib.suppress(APIResponseValidationError):
            read(answer)


def test_deep_json_error_body_is_an_api_status_error() -> None:
    with pytest.raises(APIStatusError):
        raise status_error_from_response(response(500, b"[" * 100_000, "application/json", None))
