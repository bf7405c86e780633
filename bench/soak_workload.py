"""The soak's mix (bench/soak.py): a round of every kind of call, several customers at once."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import httpx

from bench.soak_calls import (
    ACCOUNT_LINKING,
    ADMIN_KEY,
    APP_REDIRECT,
    EVENTS_PERMISSION,
    POWER_PLAN,
    SoakCalls,
    World,
    bearer,
    form_with,
)
from bench.soak_host import FRESH_HANDLER, closed_port

#: Operations of the mix that answer 2xx unless something is broken (`refused_what_must_succeed`).
MUST_SUCCEED = frozenset(
    {
        "enable and link",
        "link developer",
        "link, new python: handler",
        "token authorization_code",
        "token refresh_token",
        "enablement status",
        "disable",
    }
)


class Workload(SoakCalls):
    """Rounds of the mix against one server (`round`)."""

    async def one_customer(self, world: World, index: int) -> None:
        """A customer's life: sign in with Amazon, refresh, link both skills, directives of every
        kind, events, Thread networks, then disable one skill."""
        password = "correct horse"
        user_id, email = await self.customer(f"Cust{index}", password)
        app = await self.admin("lwa-clients", {"name": f"App {index}", "redirectUris": [APP_REDIRECT]})
        tokens = await self.sign_in_with_amazon(app, email, password, multipart=index % 2 == 1)
        access, refresh = tokens["access_token"], tokens["refresh_token"]
        refreshed = await self.call(
            "token refresh_token",
            "POST",
            "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": app["clientId"],
                "client_secret": app["clientSecret"],
            },
        )
        access = refreshed.json().get("access_token", access)
        await asyncio.gather(
            self.call("tokeninfo", "GET", "/auth/o2/tokeninfo", headers=bearer(access)),
            self.call("profile", "GET", "/user/profile", headers=bearer(access)),
            self.call("alexaApiEndpoint", "GET", "/v1/alexaApiEndpoint", headers=bearer(access)),
            self.link(world.http_skill, access),
            self.link(world.lambda_skill, access),
        )
        await asyncio.gather(
            self.wait_follow_up(user_id, world.http_skill), self.wait_follow_up(user_id, world.lambda_skill)
        )
        await self.call(
            "enablement status",
            "GET",
            f"/v1/users/~current/skills/{world.http_skill}/enablement",
            headers=bearer(access),
        )
        # Directives: each kind of answer, to the HTTP skill and to the Lambda-style one.
        sends = [
            self.directive(user_id, skill, endpoint, name)
            for skill in (world.http_skill, world.lambda_skill)
            for endpoint, name in (
                ("kitchen", "TurnOn"),
                ("kitchen", "ReportState"),
                ("slow", "TurnOn"),
                ("broken", "TurnOn"),
                ("garbage", "TurnOn"),
                ("hang", "TurnOn"),
                ("nowhere", "TurnOn"),
            )
        ]
        if index == 0:
            # Beside the directives that time out, so the server is done with it when they are.
            sends.append(self.abandoned(world, user_id))
        await asyncio.gather(*sends, self.events(world, user_id), self.networks(world, user_id, index))
        await self.call(
            "messages",
            "GET",
            f"/_localexa/customers/{user_id}/skills/{world.http_skill}/messages",
            params={"maxResults": 20},
            headers={"X-Localexa-Admin-Key": ADMIN_KEY},
        )
        # Disable one link now and then, so the next round's relinks are first links again.
        if index % 2 == 0:
            await self.call(
                "disable",
                "DELETE",
                f"/v1/users/~current/skills/{world.lambda_skill}/enablement",
                headers=bearer(access),
            )

    async def events(self, world: World, user_id: str) -> None:
        token = (await self.token(world.http_messaging, user_id, [EVENTS_PERMISSION]))["access_token"]
        event = {
            "event": {
                "header": {
                    "namespace": "Alexa",
                    "name": "ChangeReport",
                    "payloadVersion": "3",
                    "messageId": secrets.token_hex(8),
                },
                "endpoint": {"scope": {"type": "BearerToken", "token": token}, "endpointId": "kitchen"},
                "payload": {
                    "change": {
                        "cause": {"type": "PHYSICAL_INTERACTION"},
                        "properties": [
                            {
                                "namespace": "Alexa.PowerController",
                                "name": "powerState",
                                "value": "OFF",
                                "timeOfSample": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                "uncertaintyInMilliseconds": 0,
                            }
                        ],
                    }
                },
            },
            "context": {"properties": []},
        }
        await self.call("event ChangeReport", "POST", "/v3/events", json=event, headers=bearer(token))
        await self.call("event invalid", "POST", "/v3/events", json={"event": {}}, headers=bearer(token))
        await self.call("event bad token", "POST", "/v3/events", json=event, headers=bearer("Atza|nope"))

    async def networks(self, world: World, user_id: str, index: int) -> None:
        token = (await self.token(world.http_messaging, user_id, [EVENTS_PERMISSION]))["access_token"]
        pan = f"{index:04x}beef{secrets.token_hex(4)}"
        for n in range(5):
            network = {
                "extendedPanId": pan,
                "networkName": f"Home {n}",
                "networkKey": secrets.token_hex(16),
                "channelNumber": 15,
            }
            await self.call(
                "locker PUT",
                "PUT",
                "/credentiallocker/v2/threadNetworks",
                json={"threadNetwork": network},
                headers=bearer(token),
            )
        params: dict[str, Any] = {"extendedPanId": pan, "maxResults": 2}
        while True:
            page = await self.call(
                "locker list",
                "GET",
                "/credentiallocker/v2/threadNetworks",
                params=params,
                headers=bearer(token),
            )
            next_token = page.json().get("nextToken") if page.status_code == 200 else None
            if not next_token:
                break
            params["nextToken"] = next_token

    async def linking_failures(self, world: World, refused: int) -> None:
        """Links whose token URL refuses (each on a new port: a new host for the metrics) and one
        whose token URL answers too late."""
        user_id, _ = await self.customer("Failing")
        token = (await self.token(world.app_id, user_id, [ACCOUNT_LINKING]))["access_token"]
        vendor = (await self.admin("vendors", {"name": "Failing", "ownerUserId": user_id}))["vendorId"]
        urls = [f"http://127.0.0.1:{closed_port()}/token" for _ in range(refused)]

        async def link_to(url: str) -> None:
            made = await self.skill(vendor, f"{self.skill_host}/skill", [], token_url=url)
            await self.link(made["skillId"], token, op="link, failing token URL")

        await asyncio.gather(*(link_to(url) for url in [*urls, f"{self.skill_host}/slow-token"]))

    async def fresh_lambda(self, world: World) -> None:
        """A skill whose `python:` handler is new (a team's new skill, a test's handler in a temp
        folder): linking it runs Discover in a worker of its own."""
        name = f"soak_lambda_{self.rounds}_{secrets.token_hex(3)}"
        (self.handlers / f"{name}.py").write_text(FRESH_HANDLER)
        vendor = (await self.admin("vendors", {"name": "Lambda", "ownerUserId": world.developer_id}))[
            "vendorId"
        ]
        made = await self.skill(vendor, f"python:{name}:handler", [])
        await self.link(made["skillId"], world.developer_token, op="link, new python: handler")
        await self.wait_follow_up(world.developer_id, made["skillId"])

    async def abandoned(self, world: World, user_id: str) -> None:
        """A caller that gives up before the answer (a directive to a skill that does not answer
        in time)."""
        body = {
            "userId": user_id,
            "skillId": world.http_skill,
            "endpointId": "hang",
            "namespace": "Alexa.PowerController",
            "name": "TurnOn",
        }
        try:
            answer = await self.http.post(
                "/_localexa/directives", json=body, headers={"X-Localexa-Admin-Key": ADMIN_KEY}, timeout=0.3
            )
        except httpx.TimeoutException:
            self.statuses[("abandoned directive", 0)] += 1
        else:
            self.statuses[("abandoned directive (answered in time)", answer.status_code)] += 1

    async def burst(self, world: World, calls: int) -> None:
        """`calls` authenticated GETs at once, each on a connection of its own."""
        path = f"/v1/skills/{world.http_skill}/stages/development/enablement"
        limits = httpx.Limits(max_connections=calls, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=60, limits=limits) as http:
            answers = await asyncio.gather(
                *(http.get(path, headers=bearer(world.developer_token)) for _ in range(calls))
            )
        for answer in answers:
            self.statuses[("burst GET", answer.status_code)] += 1

    async def developer_calls(self, world: World) -> None:
        headers = bearer(world.developer_token)
        base = f"/v1/skills/{world.http_skill}"
        await self.call(
            "smapi enablement GET", "GET", f"{base}/stages/development/enablement", headers=headers
        )
        await self.call("skill credentials", "GET", f"{base}/credentials", headers=headers)
        testing = f"{base}/smartHome/testing"
        await self.call("test plans", "GET", f"{testing}/capabilityTestPlans", headers=headers)
        started = await self.call(
            "evaluation start",
            "POST",
            f"{testing}/capabilityEvaluations",
            json={
                "capabilityTestPlan": {"id": POWER_PLAN},
                "endpoint": {"endpointId": "kitchen"},
                "stage": "development",
            },
            headers=headers,
        )
        if started.status_code == 200:
            run = started.json()["id"]
            for _ in range(200):
                status = await self.call(
                    "evaluation GET", "GET", f"{testing}/capabilityEvaluations/{run}", headers=headers
                )
                if status.status_code != 200 or status.json().get("status") != "IN_PROGRESS":
                    break
                await asyncio.sleep(0.05)
            await self.call(
                "evaluation results", "GET", f"{testing}/capabilityEvaluations/{run}/results", headers=headers
            )
        await self.call(
            "evaluations list",
            "GET",
            f"{testing}/capabilityEvaluations",
            params={"stage": "development"},
            headers=headers,
        )
        # client_credentials for the messaging client (skill messaging).
        messaging = await self.call("skill credentials", "GET", f"{base}/credentials", headers=headers)
        if messaging.status_code == 200:
            creds = messaging.json()["skillMessagingCredentials"]
            await self.call(
                "token client_credentials",
                "POST",
                "/auth/o2/token",
                data={
                    "grant_type": "client_credentials",
                    "scope": "alexa:skill_messaging",
                    "client_id": creds["clientId"],
                    "client_secret": creds["clientSecret"],
                },
            )

    async def faults(self) -> None:
        headers = {"X-Localexa-Admin-Key": ADMIN_KEY}
        made = await self.admin(
            "faults", {"method": "GET", "path": "/v1/alexaApiEndpoint", "status": 503, "count": 2}
        )
        slow = await self.admin(
            "faults", {"path": "/auth/o2/tokeninfo", "delayMs": 50, "probability": 0.5, "seed": 7}
        )
        for _ in range(3):
            await self.call("faulted GET", "GET", "/v1/alexaApiEndpoint", headers=bearer("Atza|nope"))
            await self.call("delayed GET", "GET", "/auth/o2/tokeninfo", headers=bearer("Atza|nope"))
        await self.call("faults list", "GET", "/_localexa/faults", headers=headers)
        for fault in (made, slow):
            await self.call(
                "fault delete", "DELETE", f"/_localexa/faults/{fault['faultId']}", headers=headers
            )

    async def console(self) -> None:
        """Sign in with the admin key, read pages (the journal's rows too), sign out."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as browser:
            login = await browser.get("/console/login")
            self.statuses[("console login page", login.status_code)] += 1
            form = form_with(login.text)
            form["admin_key"] = ADMIN_KEY
            signed = await browser.post("/console/login", data=form)
            self.statuses[("console sign-in", signed.status_code)] += 1
            page = login
            for path in (
                "/console",
                "/console/journal",
                "/console/journal/rows",
                "/console/skills",
                "/console/enablements",
                "/console/faults",
                "/console/static/console.css",
            ):
                page = await browser.get(path)
                self.statuses[("console page", page.status_code)] += 1
            page = await browser.get("/console/customers")
            self.statuses[("console page", page.status_code)] += 1
            signout = form_with(page.text)  # the sign-out form of every page (base.html)
            out = await browser.post("/console/logout", data=signout)
            self.statuses[("console sign-out", out.status_code)] += 1

    async def journal(self) -> None:
        headers = {"X-Localexa-Admin-Key": ADMIN_KEY}
        page = await self.call("journal", "GET", "/_localexa/journal", params={"limit": 50}, headers=headers)
        cursor = page.json().get("nextCursor") if page.status_code == 200 else None
        if cursor:
            await self.call(
                "journal",
                "GET",
                "/_localexa/journal",
                params={"limit": 50, "cursor": cursor},
                headers=headers,
            )

    async def snapshot_and_restore(self) -> None:
        headers = {"X-Localexa-Admin-Key": ADMIN_KEY}
        snapshot = await self.call("snapshot", "POST", "/_localexa/snapshot", headers=headers)
        if snapshot.status_code == 200:
            await self.call(
                "restore",
                "POST",
                "/_localexa/restore",
                content=snapshot.content,
                headers={**headers, "Content-Type": "application/json"},
            )

    async def reset(self) -> None:
        await self.call("reset", "POST", "/_localexa/reset", headers={"X-Localexa-Admin-Key": ADMIN_KEY})
        self.world = None

    async def round(self) -> None:
        """One round of the mix (module docstring); the customers run concurrently."""
        self.rounds += 1
        if self.world is None:
            self.world = await self.seed()
        world, mix = self.world, self.mix
        await asyncio.gather(
            *(self.one_customer(world, i) for i in range(mix.customers)),
            self.linking_failures(world, mix.refused_links),
            self.developer_calls(world),
            self.faults(),
            self.console(),
            self.burst(world, mix.burst),
        )
        # Last, so that the workers idle at the round's end are these and the ones before them.
        await asyncio.gather(*(self.fresh_lambda(world) for _ in range(mix.fresh_lambdas)))
        await self.journal()
        if mix.snapshot_every and self.rounds % mix.snapshot_every == 0:
            await self.snapshot_and_restore()
        if mix.reset_every and self.rounds % mix.reset_every == 0:
            await self.reset()

    def refused_what_must_succeed(self) -> dict[str, str]:
        """4xx answers to the calls of a customer's life that succeed when nothing is broken, with
        what the first of each said (a link whose token URL took longer than the server waits
        answers 400, and the round's disable was then a 404: a CI run saw only the new series)."""
        return {f"{op} {status}": body for (op, status), body in self.refusals.items() if op in MUST_SUCCEED}

    def failures(self) -> dict[str, int]:
        """Answers that say the server broke (5xx other than injected faults')."""
        return {
            f"{op} {status}": n
            for (op, status), n in self.statuses.items()
            if status >= 500 and not op.endswith("(injected fault)")
        }
