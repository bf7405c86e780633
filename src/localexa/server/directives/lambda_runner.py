"""A Lambda-style worker: `python -m localexa.server.directives.lambda_runner package.module:function`.

It behaves like a warm AWS Lambda container for one handler. It reads invocations from standard
input, one JSON object per line:

    {"event": {...}, "timeoutMs": 8000, "requestId": "…"}

and answers each on its original standard output, one JSON object per line:

    {"ok": true, "result": <what the handler returned>, "logs": "…", "moduleFile": "…", "moduleMtime": 0}
    {"ok": false, "errorType": "...", "errorMessage": "...", "stackTrace": ["..."], "logs": "…"}

The error fields are the ones AWS Lambda's Python runtime reports for an unhandled exception. The
handler is imported on the first invocation and kept, with its module's globals, for the next
ones (as a warm Lambda keeps them). What the handler prints is captured into `logs` (Lambda sends
it to the function's log) and can never corrupt an answer: file descriptor 1 points at standard
error while the handler runs. The server's pool (lambda_pool.py) kills the worker when a call
overruns its time or the worker dies, so a handler that blocks or crashes costs one process.

This module imports nothing but the standard library, to keep a cold start short.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import os
import sys
import time
import traceback
from typing import Any

#: Handler output kept per invocation (the tail is kept).
MAX_LOG_CHARS = 64 * 1024


class LambdaContext:
    """The attributes and method of the AWS Lambda Python runtime's context object."""

    def __init__(self, function_name: str, request_id: str, timeout_ms: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}"
        self.memory_limit_in_mb = "128"
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"localexa/{request_id}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _Log(io.StringIO):
    """Collects what the handler prints during one invocation."""

    def text(self) -> str:
        return self.getvalue()[-MAX_LOG_CHARS:]


class _Output(io.TextIOBase):
    """`sys.stdout` and `sys.stderr` for the worker's whole life: what is written goes to the log
    of the invocation under way (to the worker's real stderr between invocations).

    One stream, not a new one per invocation: a handler module that makes a logging handler when
    it is imported (`logging.StreamHandler()`, in the first invocation) binds it to the
    `sys.stderr` of that moment. Swapped per invocation, every later invocation's log lines went
    to the first invocation's buffer, which nobody read and which grew for the worker's life
    (QA of 2026-12-07)."""

    def __init__(self, fallback: Any) -> None:
        self.fallback = fallback
        self.target: Any = fallback

    def write(self, text: str) -> int:
        self.target.write(text)
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def writable(self) -> bool:
        return True


class _RequestId(logging.Filter):
    """Stamps each log record with the request id of the invocation under way, as Lambda's."""

    def __init__(self) -> None:
        super().__init__()
        self.request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


#: The format of the Python runtime's root handler on AWS Lambda (awslambdaric's bootstrap).
LAMBDA_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"


def _install_lambda_logging(output: io.TextIOBase, request_id: _RequestId) -> None:
    """The root logger's handler as Lambda's Python runtime installs it: a handler writing to the
    invocation's log in Lambda's format, the root level left at WARNING. So the logging AWS's docs
    show (`logging.getLogger().setLevel("INFO")`, then `logger.info(...)`) shows in the log, as it
    does on Lambda; it showed nothing (no handler: Python's last resort prints warnings only). And
    as on Lambda, `logging.basicConfig(...)` does nothing (the root has a handler already)."""
    handler = logging.StreamHandler(output)
    formatter = logging.Formatter(LAMBDA_LOG_FORMAT, "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.terminator = ""  # the format ends its line, as Lambda's does
    handler.addFilter(request_id)
    logging.getLogger().addHandler(handler)


class Worker:
    def __init__(self, target: str) -> None:
        self.target = target
        self.module_name, _, self.function_name = target.partition(":")
        self._handler: Any = None
        self.module_file: str | None = None
        self._output = _Output(sys.stderr)
        self._request_id = _RequestId()

    def _load(self) -> Any:
        if self._handler is None:
            module = importlib.import_module(self.module_name)
            self._handler = getattr(module, self.function_name)
            self.module_file = getattr(module, "__file__", None)
        return self._handler

    def invoke(self, request: dict[str, Any]) -> dict[str, Any]:
        context = LambdaContext(
            function_name=self.function_name,
            request_id=str(request.get("requestId", "")),
            timeout_ms=int(request.get("timeoutMs", 8000)),
        )
        log = _Log()
        saved = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = self._output
        self._output.target = log
        self._request_id.request_id = context.aws_request_id
        try:
            result = self._load()(request["event"], context)
            # Lambda refuses answers it cannot serialise, so do we; NaN and Infinity are no JSON
            # (core/strict_json.py): the handler's error, as in any other unserialisable answer.
            encoded = json.dumps(result, allow_nan=False)
        except Exception as exc:
            answer = _failure(exc)
        else:
            answer = {"ok": True, "resultJson": encoded}
        finally:
            self._output.target = self._output.fallback
            sys.stdout, sys.stderr = saved
        answer["logs"] = log.text()
        if self.module_file:
            answer["moduleFile"] = self.module_file
            answer["moduleMtime"] = _mtime(self.module_file)
        return answer


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


#: The most of an exception's text (and of each stack frame's) a report carries: an exception
#: quoting a big payload ran past the pool's 6 MB line and was told as ANSWER_TOO_LARGE, its type
#: and trace lost (review of 2026-12-07). The logs have their own cap (MAX_LOG_CHARS).
MAX_ERROR_CHARS = 64 * 1024


def _cut(text: str) -> str:
    if len(text) <= MAX_ERROR_CHARS:
        return text
    return f"{text[:MAX_ERROR_CHARS]}… ({len(text) - MAX_ERROR_CHARS} characters cut)"


def _failure(exc: BaseException) -> dict[str, Any]:
    return {
        "ok": False,
        "errorType": type(exc).__name__,
        "errorMessage": _cut(str(exc)),
        "stackTrace": [_cut(line) for line in traceback.format_exception(exc)[-20:]],
    }


def _encode(answer: dict[str, Any]) -> bytes:
    # The handler's result is already JSON: splice it in rather than decoding and encoding again.
    result = answer.pop("resultJson", None)
    text = json.dumps(answer, separators=(",", ":"))
    if result is not None:
        text = text[:-1] + ',"result":' + result + "}"
    return text.encode() + b"\n"


def main() -> None:
    worker = Worker(sys.argv[1])
    _install_lambda_logging(worker._output, worker._request_id)
    # Keep the real stdout for answers; anything written to fd 1 from here on goes to stderr.
    answers = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    for line in sys.stdin.buffer:
        try:
            answer = worker.invoke(json.loads(line))
        except Exception as exc:  # a request the runner itself cannot read
            answer = _failure(exc)
        answers.write(_encode(answer))


if __name__ == "__main__":
    main()
