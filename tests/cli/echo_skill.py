"""A skill endpoint on 127.0.0.1 (stdlib HTTP server in a thread) for the CLI's directive tests:
it discovers one lamp and answers every other directive with Alexa.Response (skill kit builders)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from localexa.skill import capability, discovery_endpoint
from localexa.skill.responses import accept_grant_response, discover_response, response

LAMP = discovery_endpoint(
    "lamp",
    "Lamp",
    [capability("Alexa.PowerController", ["powerState"])],
    description="A lamp",
    manufacturer_name="Acme",
    display_categories=["LIGHT"],
)


class EchoSkill:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/skill"

    def answer(self, directive: dict[str, Any]) -> dict[str, Any]:
        self.received.append(directive)
        namespace = directive["directive"]["header"]["namespace"]
        if namespace == "Alexa.Discovery":
            return discover_response(directive, [LAMP])
        if namespace == "Alexa.Authorization":
            return accept_grant_response(directive)
        return response(directive)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        skill = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                data = json.dumps(skill.answer(json.loads(body))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def __enter__(self) -> EchoSkill:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
