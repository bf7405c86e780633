"""Raw HTTP/1.1 over a socket: send exactly these bytes (with pauses), read what comes back."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        assert self.headers.get("content-type", "").startswith("application/json"), self
        return json.loads(self.body)

    @property
    def closes(self) -> bool:
        return self.headers.get("connection", "").lower() == "close"


@dataclass
class Exchange:
    answers: list[Answer]
    #: The server ended the connection (end of stream or reset) before the read timeout.
    closed: bool
    #: Seconds from the last byte sent to the end of the connection (or the read timeout).
    waited: float
    raw: bytes = field(repr=False)

    @property
    def answer(self) -> Answer:
        assert len(self.answers) == 1, self
        return self.answers[0]


def parse_answers(data: bytes) -> list[Answer]:
    """The complete answers in `data`, in order (bodies framed by Content-Length)."""
    answers: list[Answer] = []
    while b"\r\n\r\n" in data:
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if len(rest) < length:
            break
        answers.append(Answer(status, headers, rest[:length]))
        data = rest[length:]
    return answers


def exchange(port: int, *parts: bytes | float, timeout: float = 5.0) -> Exchange:
    """Send `parts` (a float is a pause in seconds), then read until the server ends the
    connection or `timeout` seconds pass without it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        for part in parts:
            if isinstance(part, float):
                time.sleep(part)
                continue
            try:
                sock.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break  # refused part-way: what it answered is read below
        sent = time.monotonic()
        data, closed = read_until_closed(sock, timeout)
        return Exchange(parse_answers(data), closed, time.monotonic() - sent, data)
    finally:
        sock.close()


def read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, bool]:
    data = b""
    deadline = time.monotonic() + timeout
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk


def request(method: str, target: str, *headers: str, body: bytes = b"", host: str | None = "x") -> bytes:
    """One request's bytes: the request line, `Host` (unless None), `headers` as given, the body."""
    lines = [f"{method} {target} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines.extend(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
