"""What the evaluation worker (worker.py) works with: its settings, a claimed run, the signals
that end work on one, and the channel each test case talks to the skill through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from localexa.server.directives.runtime import Runtime
from localexa.server.evaluation.channel import DirectiveChannel, SkillChannel

# Defined with the channel, which raises it too (a deferred answer's wait); imported from here.
from localexa.server.evaluation.channel import Stopping as Stopping


def wall_now() -> datetime:
    """Leases use the wall clock: localexa's clock can jump forward (time travel)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class WorkerConfig:
    poll_interval: float = 1.0
    lease_seconds: float = 30.0
    case_timeout: float = 60.0
    #: Runs one process carries at once (each waits on its skill most of the time).
    concurrent_runs: int = 4
    max_attempts: int = 3
    #: How long `stop` lets the run in hand reach the end of its current step.
    stop_grace: float = 10.0


@dataclass(frozen=True)
class Job:
    """A claimed run, as read at the claim."""

    id: str
    skill_id: str
    customer_id: str
    stage: str
    endpoint_id: str
    test_plan_id: str
    next_case: int
    attempts: int
    #: When the claim began (wall clock): its calls are journaled only while no reset came since.
    claimed_at: float | None = None
    #: This claim's `lease_owner`: the worker's name and a token of the claim. Every write of the
    #: run is guarded by it, so a claim that a restore ended cannot write into the run a new claim
    #: of the same worker resumed (with the worker's name alone it could: QA of 2026-12-06).
    lease: str = ""


class LeaseLost(Exception):
    """Another process holds the run now; this one must stop touching it."""


class RunDeleted(LeaseLost):
    """The run is gone: its skill or customer was deleted while it ran (the admin API's DELETE)."""


ChannelFactory = Callable[[Runtime, Job], SkillChannel]


def directive_channel(runtime: Runtime, job: Job) -> SkillChannel:
    return DirectiveChannel(
        runtime, user_id=job.customer_id, skill_id=job.skill_id, endpoint_id=job.endpoint_id
    )
