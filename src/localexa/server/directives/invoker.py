"""Deliver one smart home message to a skill endpoint and bring back its answer.

A skill endpoint (admin-api.md) is either
- an `http(s)://` URL: the message is POSTed as JSON through `core.http.OutboundHttp` (so the
  journal sees it) with `settings.directive_timeout` (Amazon gives a skill 8 s), or
- `python:package.module:function`: a Lambda-style `handler(event, context)`, run in a warm
  worker process of `lambda_pool.LambdaPool`, killed (with its whole process group) when it
  overruns the same budget. A handler that blocks, leaks or crashes its interpreter costs one
  process, never the server. The call is reported to the same outbound observers, as method
  `INVOKE` and the endpoint as URL, so the journal shows Lambda calls beside HTTP ones.

Either way an answer over `MAX_ANSWER_BYTES` (Lambda's 6 MB) is refused as ANSWER_TOO_LARGE; an
HTTP answer is read as a stream and dropped at the cap, so a huge one never sits in memory whole.

Failures are values (`InvocationError`), not exceptions: a skill that times out or answers
garbage is a result the caller records and shows. A failure's text and what the journal sees
have the directive's own secrets replaced (scrub.py): skills echo tokens in error texts; the
text has its unprintable characters escaped too (`printable`).
"""

from __future__ import annotations

import enum
import json
import time
from dataclasses import dataclass
from typing import Any

from localexa.server.core import strict_json
from localexa.server.core.http import OutboundCall, OutboundError, OutboundHttp, shown
from localexa.server.core.strict_json import NonFiniteNumber
from localexa.server.directives.lambda_pool import MAX_ANSWER_BYTES, LambdaAnswer, LambdaFailure, LambdaPool
from localexa.server.directives.scrub import Secrets, redact_message, scrub_bytes, scrub_text, sent_secrets

PYTHON_PREFIX = "python:"
#: How deep a skill's answer may nest. Alexa's own messages nest about a dozen levels; what
#: localexa does with an answer (redaction, the message checks, storing) walks it recursively, so
#: an answer a few hundred levels deep would end the request in a RecursionError (a 500).
MAX_ANSWER_DEPTH = 100
#: The journal's INVOKE entries carry the handler's log in this answer header field.
HANDLER_LOG_HEADER = "x-localexa-handler-log"
HANDLER_LOG_CHARS = 4096


class InvocationErrorKind(enum.StrEnum):
    TIMEOUT = "TIMEOUT"
    UNREACHABLE = "UNREACHABLE"
    HTTP_STATUS = "HTTP_STATUS"
    INVALID_JSON = "INVALID_JSON"
    HANDLER_ERROR = "HANDLER_ERROR"
    PROCESS_CRASHED = "PROCESS_CRASHED"
    ANSWER_TOO_LARGE = "ANSWER_TOO_LARGE"


@dataclass(frozen=True)
class InvocationError:
    kind: InvocationErrorKind
    message: str

    def wire(self) -> dict[str, str]:
        return {"type": self.kind.value, "message": self.message}


@dataclass(frozen=True)
class Invocation:
    """The skill's answer (a JSON object) or why there is none."""

    answer: dict[str, Any] | None
    error: InvocationError | None
    latency_ms: float
    logs: str = ""


class SkillInvoker:
    def __init__(self, outbound: OutboundHttp, lambdas: LambdaPool, *, timeout: float) -> None:
        self.outbound = outbound
        self.lambdas = lambdas
        self.timeout = timeout

    async def invoke(self, endpoint: str, message: dict[str, Any]) -> Invocation:
        secrets = sent_secrets([message])
        if endpoint.startswith(PYTHON_PREFIX):
            invocation = await self._invoke_python(endpoint, message, secrets)
        else:
            invocation = await self._invoke_http(endpoint, message, secrets)
        if invocation.error is None:
            return invocation
        reason = printable(scrub_text(invocation.error.message, secrets))
        error = InvocationError(invocation.error.kind, reason)
        return Invocation(None, error, invocation.latency_ms, scrub_text(invocation.logs, secrets))

    async def _invoke_http(self, url: str, message: dict[str, Any], secrets: Secrets) -> Invocation:
        started = time.perf_counter()
        try:
            response = await self.outbound.request(
                "POST",
                url,
                timeout=self.timeout,
                headers={"Content-Type": "application/json"},
                json_body=message,
                max_body_bytes=MAX_ANSWER_BYTES,
                journaled=lambda body: scrub_bytes(body, secrets),
            )
        except OutboundError as exc:
            kind = InvocationErrorKind.TIMEOUT if exc.timed_out else InvocationErrorKind.UNREACHABLE
            return _failed(kind, exc.reason, started)
        if not response.complete:
            return _failed(
                InvocationErrorKind.ANSWER_TOO_LARGE,
                f"{shown(url)} answered more than {MAX_ANSWER_BYTES} bytes",
                started,
            )
        if not 200 <= response.status < 300:
            # Scrubbed whole before the cut, so no prefix of a secret is left at the end.
            excerpt = scrub_text(response.body.decode("utf-8", "replace"), secrets)[:200]
            return _failed(
                InvocationErrorKind.HTTP_STATUS,
                f"{shown(url)} answered HTTP {response.status}: {excerpt}",
                started,
            )
        return _parse_answer(response.body, started, logs="")

    async def _invoke_python(self, endpoint: str, message: dict[str, Any], secrets: Secrets) -> Invocation:
        started = time.perf_counter()
        try:
            answer = await self.lambdas.invoke(endpoint[len(PYTHON_PREFIX) :], message, self.timeout)
        except LambdaFailure as failure:
            invocation = _failed(InvocationErrorKind(failure.kind), failure.message, started, failure.logs)
        else:
            invocation = _from_report(answer, started)
        await self._report(endpoint, message, invocation, secrets)
        return invocation

    async def _report(
        self, endpoint: str, message: dict[str, Any], invocation: Invocation, secrets: Secrets
    ) -> None:
        """Tell the outbound observers (the journal) about a Lambda call, as if it were HTTP.

        What the handler printed (and a failure's trace or a dead worker's last output) is its
        log: never part of the answer, it comes back as the `x-localexa-handler-log` field of the
        answer's header, its last `HANDLER_LOG_CHARS` characters, as Lambda's Invoke API gives the
        log tail beside the payload (there base64 in `X-Amz-Log-Result`; plain text here, so the
        journal's redaction reads it)."""
        answer = invocation.answer
        headers = [("Content-Type", "application/json")]
        if log := handler_log(invocation.logs, secrets):
            headers.append((HANDLER_LOG_HEADER, log))
        await self.outbound.notify(
            OutboundCall(
                method="INVOKE",
                url=endpoint,
                request_headers={"Content-Type": "application/json"},
                request_body=json.dumps(redact_message(message, secrets)).encode(),
                status=200 if invocation.error is None else None,
                response_body=json.dumps(redact_message(answer, secrets)).encode()
                if answer is not None
                else b"",
                latency_ms=invocation.latency_ms,
                error=None
                if invocation.error is None
                else printable(scrub_text(invocation.error.message, secrets)),
                response_headers=headers,
            )
        )


