"""The after-link runner forgets follow-ups once they end, but never the one still running."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from localexa.server.directives import after_link_runner
from localexa.server.directives.runtime import Runtime


async def test_finished_follow_ups_are_forgotten(app: FastAPI) -> None:
    runner = after_link_runner.AfterLinkRunner(Runtime.of(app.state))
    try:
        # Unknown skills: each follow-up ends at once (nothing to mark pending).
        for number in range(5):
            await runner.start("amzn1.account.nobody", f"amzn1.ask.skill.gone-{number}")
        await asyncio.sleep(0)
        for _ in range(100):
            if not runner._tasks:
                break
            await asyncio.sleep(0.01)
        assert runner._tasks == {}
    finally:
        await runner.aclose()


async def test_a_newer_follow_up_of_the_pair_is_kept(app: FastAPI) -> None:
    runner = after_link_runner.AfterLinkRunner(Runtime.of(app.state))
    key = ("amzn1.account.nobody", "amzn1.ask.skill.gone")
    try:
        await runner.start(*key)
        first = runner._tasks[key]
        await runner.start(*key)
        second = runner._tasks[key]
        assert second is not first
        await asyncio.wait({first})
        # The first one's end must not drop the second from the map while it may still run.
        assert runner._tasks.get(key) is second or second.done()
        await asyncio.wait({second})
        await asyncio.sleep(0)
        assert key not in runner._tasks
    finally:
        await runner.aclose()
