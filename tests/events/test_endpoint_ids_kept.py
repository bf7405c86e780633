"""An endpointId that reads like a URL's secret field (`lamp?code=1`) is kept as given.

The v3 envelope's endpointId pattern (1-256 of `a-zA-Z0-9_-=#;:?@&`) takes `lamp?code=1`, and
Amazon's gateway takes such an event. localexa stored the event's message redacted by the
journal's rules, which read `?code=1` as a URL's secret field: the messages API showed
`lamp?code=[redacted]` (its `endpointId` and the body), while the known endpoint, its state and a
DeleteReport went by `lamp?code=1` (QA of the night of 2026-12-06). An endpointId is an
identifier: it is kept as given wherever a message is kept (directives/scrub.py). The scope token
beside it, and a value the pattern refuses (an LWA token's `|`), are still redacted.
"""

from __future__ import annotations

import httpx
import pytest

from localexa.skill import change_report
from localexa.skill.properties import power_state
from localexa.skill.reports import add_or_update_report, delete_report
from tests.events.test_gateway import known_endpoints, light, post, recorded_messages, sender
from tests.factories import Admin

#: Each a secret field to the journal's rules (a query's `code=`, a fragment's `access_token=`, a
#: signature's `sig=`, a form's first field), each a valid endpointId.
FORM_SHAPED = ["lamp?code=1", "#access_token=lamp", "porch?sig=2&x=y", "key=hall;light"]


@pytest.mark.parametrize("endpoint_id", FORM_SHAPED)
async def test_reports_of_an_endpoint_id_shaped_like_a_secret_field_are_kept_as_given(
    admin: Admin, client: httpx.AsyncClient, endpoint_id: str
) -> None:
    who = await sender(admin, client)

    added = await post(client, add_or_update_report([light(endpoint_id)], token=who.token), who.headers())
    assert added.status_code == 202, added.text
    change = change_report(endpoint_id, [power_state(True)], token=who.token)
    assert (await post(client, change, who.headers())).status_code == 202
    assert set(await known_endpoints(admin, who)) == {endpoint_id}

    deleted = await post(client, delete_report([endpoint_id], token=who.token), who.headers())
    assert deleted.status_code == 202, deleted.text
    assert await known_endpoints(admin, who) == {}

    deleting, changing, adding = await recorded_messages(admin, who)
    assert [m["name"] for m in (deleting, changing, adding)] == [
        "DeleteReport",
        "ChangeReport",
        "AddOrUpdateReport",
    ]
    assert adding["body"]["event"]["payload"]["endpoints"][0]["endpointId"] == endpoint_id
    assert changing["endpointId"] == endpoint_id
    assert changing["body"]["event"]["endpoint"]["endpointId"] == endpoint_id
    assert deleting["body"]["event"]["payload"]["endpoints"] == [{"endpointId": endpoint_id}]
    # Secrets beside it are still hidden.
    assert changing["body"]["event"]["endpoint"]["scope"]["token"] == "[redacted]"
    assert adding["body"]["event"]["payload"]["scope"]["token"] == "[redacted]"
