"""A skill's own endpoint per region (the smart home manifest's `regions`): directives for a
customer of that region go there, so the skill learns which event gateway takes the customer's
events. Over real HTTP: localexa listening once per region (one app on three ports, as `localexa
serve`), and the real My Lights, whose `/skill/eu` sends the customer's events to the EU gateway.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from localexa.samples.mylights import DeviceCloud, MyLightsConfig, create_mylights_app
from localexa.server.settings import Settings
from tests.directives.conftest import (
    ACCOUNT_LINKING,
    ASYNC_EVENTS,
    REDIRECT,
    MyLights,
    endpoints_after_link,
    send,
)
from tests.directives.live import TokenRequests, eventually
from tests.factories import Admin
from tests.servers import free_ports, serve_in_thread

REGIONS = ("NA", "EU", "FE")


@pytest.fixture
def region_ports() -> dict[str, int]:
    return dict(zip(REGIONS, free_ports(3), strict=True))


@pytest.fixture
def settings(settings: Settings, region_ports: dict[str, int]) -> Settings:
    return settings.model_copy(
        update={"port": region_ports["NA"], "eu_port": region_ports["EU"], "fe_port": region_ports["FE"]}
    )


@pytest.fixture
async def listeners(app: FastAPI, region_ports: dict[str, int]) -> AsyncIterator[dict[str, str]]:
    """The app on each region's port (the port a call arrives on picks its region)."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    sockets = []
    for port in region_ports.values():
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sockets.append(sock)
    task = asyncio.create_task(server.serve(sockets=sockets))
    deadline = time.monotonic() + 10
    while not server.started:
        assert not task.done(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.01)
    try:
        yield {region: f"http://127.0.0.1:{port}" for region, port in region_ports.items()}
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        for sock in sockets:
            sock.close()


@pytest.fixture
def regional_mylights(listeners: dict[str, str]) -> Iterator[MyLights]:
    config = MyLightsConfig(
        lwa_base_url=listeners["NA"],
        events_base_url=listeners["NA"],
        events_base_urls=dict(listeners),
        users={"ada": "ada", "bo": "bo"},
    )
    cloud = DeviceCloud(config)
    with serve_in_thread(create_mylights_app(cloud=cloud)) as url:
        yield MyLights(url, cloud, TokenRequests())


