"""TLS on the wire: `localexa serve --tls` runs each handshake itself (cli/wire.py's guard).

uvicorn's ssl options would leave the handshake to the listener, uncounted and with asyncio's
60 s to end; `TlsHandshake` counts the connection from its accept, holds the handshake to the
client timeout and hands the connection, with its place in the budget, to the guarded HTTP
protocol (`GuardedHttpToolsProtocol`). It goes through the loop's public `start_tls`, and a
closed TLS connection gives its file back once its close_notify is sent, not when the client's
comes. `guarded_protocol` gives uvicorn the protocol class of a server's guard, with or without TLS.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any, ClassVar, cast

import uvicorn

from localexa.cli.wire import LINGER_SECONDS, GuardedHttpToolsProtocol
from localexa.cli.wire_answers import closing_answer, peer_name
from localexa.cli.wire_budget import Tally, WireGuard
from localexa.server.core.request_id import REQUEST_ID_HEADER, current_request_id

logger = logging.getLogger("localexa.serve")
_REQUEST_ID = REQUEST_ID_HEADER.lower().encode("ascii")


def server_tls_context(ssl_certfile: str, ssl_keyfile: str) -> ssl.SSLContext:
    """The server's TLS context from uvicorn's two ssl options (`serve.prepare_tls`), made as
    uvicorn made it from them: a TLS server context with the certificate chain, no client
    certificates asked for."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ssl_certfile, ssl_keyfile)
    return context


