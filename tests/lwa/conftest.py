"""Fixtures the LWA tests share: a browser on the /ap/oa pages, and a customer to sign in as."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from tests.factories import Admin, Customer
from tests.lwa.browser import Browser


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[Browser]:
    async with Browser(app) as b:
        yield b


@pytest.fixture
async def ada(admin: Admin) -> Customer:
    return await admin.customer()
