"""Why an outbound call failed, in words a developer can act on (core/http.py)."""

from __future__ import annotations


def failure_reason(exc: BaseException, *, answering: int | None = None) -> str:
    """What went wrong, in words: a remote that took the request and hung up without an answer was
    said to be one that "could not be reached" (httpx calls both a RemoteProtocolError).

    `answering` is the status of the answer whose head had arrived when the call failed: a reset
    then broke off an answer under way (since 2026-12-06 it was said to come "before answering")."""
    import httpx  # loaded already: the caller caught one of its errors (core/http.py loads it lazily)

    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc)
        if "without sending a response" in text:
            return "closed the connection without answering"
        if "without sending complete message body" in text:
            return "closed the connection before its answer was complete"
        return "did not answer in valid HTTP"
    if isinstance(exc, httpx.ReadError):
        if answering is not None:
            return f"broke the connection off after answering {answering}, before its answer was complete"
        return "broke the connection off before answering"
    return "could not be reached"
