"""`client.admin`: localexa's own admin API, grouped as the contract groups it.

    client.admin.customers.create/list/get/delete  client.admin.journal.list/get
    client.admin.vendors.create/list               client.admin.faults.create/list/delete
    client.admin.lwa_clients.create/list           client.admin.directives.send/endpoints/messages/
    client.admin.skills.create/list/get/delete         discover/accept_grant
    client.admin.tokens.create                     client.admin.reset/snapshot/snapshot_to/
                                                       restore/health/ready
    client.admin.clock.get/advance

`list()` answers every row; `list(limit=N)` a pager of pages of N (admin_listing.py). The flows
live in admin_flows.py, observe_flows.py and directive_flows.py; these classes bind them.
"""

from __future__ import annotations

from functools import cached_property

from localexa.client._async import AsyncResource, async_method, async_pager
from localexa.client._sync import SyncResource, sync_method, sync_pager
from localexa.client.resources import admin_flows as a
from localexa.client.resources import admin_listing as listing
from localexa.client.resources import directive_flows as d
from localexa.client.resources import observe_flows as o
from localexa.client.resources.admin_listing import AsyncListed, SyncListed
from localexa.client.types.admin import Customer, LwaClientInfo, SkillInfo, Vendor

__all__ = ["Admin", "AsyncAdmin"]


class Customers(SyncListed[Customer]):
    _listing = listing.CUSTOMERS
    create = sync_method(a.create_customer)
    get = sync_method(a.get_customer)
    delete = sync_method(a.delete_customer)


class Vendors(SyncListed[Vendor]):
    _listing = listing.VENDORS
    create = sync_method(a.create_vendor)


class LwaClients(SyncListed[LwaClientInfo]):
    _listing = listing.LWA_CLIENTS
    create = sync_method(a.create_lwa_client)


class Skills(SyncListed[SkillInfo]):
    _listing = listing.SKILLS
    create = sync_method(a.create_skill)
    get = sync_method(a.get_skill)
    delete = sync_method(a.delete_skill)


class Tokens(SyncResource):
    create = sync_method(a.create_tokens)


class Clock(SyncResource):
    get = sync_method(a.get_clock)
    advance = sync_method(a.advance_clock)


class Journal(SyncResource):
    list = sync_pager(o.list_journal)
    get = sync_method(o.get_journal_entry)


class Faults(SyncResource):
    create = sync_method(o.create_fault)
    list = sync_method(o.list_faults)
    delete = sync_method(o.delete_fault)


class Directives(SyncResource):
    send = sync_method(d.send)
    endpoints = sync_method(d.endpoints)
    messages = sync_pager(d.messages)
    discover = sync_method(d.discover)
    accept_grant = sync_method(d.accept_grant)


class Admin(SyncResource):
    """localexa's admin API (needs `admin_key=`; health and ready do not)."""

    health = sync_method(a.health)
    ready = sync_method(a.ready)
    reset = sync_method(o.reset)
    snapshot = sync_method(o.snapshot)
    snapshot_to = sync_method(o.snapshot_to)
    restore = sync_method(o.restore)

    @cached_property
    def customers(self) -> Customers:
        return Customers(self._client)

    @cached_property
    def vendors(self) -> Vendors:
        return Vendors(self._client)

    @cached_property
    def lwa_clients(self) -> LwaClients:
        return LwaClients(self._client)

    @cached_property
    def skills(self) -> Skills:
        return Skills(self._client)

    @cached_property
    def tokens(self) -> Tokens:
        return Tokens(self._client)

    @cached_property
    def clock(self) -> Clock:
        return Clock(self._client)

    @cached_property
    def journal(self) -> Journal:
        return Journal(self._client)

    @cached_property
    def faults(self) -> Faults:
        return Faults(self._client)

    @cached_property
    def directives(self) -> Directives:
        return Directives(self._client)


class AsyncCustomers(AsyncListed[Customer]):
    _listing = listing.CUSTOMERS
    create = async_method(a.create_customer)
    get = async_method(a.get_customer)
    delete = async_method(a.delete_customer)


class AsyncVendors(AsyncListed[Vendor]):
    _listing = listing.VENDORS
    create = async_method(a.create_vendor)


class AsyncLwaClients(AsyncListed[LwaClientInfo]):
    _listing = listing.LWA_CLIENTS
    create = async_method(a.create_lwa_client)


class AsyncSkills(AsyncListed[SkillInfo]):
    _listing = listing.SKILLS
    create = async_method(a.create_skill)
    get = async_method(a.get_skill)
    delete = async_method(a.delete_skill)


class AsyncTokens(AsyncResource):
    create = async_method(a.create_tokens)


class AsyncClock(AsyncResource):
    get = async_method(a.get_clock)
    advance = async_method(a.advance_clock)


class AsyncJournal(AsyncResource):
    list = async_pager(o.list_journal)
    get = async_method(o.get_journal_entry)


class AsyncFaults(AsyncResource):
    create = async_method(o.create_fault)
    list = async_method(o.list_faults)
    delete = async_method(o.delete_fault)


class AsyncDirectives(AsyncResource):
    send = async_method(d.send)
    endpoints = async_method(d.endpoints)
    messages = async_pager(d.messages)
    discover = async_method(d.discover)
    accept_grant = async_method(d.accept_grant)


class AsyncAdmin(AsyncResource):
    health = async_method(a.health)
    ready = async_method(a.ready)
    reset = async_method(o.reset)
    snapshot = async_method(o.snapshot)
    snapshot_to = async_method(o.snapshot_to)
    restore = async_method(o.restore)

    @cached_property
    def customers(self) -> AsyncCustomers:
        return AsyncCustomers(self._client)

    @cached_property
    def vendors(self) -> AsyncVendors:
        return AsyncVendors(self._client)

    @cached_property
    def lwa_clients(self) -> AsyncLwaClients:
        return AsyncLwaClients(self._client)

    @cached_property
    def skills(self) -> AsyncSkills:
        return AsyncSkills(self._client)

    @cached_property
    def tokens(self) -> AsyncTokens:
        return AsyncTokens(self._client)

    @cached_property
    def clock(self) -> AsyncClock:
        return AsyncClock(self._client)

    @cached_property
    def journal(self) -> AsyncJournal:
        return AsyncJournal(self._client)

    @cached_property
    def faults(self) -> AsyncFaults:
        return AsyncFaults(self._client)

    @cached_property
    def directives(self) -> AsyncDirectives:
        return AsyncDirectives(self._client)
