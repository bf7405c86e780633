"""Which request lines the wire guard answers 501 (a method nobody here knows, RFC 9110 §9.1) and
which 400 (not a request line at all), in cli/wire_request_line.py; tests/wire/test_request_line.py
sends them to a served process."""

from __future__ import annotations

import pytest

from localexa.cli.wire_request_line import refused_request_line, served_version, version_refusal


@pytest.mark.parametrize(
    ("data", "refused"),
    [
        pytest.param(b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", (b"FOO", b"/"), id="unknown"),
        pytest.param(b"get /auth/o2/token HTTP/1.1\r\n", (b"get", b"/auth/o2/token"), id="lowercase"),
        pytest.param(b"\r\nFOO /x?a=1 HTTP/1.1\r\n", (b"FOO", b"/x?a=1"), id="after-stray-line-ends"),
        pytest.param(b"FOO /auth/o2 HT", (b"FOO", b"/auth/o2"), id="line-still-coming"),
        pytest.param(b"FOO /auth/o", (b"FOO", b"/auth/o"), id="target-still-coming"),
        pytest.param(b"FOO", (b"FOO", b""), id="no-target-yet"),
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\nFOO /a HTTP/1.1\r\n", (b"FOO", b"/a"), id="pipelined"
        ),
        pytest.param(b"hello world\r\n\r\n", None, id="words"),
        pytest.param(b"<GET> / HTTP/1.1\r\n", None, id="not-a-token"),
        pytest.param(b"FOO / SPDY/3\r\n", None, id="not-http"),
        pytest.param(b"\x16\x03\x01\x00\xa5\x01", None, id="tls"),
    ],
)
def test_a_refused_method_in_a_request_line_with_its_target_or_none(
    data: bytes, refused: tuple[bytes, bytes] | None
) -> None:
    """The target picks the 501's error shape (the parser stops before reading it)."""
    assert refused_request_line(data) == refused


@pytest.mark.parametrize(
    ("version", "status", "served"),
    [("1.0", None, "1.0"), ("1.1", None, "1.1"), ("1.2", None, "1.1"), ("2.0", 505, ""), ("0.9", 505, "")],
)
def test_versions_other_than_1_x_are_refused_and_1_x_served_as_at_most_1_1(
    version: str, status: int | None, served: str
) -> None:
    refusal = version_refusal(version)
    assert (refusal[0] if refusal else None) == status
    if refusal is None:
        assert served_version(version) == served