def handler_log(logs: str, secrets: Secrets) -> str:
    """The tail of a handler's log as the journal shows it: the directive's secrets replaced
    (before the cut, so no prefix of one is left), each line printable, at most
    `HANDLER_LOG_CHARS` characters (Lambda's tail is 4 KB). TABs are kept: they separate the
    fields of Lambda's log format (`[INFO]\t<time>\t<request id>\t<message>`)."""
    tail = scrub_text(logs, secrets)[-HANDLER_LOG_CHARS:]
    return "\n".join(
        "\t".join(printable(field) for field in line.split("\t")) for line in tail.strip().splitlines()
    )


def printable(text: str) -> str:
    """`text` with what is not printable escaped (`\\x00`, `\\x1b`, `\\ud800`). A failure's text
    comes from the skill (an HTTP error body, a handler's exception): a NUL cannot be stored in a
    PostgreSQL text column, a lone surrogate cannot be encoded into the API's UTF-8 answer, and an
    escape sequence must not reach a terminal showing the log."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _from_report(answer: LambdaAnswer, started: float) -> Invocation:
    report, logs = answer.report, answer.logs
    if not report.get("ok"):
        message = f"{report.get('errorType', 'Error')}: {report.get('errorMessage', '')}"
        trace = "".join(str(line) for line in report.get("stackTrace") or [])
        return _failed(InvocationErrorKind.HANDLER_ERROR, message, started, logs + trace)
    result = report.get("result")
    if not isinstance(result, dict):
        return _failed(
            InvocationErrorKind.INVALID_JSON,
            f"the handler returned {type(result).__name__}, not a JSON object",
            started,
            logs,
        )
    if problem := unusable(result):
        return _failed(InvocationErrorKind.INVALID_JSON, f"the handler's answer {problem}", started, logs)
    return Invocation(answer=result, error=None, latency_ms=_since(started), logs=logs)


def too_deep(value: Any, limit: int = MAX_ANSWER_DEPTH) -> bool:
    """Whether a decoded JSON value nests objects and arrays more than `limit` levels."""
    return strict_json.nests_deeper_than(value, limit)


def unusable(answer: Any) -> str | None:
    """Why a decoded answer cannot be kept, or None: it nests too deeply, or a string of it holds
    an unpaired UTF-16 surrogate (a Lambda's answer is read by plain `json`; the API's UTF-8
    answer could not hold it)."""
    if too_deep(answer):
        return f"nests objects and arrays more than {MAX_ANSWER_DEPTH} levels deep"
    if strict_json.holds_lone_surrogate(json.dumps(answer).encode()):
        return "holds an unpaired UTF-16 surrogate, which is not a character"
    return None


def _parse_answer(body: bytes, started: float, *, logs: str) -> Invocation:
    try:
        answer = strict_json.loads(body)
    except NonFiniteNumber as exc:
        return _failed(
            InvocationErrorKind.INVALID_JSON, f"the skill's answer is not JSON: {exc}", started, logs
        )
    except ValueError:
        return _failed(InvocationErrorKind.INVALID_JSON, "the skill's answer is not JSON", started, logs)
    if not isinstance(answer, dict):
        return _failed(
            InvocationErrorKind.INVALID_JSON, "the skill's answer is not a JSON object", started, logs
        )
    if too_deep(answer):
        return _failed(
            InvocationErrorKind.INVALID_JSON,
            f"the skill's answer nests objects and arrays more than {MAX_ANSWER_DEPTH} levels deep",
            started,
            logs,
        )
    return Invocation(answer=answer, error=None, latency_ms=_since(started), logs=logs)


def _failed(kind: InvocationErrorKind, message: str, started: float, logs: str = "") -> Invocation:
    return Invocation(
        answer=None, error=InvocationError(kind, message), latency_ms=_since(started), logs=logs
    )


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
