"""A cap on request body size, enforced while the body streams in.

`Content-Length` over the cap is refused before reading; a chunked body is counted as it arrives.
The refusal is raised as `PayloadTooLarge` so each API renders it in its own shape.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from localexa.server.core.errors import PayloadTooLarge, render_error


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    scope.setdefault("state", {})["body_too_large"] = True
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(f"The request body is larger than {self.max_bytes} bytes.")
            return message

        if scope.get("state", {}).get("body_too_large"):
            # Refused before routing, so render here in the family of the path.
            families = scope["app"].state.families
            error = PayloadTooLarge(f"The request body is larger than {self.max_bytes} bytes.")
            request_id = scope.get("state", {}).get("request_id", "-")
            response = render_error(error, families.family_for(scope["path"]), request_id)
            await response(scope, receive, send)
            return
        await self.app(scope, limited_receive, send)
