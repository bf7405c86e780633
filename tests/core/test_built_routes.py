"""Every app of a process shares the areas' routes, built once (server/api.py `_built_routes`):
FastAPI builds an included route's state per app at the first request walking past it, ~30 ms
per new app, paid by every test that makes one."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute

from localexa.server.app import create_app
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY, SECRET_KEY
from tests.factories import Admin


def _app(tmp_path: Path, name: str) -> FastAPI:
    return create_app(
        Settings(
            data_dir=tmp_path / name,
            database_url=f"sqlite+aiosqlite:///{tmp_path / name}.db",
            demo=False,
            admin_key=ADMIN_KEY,
            secret_key=SECRET_KEY,
            password_hash_n=1024,
        )
    )


def _area_routes(app: FastAPI) -> list[object]:
    """The app's routes but its OpenAPI document's and docs page's, which are its own."""
    own = ("/_localexa/openapi.json", "/_localexa/docs")
    return [r for r in app.router.routes if not str(getattr(r, "path", "")).startswith(own)]


def test_two_apps_share_the_areas_routes(tmp_path: Path) -> None:
    first, second = _app(tmp_path, "a"), _app(tmp_path, "b")
    shared = _area_routes(first)
    assert len(shared) >= 12  # one or more per area router
    assert all(a is b for a, b in zip(shared, _area_routes(second), strict=True))
    # Each app's list is its own: a route one app adds is not another's.
    assert first.router.routes is not second.router.routes


async def test_shared_routes_answer_in_each_app_with_its_own_state(tmp_path: Path) -> None:
    """The routes read each app's own state: two apps, two databases, each its own customers."""
    users: list[str] = []
    for name in ("a", "b"):
        app = _app(tmp_path, name)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as c:
                admin = Admin(c, ADMIN_KEY)
                users.append((await admin.customer(name=name.upper())).user_id)
                listed = await c.get("/_localexa/customers", headers=admin.headers)
                assert [u["userId"] for u in listed.json()] == [users[-1]]
    assert users[0] != users[1]


def test_operation_ids_are_the_apps(tmp_path: Path) -> None:
    """The routes are built as create_app's FastAPI includes them: its camelCase operationIds."""
    document = _app(tmp_path, "a").openapi()
    ids = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert "getAccountLinkingInfo" in ids
    assert all("_" not in i for i in ids), sorted(i for i in ids if "_" in i)
    routes = [r for r in _area_routes(_app(tmp_path, "b")) if isinstance(r, APIRoute)]
    assert routes == []  # included routers, not routes of the app's own
