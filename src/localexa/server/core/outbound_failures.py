"""Why an outbound call failed, in words a developer can act on (core/http.py)."""

from __future__ import annotations


def failure_reason(exc: BaseException) -> str:
    """What went wrong, in words: a remote that took the request and hung up without an answer was
    said to be one that "could not be reached" (httpx calls both a RemoteProtocolError)."""
    import httpx  # loaded already: the caller caught one of its errors (core/http.py loads it lazily)

    if isinstance(exc, httpx.RemoteProtocolError):
        text = str(exc)
        if "without sending a response" in text:
            return "closed the connection without answering"
        if "without sending complete message body" in text:
            return "closed the connection before its answer was complete"
        return "did not answer in valid HTTP"
    if isinstance(exc, httpx.ReadError):
        return "broke the connection off before answering"
    return "could not be reached"
