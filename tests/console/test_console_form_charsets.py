"""Console forms sent as multipart/form-data: a text part that is not in the body's charset is
refused (400) like a urlencoded value that is not UTF-8, never stored as latin-1 (found by
tests/property/test_console_pages.py)."""

from __future__ import annotations

import httpx

from localexa.server.console.render import UNREADABLE_FORM
from tests.console.test_console import _csrf, sign_in
from tests.observe.helpers import ADMIN


def _multipart(fields: list[tuple[str, bytes]]) -> bytes:
    parts = [
        f'--lxb\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        for name, value in fields
    ]
    return b"".join(parts) + b"--lxb--\r\n"


async def _post_fault(client: httpx.AsyncClient, path: bytes, charset: str = "") -> httpx.Response:
    await sign_in(client)
    csrf = _csrf((await client.get("/console/faults")).text)
    body = _multipart([("csrf_token", csrf.encode()), ("path", path), ("status", b"503")])
    content_type = "multipart/form-data; boundary=lxb" + (f"; charset={charset}" if charset else "")
    return await client.post("/console/faults", content=body, headers={"Content-Type": content_type})


async def _fault_paths(client: httpx.AsyncClient) -> list[str]:
    listing = await client.get("/_localexa/faults", headers=ADMIN)
    assert listing.status_code == 200
    return [fault["path"] for fault in listing.json()]


async def test_a_multipart_part_that_is_not_utf8_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
) -> None:
    answer = await _post_fault(client, b"/caf\xe9")  # latin-1 bytes in a UTF-8 body
    assert answer.status_code == 400
    assert UNREADABLE_FORM.replace("'", "&#39;") in answer.text
    assert await _fault_paths(client) == []  # before the fix: a fault on "/café"


async def test_a_multipart_utf8_part_is_stored_as_typed(client: httpx.AsyncClient) -> None:
    answer = await _post_fault(client, "/café".encode())
    assert answer.status_code == 303
    assert await _fault_paths(client) == ["/café"]


async def test_a_multipart_body_in_its_declared_charset_is_read_in_it(client: httpx.AsyncClient) -> None:
    answer = await _post_fault(client, b"/caf\xe9", charset="iso-8859-1")
    assert answer.status_code == 303
    assert await _fault_paths(client) == ["/café"]
