"""Warm, supervised worker processes for Lambda-style skill endpoints (`python:module:function`).

Each worker is `python -m localexa.server.directives.lambda_runner <target>` in its own process
group: one handler, one invocation at a time, kept warm between calls like a Lambda container
(so a handler that imports a device-cloud SDK pays for it once, not per directive). The pool
supervises them:
- a call that overruns the directive budget kills the worker's whole process group (TIMEOUT);
- a worker that dies mid-call (segfault, `os._exit`) is reported (PROCESS_CRASHED) and replaced;
- a worker idle for `idle_seconds`, or whose handler module file changed on disk, is retired, so
  an edited handler runs as edited on the next call; a reaper task looks every
  `idle_seconds / 10` (at most every 30 s), so idle workers end also when no call comes;
- at most `max_workers` run per handler; more concurrent calls wait for one;
- at most `max_idle` workers wait idle in all, whatever the number of handlers: the least
  recently used beyond that is ended. A server used by many handlers over time (each team's
  skill, a test's handler in a temp folder) kept one warm process per handler ever called
  until its next call, and its slot and idle list for good (tests/scale/test_no_leaks.py).
The server never runs handler code itself, so nothing a handler does can block or crash it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any

from localexa.server.core.app_state import made_once

logger = logging.getLogger("localexa.directives")

_RUNNER = "localexa.server.directives.lambda_runner"
#: AWS Lambda's limit on a synchronous answer; a bigger one is refused, as Lambda refuses it.
MAX_ANSWER_BYTES = 6 * 1024 * 1024
#: What a dead worker last wrote to stderr, kept to explain its death.
_STDERR_TAIL = 8 * 1024
#: Idle workers kept in all, over every handler (module docstring).
MAX_IDLE_WORKERS = 8


class LambdaFailure(Exception):
    """The worker gave no answer: `kind` is TIMEOUT, PROCESS_CRASHED, ANSWER_TOO_LARGE or
    INVALID_JSON."""

    def __init__(self, kind: str, message: str, logs: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.logs = logs


@dataclass(frozen=True)
class LambdaAnswer:
    """The runner's answer (lambda_runner.py): `ok` with `result`, or the handler's exception."""

    report: dict[str, Any]

    @property
    def logs(self) -> str:
        logs = self.report.get("logs")
        return logs if isinstance(logs, str) else ""


def _child_env() -> dict[str, str]:
    """The server's environment and import path, so the handler resolves as it would here."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class _Worker:
    def __init__(self, target: str, process: asyncio.subprocess.Process) -> None:
        self.target = target
        self.process = process
        self.last_used = time.monotonic()
        self.module_file: str | None = None
        self.module_mtime: int | None = None
        self._stderr: collections.deque[bytes] = collections.deque()
        self._stderr_size = 0
        self._drain = asyncio.create_task(self._drain_stderr())

    @classmethod
    async def spawn(cls, target: str) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            _RUNNER,
            target,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=_child_env(),
            limit=MAX_ANSWER_BYTES + 65536,
            # Its own process group, so killing it kills whatever the handler started too.
            start_new_session=True,
        )
        return cls(target, process)

    async def _drain_stderr(self) -> None:
        """Keep the pipe flowing (a full pipe would block the worker) and its tail for post-mortems."""
        stream = self.process.stderr
        assert stream is not None
        while chunk := await stream.read(4096):
            self._stderr.append(chunk)
            self._stderr_size += len(chunk)
            while self._stderr_size > _STDERR_TAIL and len(self._stderr) > 1:
                self._stderr_size -= len(self._stderr.popleft())

    def stderr_tail(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")[-_STDERR_TAIL:]

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def stale(self, idle_seconds: float) -> bool:
        if not self.alive or time.monotonic() - self.last_used > idle_seconds:
            return True
        if self.module_file is None:
            return False
        try:
            return os.stat(self.module_file).st_mtime_ns != self.module_mtime
        except OSError:
            return True

    async def call(self, request: bytes, timeout: float) -> dict[str, Any]:
        """One invocation; raises LambdaFailure (the pool then ends this worker)."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        try:
            async with asyncio.timeout(timeout):
                stdin.write(request)
                await stdin.drain()
                line = await stdout.readline()
        except TimeoutError:
            raise LambdaFailure(
                "TIMEOUT", f"python:{self.target} did not return within {timeout:.3g} s"
            ) from None
        except (ValueError, asyncio.LimitOverrunError):
            raise LambdaFailure(
                "ANSWER_TOO_LARGE", f"python:{self.target} returned more than {MAX_ANSWER_BYTES} bytes"
            ) from None
        except (BrokenPipeError, ConnectionResetError):
            line = b""
        if not line:
            raise await self._died()
        try:
            report = json.loads(line)
        except ValueError:
            raise LambdaFailure("PROCESS_CRASHED", f"python:{self.target} wrote a broken answer") from None
        except RecursionError:
            # A handler's answer nested close to the worker's own limit: deeper than the server,
            # already some frames down, can read.
            raise LambdaFailure(
                "INVALID_JSON", f"python:{self.target} returned an answer nested too deeply"
            ) from None
        self.last_used = time.monotonic()
        if isinstance(report.get("moduleFile"), str):
            self.module_file, self.module_mtime = report["moduleFile"], report.get("moduleMtime")
        return dict(report)

    async def _died(self) -> LambdaFailure:
        code = await self.process.wait()
        # asyncio.wait, not wait_for: when `kill` (the pool closing at shutdown) has cancelled the
        # drain, wait_for re-raised that CancelledError into the caller, which then looked
        # cancelled itself (an evaluation step took it for a lost lease and kept its run).
        await asyncio.wait({self._drain}, timeout=1)
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
        return LambdaFailure(
            "PROCESS_CRASHED",
            f"the process running python:{self.target} ended without an answer ({how})",
            self.stderr_tail(),
        )

    async def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            await self.process.wait()
        self._drain.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._drain


class LambdaPool:
    @classmethod
    def of(cls, state: Any) -> LambdaPool:
        """The app's pool (`app.state.lambda_pool`), made on first use: other areas' start-up
        steps may build a Runtime before the directives router's lifespan runs."""
        return made_once(state, "lambda_pool", cls)

    def __init__(
        self, *, max_workers: int = 4, idle_seconds: float = 300.0, max_idle: int = MAX_IDLE_WORKERS
    ) -> None:
        self.max_workers = max_workers
        self.idle_seconds = idle_seconds
        self.max_idle = max_idle
        self._idle: dict[str, list[_Worker]] = {}
        self._busy: set[_Worker] = set()
        self._slots: dict[str, asyncio.Semaphore] = {}
        #: Calls of each handler under way, waiting for a slot or running: a handler's slot and
        #: idle list are dropped once it has none and no idle worker.
        self._calls: collections.Counter[str] = collections.Counter()
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False

    def counts(self) -> tuple[int, int, int]:
        """Idle workers, busy workers, and handlers with a slot (metrics)."""
        return sum(len(ws) for ws in self._idle.values()), len(self._busy), len(self._slots)

    async def invoke(self, target: str, event: dict[str, Any], timeout: float) -> LambdaAnswer:
        """Run `handler(event, context)` in a worker; raises LambdaFailure when it gives no answer."""
        if self._closed:
            raise LambdaFailure("PROCESS_CRASHED", "the server is shutting down")
        slots = self._slots.setdefault(target, asyncio.Semaphore(self.max_workers))
        self._calls[target] += 1
        try:
            return await self._invoke(target, slots, event, timeout)
        finally:
            self._calls[target] -= 1
            if not self._calls[target]:
                del self._calls[target]
                self._forget_if_unused(target)

    async def _invoke(
        self, target: str, slots: asyncio.Semaphore, event: dict[str, Any], timeout: float
    ) -> LambdaAnswer:
        started = time.monotonic()
        try:
            await asyncio.wait_for(slots.acquire(), timeout)
        except TimeoutError:
            raise LambdaFailure(
                "TIMEOUT",
                f"python:{target} had no free worker within {timeout:g} s ({self.max_workers} busy)",
            ) from None
        # What the call queued behind other calls of its handler: the message below names it. Not
        # the worker's start, which every cold call pays (a fork and exec: 10 ms and more on a
        # loaded machine, and a lone call's timeout said it "went waiting for a worker").
        queued = time.monotonic() - started
        try:
            worker = await self._checkout(target)
            # Waiting for a worker used part of the budget: the call gets what is left, and the
            # handler's context says so (`get_remaining_time_in_millis` said the whole budget
            # to a call that had queued for most of it).
            left = max(0.001, timeout - (time.monotonic() - started))
            request = {"event": event, "timeoutMs": int(left * 1000), "requestId": str(uuid.uuid4())}
            try:
                report = await worker.call(json.dumps(request, separators=(",", ":")).encode() + b"\n", left)
            except BaseException as failure:
                if isinstance(failure, LambdaFailure) and failure.kind == "TIMEOUT" and queued >= 0.01:
                    failure.message += (
                        f" (of the call's {timeout:g} s, {queued:.2f} s went waiting for a worker)"
                    )
                # A failed or abandoned call leaves the worker in an unknown state: end it.
                self._busy.discard(worker)
                await worker.kill()
                raise
            self._busy.discard(worker)
            if self._closed:
                await worker.kill()
            else:
                self._idle.setdefault(target, []).append(worker)
                await self._trim_idle()
        finally:
            slots.release()
        return LambdaAnswer(report)

    async def _checkout(self, target: str) -> _Worker:
        await self._retire_stale()
        idle = self._idle.get(target)
        try:
            worker = idle.pop() if idle else await _Worker.spawn(target)
        except OSError as exc:
            raise LambdaFailure(
                "PROCESS_CRASHED", f"could not start a worker for python:{target} ({exc})"
            ) from exc
        self._busy.add(worker)
        if self._reaper is None:
            self._reaper = asyncio.create_task(self._reap(), name="localexa-lambda-reaper")
        return worker

    def _forget_if_unused(self, target: str) -> None:
        """Drop a handler's slot and idle list once no call of it is under way and no worker of
        it waits (the next call makes them anew)."""
        if not self._calls.get(target) and not self._idle.get(target):
            self._idle.pop(target, None)
            self._slots.pop(target, None)

    async def _retire(self, workers: list[_Worker]) -> None:
        """End idle workers: out of the idle lists first (no call may take them), then killed."""
        for worker in workers:
            idle = self._idle.get(worker.target, [])
            if worker in idle:
                idle.remove(worker)
            self._forget_if_unused(worker.target)
        for worker in workers:
            await worker.kill()

    async def _retire_stale(self) -> None:
        await self._retire([w for ws in self._idle.values() for w in ws if w.stale(self.idle_seconds)])

    async def _trim_idle(self) -> None:
        """Keep at most `max_idle` idle workers in all: end the least recently used."""
        idle = [w for ws in self._idle.values() for w in ws]
        if len(idle) > self.max_idle:
            idle.sort(key=lambda w: w.last_used)
            await self._retire(idle[: len(idle) - self.max_idle])

    async def _reap(self) -> None:
        """Retire stale workers also when no call comes to do it (`_checkout` does it too)."""
        interval = min(30.0, max(0.05, self.idle_seconds / 10))
        while True:
            await asyncio.sleep(interval)
            try:
                await self._retire_stale()
            except Exception:  # a worker that could not be killed is tried again next time
                logger.warning("retiring idle Lambda workers failed", exc_info=True)

    async def aclose(self) -> None:
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
            self._reaper = None
        workers = [w for ws in self._idle.values() for w in ws] + list(self._busy)
        self._idle.clear()
        self._busy.clear()
        self._slots.clear()
        for worker in workers:
            await worker.kill()
