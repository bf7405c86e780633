"""The one place that lists the API areas, their routers and their error families."""

from __future__ import annotations

from fastapi import FastAPI

from localexa.server.admin.demo_routes import router as demo_router
from localexa.server.admin.routes import router as admin_router
from localexa.server.console.routes import router as console_router
from localexa.server.core.errors import ApiFamily
from localexa.server.core.families import FamilyRouter
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


def include_areas(app: FastAPI) -> FamilyRouter:
    families = FamilyRouter(default=ApiFamily.ADMIN)
    for prefix, family in FAMILIES:
        families.register(prefix, family)
    for router in ROUTERS:
        families.register_routes(router.routes)
        app.include_router(router)
    return families
