"""Lambda-style handlers the invoker tests point skills at (`python:tests.directives.handlers:…`)."""

from __future__ import annotations

import os
import signal
import time
import uuid
from typing import Any

#: Where `sleep_forever` writes its process id, so a test can see the process was killed.
PID_FILE_ENV = "LOCALEXA_TEST_PID_FILE"


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Answers every directive with a minimal Alexa.Response and shows what the context offers."""
    print("echo handler says hello")  # must not corrupt the answer
    header = event["directive"]["header"]
    return {
        "event": {
            "header": {
                "namespace": "Alexa",
                "name": "Response",
                "payloadVersion": "3",
                "messageId": str(uuid.uuid4()),
                "correlationToken": header.get("correlationToken", "none"),
            },
            "endpoint": {"endpointId": event["directive"].get("endpoint", {}).get("endpointId", "none")},
            "payload": {},
        },
        "context": {"properties": []},
        "lambdaContext": {
            "functionName": context.function_name,
            "requestId": context.aws_request_id,
            "remainingMs": context.get_remaining_time_in_millis(),
        },
    }


def wrong_correlation(event: dict[str, Any], context: Any) -> dict[str, Any]:
    answer = echo(event, context)
    answer["event"]["header"]["correlationToken"] = "not-the-one-sent"
    return answer


def sleep_forever(event: dict[str, Any], context: Any) -> dict[str, Any]:
    pid_file = os.environ.get(PID_FILE_ENV)
    if pid_file:
        with open(pid_file, "w") as out:
            out.write(str(os.getpid()))
    while True:
        time.sleep(3600)


def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
    os.kill(os.getpid(), signal.SIGSEGV)
    return {}


def exit_hard(event: dict[str, Any], context: Any) -> dict[str, Any]:
    os._exit(3)


def raise_error(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the device cloud is on fire")


def raise_huge_error(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # An exception quoting a big payload: over Lambda's 6 MB answer limit on its own.
    raise ValueError("payload: " + "x" * 7_000_000)


def return_list(event: dict[str, Any], context: Any) -> list[int]:
    return [1, 2, 3]


def return_unserialisable(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"when": object()}


def return_infinity(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"event": {"payload": {"value": float("inf")}}}


_calls = 0


def moody(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Counts its calls in a module global (kept while the worker stays warm), or misbehaves."""
    global _calls
    mode = event.get("mode")
    if mode == "crash":
        os._exit(9)
    if mode == "sleep":
        time.sleep(3600)
    _calls += 1
    return {"calls": _calls, "pid": os.getpid()}


def nap_then_pid(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(0.3)
    return {"pid": os.getpid(), "remaining_ms": context.get_remaining_time_in_millis()}


def raise_with_token(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fails naming the token it was sent, as careless skills do."""
    raise PermissionError(f"bad token {event['directive']['endpoint']['scope']['token']}")