async def _link(
    admin: Admin, listeners: dict[str, str], mylights: MyLights, skill_id: str, region: str, user: str
) -> str:
    """A customer of `region` enables and links the skill (on their region's listener) with
    My Lights user `user`; their user id."""
    customer = await admin.customer(region=region, name=user)
    token = await admin.access_token(customer.user_id, [ACCOUNT_LINKING])
    config = mylights.cloud.config
    code = mylights.cloud.oauth.issue_code(user, config.client_id, REDIRECT, " ".join(config.scopes))
    body = {
        "stage": "development",
        "accountLinkRequest": {"redirectUri": REDIRECT, "authCode": code, "type": "AUTH_CODE"},
    }
    async with httpx.AsyncClient(base_url=listeners[region]) as regional:
        answer = await regional.post(
            f"/v1/users/~current/skills/{skill_id}/enablement",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 201, answer.text
    return customer.user_id


async def _change_light(mylights: MyLights, user: str) -> int | None:
    """The user dims their first light in the My Lights app; the status of the ChangeReport."""
    light_id = mylights.cloud.lights(user)[0].id
    before = len(mylights.cloud.sent_events)
    own_token = mylights.cloud.oauth.mint(user).access_token
    async with httpx.AsyncClient(base_url=mylights.url) as app:
        changed = await app.put(
            f"/lights/{light_id}", json={"brightness": 17}, headers={"Authorization": f"Bearer {own_token}"}
        )
    assert changed.status_code == 200, changed.text
    await eventually(lambda: len(mylights.cloud.sent_events) > before)
    return mylights.cloud.sent_events[-1].status


async def test_directives_go_to_the_customers_regional_endpoint_and_events_to_its_gateway(
    admin: Admin, listeners: dict[str, str], regional_mylights: MyLights
) -> None:
    mylights = regional_mylights
    vendor_id = await admin.vendor(await admin.customer(name="Dev"))
    created = await admin.post(
        "skills",
        {
            "vendorId": vendor_id,
            "name": "My Lights",
            "endpoint": f"{mylights.url}/skill",
            "regions": {"eu": {"endpoint": f"{mylights.url}/skill/eu"}},
            "permissions": [ASYNC_EVENTS],
            "accountLinking": mylights.account_linking(),
        },
    )
    skill_id = created["skillId"]
    credentials = created["skillMessagingCredentials"]
    mylights.cloud.set_alexa_credentials(credentials["clientId"], credentials["clientSecret"])

    shown = (await admin.client.get(f"/_localexa/skills/{skill_id}", headers=admin.headers)).json()
    assert shown["regions"] == {"EU": {"endpoint": f"{mylights.url}/skill/eu"}}

    eu_user = await _link(admin, listeners, mylights, skill_id, "EU", "ada")
    na_user = await _link(admin, listeners, mylights, skill_id, "NA", "bo")
    for user_id in (eu_user, na_user):
        path = f"/_localexa/customers/{user_id}/skills/{skill_id}/"
        view = await endpoints_after_link(admin, _Paths(path))
        assert view["acceptGrant"]["status"] == "SUCCEEDED", view["acceptGrant"]

    # The EU customer's AcceptGrant reached /skill/eu, the NA customer's /skill.
    assert mylights.cloud.event_region("ada") == "EU"
    assert mylights.cloud.event_region("bo") is None
    # So each one's ChangeReport goes to their own region's gateway, which takes it (the EU
    # customer's went to the NA gateway and was refused with 403 before skills had regions).
    assert await _change_light(mylights, "ada") == 202
    assert await _change_light(mylights, "bo") == 202
    assert mylights.cloud.events_base_url("ada") == listeners["EU"]

    # Directives sent through any listener follow the customer's region.
    light = mylights.cloud.lights("ada")[0].id
    turned = await send(
        admin,
        {
            "userId": eu_user,
            "skillId": skill_id,
            "endpointId": light,
            "namespace": "Alexa.PowerController",
            "name": "TurnOff",
        },
    )
    assert turned.status_code == 200, turned.text
    assert mylights.cloud.light("ada", light).power == "OFF"
    journal = await admin.client.get(
        "/_localexa/journal", params={"direction": "outbound", "limit": 200}, headers=admin.headers
    )
    urls = {entry["url"] for entry in journal.json()["entries"] if entry.get("region") == "EU"}
    assert f"{mylights.url}/skill/eu" in urls, urls
    assert f"{mylights.url}/skill" not in urls, urls


class _Paths:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def path(self, tail: str) -> str:
        return self.prefix + tail


@pytest.mark.parametrize(
    ("regions", "problem"),
    [
        pytest.param({"XX": {"endpoint": "http://127.0.0.1:9/x"}}, "regions", id="unknown-region"),
        pytest.param({"EU": {"endpoint": "ftp://127.0.0.1/x"}}, "endpoint", id="bad-endpoint"),
        pytest.param({"EU": {"endpoint": "http://127.0.0.1:99999/x"}}, "endpoint", id="bad-port"),
        pytest.param({"EU": "http://127.0.0.1:9/x"}, "regions", id="not-an-object"),
        pytest.param({"EU": {"uri": "http://127.0.0.1:9/x"}}, "regions.EU.endpoint", id="unknown-field"),
        pytest.param(
            {"EU": {"endpoint": "http://a:1/x"}, "eu": {"endpoint": "http://b:1/x"}}, "twice", id="twice"
        ),
        pytest.param([], "regions", id="a-list"),
    ],
)
async def test_bad_regions_are_400_and_create_nothing(admin: Admin, regions: Any, problem: str) -> None:
    developer = await admin.customer(name="Dev")
    vendor_id = await admin.vendor(developer)
    before = (await admin.client.get("/_localexa/skills", headers=admin.headers)).json()
    answer = await admin.client.post(
        "/_localexa/skills",
        json={"vendorId": vendor_id, "name": "S", "endpoint": "http://127.0.0.1:9/x", "regions": regions},
        headers=admin.headers,
    )
    assert answer.status_code == 400, answer.text
    assert problem in answer.json()["message"]
    assert "[key]" not in answer.json()["message"]
    after = (await admin.client.get("/_localexa/skills", headers=admin.headers)).json()
    assert after == before


async def test_a_skill_without_regions_shows_none_and_python_endpoints_are_taken(admin: Admin) -> None:
    skill = await admin.skill()
    shown = (await admin.client.get(f"/_localexa/skills/{skill.skill_id}", headers=admin.headers)).json()
    assert shown["regions"] == {}
    created = await admin.post(
        "skills",
        {
            "vendorId": skill.vendor_id,
            "name": "Lambda per region",
            "endpoint": "python:localexa.samples.mylights.lambda_handler:handler",
            "regions": {"FE": {"endpoint": "python:my_skill.fe:handler"}, "NA": {"endpoint": "http://n:1/"}},
        },
    )
    listed = (await admin.client.get("/_localexa/skills", headers=admin.headers)).json()
    mine = next(s for s in listed if s["skillId"] == created["skillId"])
    assert mine["regions"] == {
        "FE": {"endpoint": "python:my_skill.fe:handler"},
        "NA": {"endpoint": "http://n:1/"},
    }
