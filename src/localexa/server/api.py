"""The one place that lists the API areas, their routers and their error families."""

from __future__ import annotations

from functools import cache

from fastapi import FastAPI
from starlette.routing import BaseRoute

from localexa.server.admin.demo_routes import router as demo_router
from localexa.server.admin.routes import router as admin_router
from localexa.server.console.routes import router as console_router
from localexa.server.core.errors import ApiFamily
from localexa.server.core.families import FamilyRouter
from localexa.server.core.operation_ids import operation_id
from localexa.server.credential_locker.routes import router as credential_locker_router
from localexa.server.credentials.routes import router as credentials_router
from localexa.server.directives.routes import router as directives_router
from localexa.server.enablement.routes import router as enablement_router
from localexa.server.evaluation.routes import router as evaluation_router
from localexa.server.events.routes import router as events_router
from localexa.server.lwa.routes import router as lwa_router
from localexa.server.observe.routes import router as observe_router
from localexa.server.skills.routes import router as skills_router

# Order matters for speed only (no two areas' paths overlap): FastAPI tries routes in this order,
# so the most-called APIs (token, enablement, Credential Locker) come before the admin API's many
# routes (measured: 10 % fewer instructions per enablement status GET; bench/HISTORY.md "Made faster").
ROUTERS = (
    lwa_router,
    enablement_router,
    credential_locker_router,
    credentials_router,
    skills_router,
    admin_router,
    demo_router,
    evaluation_router,
    directives_router,
    events_router,
    observe_router,
    console_router,
)

# Which wire shape errors take, by path prefix (longest prefix wins).
FAMILIES: tuple[tuple[str, ApiFamily], ...] = (
    ("/auth/o2", ApiFamily.LWA),
    ("/user/profile", ApiFamily.LWA),
    ("/ap/", ApiFamily.PAGE),
    ("/v1/users/", ApiFamily.CUSTOMER),
    ("/v1/alexaapiendpoint", ApiFamily.CUSTOMER),
    ("/v1/", ApiFamily.SMAPI),
    ("/v3/", ApiFamily.EVENTS),  # the gateway is localexa's only /v3 API: unknown paths speak it too
    ("/credentiallocker/", ApiFamily.CREDENTIAL_LOCKER),
    ("/_localexa", ApiFamily.ADMIN),
    ("/console", ApiFamily.PAGE),
    ("/metrics", ApiFamily.ADMIN),
)


@cache
def _built_routes() -> tuple[tuple[BaseRoute, ...], ...]:
    """Each area's routes as an app includes them, built once per process.

    FastAPI (0.165) builds an included route's state (its dependencies' analysis, its response
    fields) lazily, per app, at the first request that walks past it: every new app paid ~30 ms at
    its first requests, ~5,000 times in a run of the test suite (an app per test) and in every
    test of a project using the pytest plugin. Routes hold no state of an app (areas read
    `request.app.state`), so every app of the process shares these. The template app is bare: its
    one difference from a served app is that `app.dependency_overrides` is not consulted, which
    localexa never uses."""
    # As create_app's FastAPI includes them: its operationIds (tests/core/test_built_routes.py).
    template = FastAPI(
        openapi_url=None, docs_url=None, redoc_url=None, generate_unique_id_function=operation_id
    )
    built: list[tuple[BaseRoute, ...]] = []
    for router in ROUTERS:
        before = len(template.router.routes)
        template.include_router(router)
        built.append(tuple(template.router.routes[before:]))
    return tuple(built)


def include_areas(app: FastAPI) -> FamilyRouter:
    families = FamilyRouter(default=ApiFamily.ADMIN)
    for prefix, family in FAMILIES:
        families.register(prefix, family)
    for router, built in zip(ROUTERS, _built_routes(), strict=True):
        families.register_routes(router.routes)
        before = len(app.router.routes)
        # The include itself still merges the router's lifespan into the app's (directives own
        # one); the routes it added are swapped for the process's built ones.
        app.include_router(router)
        app.router.routes[before:] = built
    return families
