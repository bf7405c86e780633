"""Credential Locker Thread networks (`/credentiallocker/v2/threadNetworks`, spec §7).

The token is the one the skill uses for the event gateway (from the AcceptGrant exchange) for that
customer, so every call takes `token=` (else the client's auth is used).
"""

from __future__ import annotations

from localexa.client._async import AsyncResource, async_method, async_pager
from localexa.client._core import ApiRequest, Flow, call, dump, expect_no_content, parse_model
from localexa.client._endpoints import Service
from localexa.client._pagination import Page, Paged
from localexa.client._sync import SyncResource, sync_method, sync_pager
from localexa.client.types.thread_networks import ThreadNetwork, ThreadNetworkList

__all__ = ["AsyncThreadNetworks", "ThreadNetworks"]

PATH = "/credentiallocker/v2/threadNetworks"


def put(
    *,
    extended_pan_id: str,
    network_name: str,
    network_key: str,
    pskc: str | None = None,
    pan_id: str | None = None,
    channel_number: int | None = None,
    default_border_agent_id: str | None = None,
    token: str | None = None,
) -> Flow[None]:
    """`PUT` (200): create the customer's Thread network; 409 ConflictError when it exists.

    A PUT, but not one that is safe to repeat: a second PUT of the same network answers 409, so a
    retry after a lost answer (a reset, a read timeout, a 5xx) would turn a network this call
    stored into a ConflictError. It is retried only when the server cannot have stored it (429,
    no connection made), as a POST is. The Locker answers 200 without a body; a 2xx with one
    (a captive portal's page) is APIResponseValidationError, not a stored network.
    """
    network = ThreadNetwork(
        extended_pan_id=extended_pan_id,
        network_name=network_name,
        network_key=network_key,
        pskc=pskc,
        pan_id=pan_id,
        channel_number=channel_number,
        default_border_agent_id=default_border_agent_id,
    )
    response = yield from call(
        ApiRequest(
            "PUT",
            PATH,
            service=Service.CREDENTIAL_LOCKER,
            json={"threadNetwork": dump(network)},
            token=token,
            idempotent=False,
        )
    )
    expect_no_content(response, 200)


def list_networks(
    extended_pan_id: str,
    *,
    network_name: str | None = None,
    max_results: int | None = None,
    next_token: str | None = None,
    token: str | None = None,
) -> Paged[ThreadNetwork]:
    """`GET ?extendedPanId=&networkName=&maxResults=&nextToken=`: every matching network, page by page."""

    def fetch(page_token: str | None) -> Flow[Page[ThreadNetwork]]:
        params = {
            "extendedPanId": extended_pan_id,
            "networkName": network_name,
            "maxResults": max_results,
            "nextToken": page_token,
        }
        response = yield from call(
            ApiRequest("GET", PATH, service=Service.CREDENTIAL_LOCKER, params=params, token=token)
        )
        body = parse_model(response, ThreadNetworkList)
        return Page(items=body.thread_networks, next_token=body.next_token)

    return Paged(fetch, start=next_token)


class ThreadNetworks(SyncResource):
    """`client.thread_networks`: the Credential Locker."""

    put = sync_method(put)
    list = sync_pager(list_networks)


class AsyncThreadNetworks(AsyncResource):
    put = async_method(put)
    list = async_pager(list_networks)