class TlsHandshake(asyncio.Protocol):
    """A TLS connection from its accept to the end of its handshake, which it runs itself.

    Left to the listener (`create_server(ssl=…)`, uvicorn's ssl options), a handshake was nobody's
    business: the HTTP protocol saw the connection only once it was done, so a client that opened
    a TCP connection and sent no ClientHello was not counted against the budget and held its
    socket for asyncio's (and uvloop's) default `ssl_handshake_timeout`, 60 s. 300 such clients
    took every file of a process limited to 256: every HTTPS client was refused for a minute.

    Here the connection is counted from its accept, may be shed while its handshake is under way
    (as one waiting for its request's head may), and is closed when the handshake has not ended
    within the client timeout. The handshake is the loop's public `start_tls` (asyncio's and
    uvloop's, with `ssl_handshake_timeout` and `ssl_shutdown_timeout`); on success the connection,
    and its place in the budget, pass to the HTTP protocol.

    Past the cap with nothing to shed (every connection is running a request), a plain connection
    gets a 503 at once; a TLS one is reset before its handshake: a 503 would need the handshake
    first, and waiting for a ClientHello that may never come holds the very file the cap keeps.
    """

    guard: ClassVar[WireGuard]
    http_class: ClassVar[type[GuardedHttpToolsProtocol]]
    #: TLS handshakes given up (the client timeout passed), for the log.
    given_up: ClassVar[Tally] = Tally()

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.http = self.http_class(config, server_state, app_state, _loop)
        self.loop = self.http.loop
        self.server_state = server_state
        self.tcp: asyncio.Transport | None = None
        self.counted = False
        #: What came before `start_tls` took the connection over (the ClientHello, often: uvloop
        #: starts reading right after `connection_made`, before the handshake task runs).
        self.early: list[bytes] = []
        #: What the client sent right behind its handshake, before the HTTP protocol took over
        #: (asyncio's SSL protocol hands it on at once, uvloop's a moment later), and its
        #: close_notify if that came too.
        self.behind: list[bytes] = []
        self.behind_eof = False
        self.task: asyncio.Task[None] | None = None
        self.started = False  # `start_tls` has the connection
        self.replayed = False  # what came early went to the SSL protocol
        #: Done when the client's first bytes came: a ClientHello, or a plain-HTTP request.
        self.first_bytes: asyncio.Future[None] = self.loop.create_future()

    @property
    def transport(self) -> asyncio.Transport:
        assert self.tcp is not None
        return self.tcp

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.tcp = tcp = cast("asyncio.Transport", transport)
        self.counted = True
        if not self.guard.budget.admit(self):
            tcp.abort()  # over the cap, nothing to shed: see the class's docstring
            return
        self.guard.budget.waiting[self] = None
        self.server_state.connections.add(self)  # shut down with the server (`shutdown`)
        self.task = self.loop.create_task(self._handshake())

    def data_received(self, data: bytes) -> None:
        (self.behind if self.replayed else self.early).append(data)
        if not self.first_bytes.done():
            self.first_bytes.set_result(None)

    def eof_received(self) -> bool | None:
        if not self.replayed:
            return None  # gone before its handshake: close
        self.behind_eof = True  # a close_notify right behind the handshake: the HTTP protocol's
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        # Before `start_tls` took the connection over, or after a handshake that failed.
        self._release()
        if self.task is not None and not self.started:
            self.task.cancel()  # not begun: `start_tls` on a closed transport would wait for ever

    def shed(self) -> None:
        self.transport.abort()

    def shutdown(self) -> None:
        """The server stops (uvicorn calls this on each of `server_state.connections`)."""
        self.shed()

    async def _handshake(self) -> None:
        tcp = self.tcp
        assert tcp is not None
        tls: asyncio.Transport | None = None
        # The client speaks first in TLS: wait for its first bytes (a silent client is given up
        # as one whose handshake does not end), and answer a plain-HTTP request with a 400 that
        # says so, rather than a failed handshake (curl: "Empty reply from server").
        deadline = self.loop.time() + self.guard.client_timeout
        try:
            await asyncio.wait_for(asyncio.shield(self.first_bytes), self.guard.client_timeout)
        except TimeoutError:
            self._give_up()
            tcp.abort()
            return
        if self._answer_plain_http():
            return
        try:
            if tcp.is_closing():
                return
            self.started = True
            # Runs before the new SSL protocol's `connection_made` (both are `call_soon`, this first).
            self.loop.call_soon(self._replay_early)
            timeout = self.guard.client_timeout
            left = max(deadline - self.loop.time(), 0.1)
            tls = await self.loop.start_tls(
                tcp,
                self,
                cast("ssl.SSLContext", self.guard.tls),
                server_side=True,
                ssl_handshake_timeout=left,
                # A close waits this long at most for the answer to go out and the client's
                # close_notify (asyncio's default: 30 s); a refusal's for LINGER_SECONDS
                # (`_end_linger`), and `GuardedHttpToolsProtocol._let_go` frees the file at once
                # when nothing is left to send.
                ssl_shutdown_timeout=max(timeout, LINGER_SECONDS),
            )
        except ConnectionAbortedError:  # the handshake did not end within the client timeout
            self._give_up()
        except Exception as exc:  # not TLS, a bad handshake, a reset: the client's business
            logger.debug("TLS handshake with %s failed: %r", peer_name(tcp.get_extra_info("peername")), exc)
        finally:
            if tls is None or tcp.is_closing():
                # Failed, shed (the loop then reports a handshake without error), or closed by the
                # client as it ended.
                self._release()
        if tls is None or tcp.is_closing():
            return
        self._leave()
        self.counted = False  # the HTTP protocol holds the count from here
        self.http.tcp = tcp
        tls.set_protocol(self.http)
        self.http.connection_made(tls)
        for data in self.behind:
            self.http.data_received(data)
        if self.behind_eof and not self.http.eof_received():
            tls.close()

    def _give_up(self) -> None:
        count = self.given_up.due()
        if count:
            logger.warning(
                "closed %d connections whose TLS handshake did not end within %g s",
                count,
                self.guard.client_timeout,
            )

    def _answer_plain_http(self) -> bool:
        """When the first bytes are a plain-HTTP request (a letter, where a TLS record starts with
        0x16), answer 400 in the API's shape saying to use https://, then close as a refusal over
        plain HTTP does: the rest of the request is read and dropped for `LINGER_SECONDS`."""
        tcp = self.tcp
        first = b"".join(self.early)
        if tcp is None or tcp.is_closing() or not first[:1].isalpha():
            return False
        request_line = first.split(b"\r\n", 1)[0].split(b" ")
        path = request_line[1].decode("latin-1") if len(request_line) > 1 else "/"
        headers, body = self.guard.render(
            400,
            "This port speaks HTTPS and the request came as plain HTTP: use an https:// URL.",
            path,
        )
        tcp.write(closing_answer(400, [*self.server_state.default_headers, *headers], body))
        if tcp.can_write_eof():
            tcp.write_eof()
        self.loop.call_later(LINGER_SECONDS, tcp.abort)
        # With the request id the answer gave the client, as every other wire refusal's line (it
        # said `request_id=-`), and at their level (it was `info`).
        request_id = next((v.decode("latin-1") for k, v in headers if k.lower() == _REQUEST_ID), "-")
        token = current_request_id.set(request_id)
        try:
            logger.warning(
                "answered a plain-HTTP request of %s on a TLS port with 400",
                peer_name(tcp.get_extra_info("peername")),
            )
        finally:
            current_request_id.reset(token)
        return True

    def _replay_early(self) -> None:
        """Hand what arrived before `start_tls` to its SSL protocol, which reads it at its
        `connection_made` (scheduled right after this)."""
        self.replayed = True
        tcp = self.tcp
        if not self.early or tcp is None or tcp.is_closing():
            return
        protocol = cast("asyncio.BufferedProtocol", tcp.get_protocol())
        for data in self.early:
            view = memoryview(data)
            while view:
                buffer = memoryview(protocol.get_buffer(len(view)))
                size = min(len(buffer), len(view))
                buffer[:size] = view[:size]
                protocol.buffer_updated(size)
                view = view[size:]
        self.early = []

    def _leave(self) -> None:
        self.guard.budget.waiting.pop(self, None)
        self.server_state.connections.discard(self)

    def _release(self) -> None:
        self._leave()
        if self.counted:
            self.counted = False
            self.guard.budget.open -= 1


def guarded_protocol(guard: WireGuard) -> type[asyncio.Protocol]:
    """The protocol class uvicorn builds each connection with, bound to one server's guard: with
    TLS, the handshake's (`TlsHandshake`), which hands the connection to the HTTP one."""
    http = type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), {"guard": guard})
    if guard.tls is None:
        return http
    return type("TlsHandshake", (TlsHandshake,), {"guard": guard, "http_class": http})
