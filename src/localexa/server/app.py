"""`create_app(settings)`: the one ASGI app that plays every Amazon host the seeds name.

The lifespan owns every long-lived resource: the database engine (migrated at start), the clock,
the secret box, the outbound HTTP client. Areas reach them through core.deps.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker

from localexa import __version__
from localexa.server.api import include_areas
from localexa.server.core.clock import Clock, ClockRefreshMiddleware
from localexa.server.core.crypto import SecretBox
from localexa.server.core.docs_page import install_docs_page
from localexa.server.core.error_handlers import install_error_handlers
from localexa.server.core.head import install_head
from localexa.server.core.http import OutboundHttp
from localexa.server.core.openapi import install_openapi
from localexa.server.core.operation_ids import operation_id
from localexa.server.core.rate_limit import WindowLimiter, forget_rate_limits
from localexa.server.core.redis_guard import RedisHealth
from localexa.server.core.regions import RegionMiddleware
from localexa.server.core.request_guard import RequestGuardMiddleware
from localexa.server.core.request_id import RequestIdMiddleware
from localexa.server.core.unexpected import UnexpectedErrorMiddleware
from localexa.server.db.autovacuum import warn_without_autovacuum
from localexa.server.db.engine import create_engine
from localexa.server.db.file_modes import warn_if_open_to_others
from localexa.server.db.migrate import upgrade_to_head
from localexa.server.db.session import ReadsOnlyMiddleware
from localexa.server.evaluation.worker import start_evaluation_worker, stop_evaluation_worker
from localexa.server.lwa.expired import ExpiredSweeper, Swept
from localexa.server.lwa.key_check import check_secret_key
from localexa.server.lwa.key_confirmation import settle
from localexa.server.lwa.token_cache import TokenCache, watch_revocations
from localexa.server.lwa.tokens import LwaTokenVerifier
from localexa.server.observe.install import install_observability, start_observability, stop_observability
from localexa.server.observe.middleware import ObserveMiddleware
from localexa.server.observe.state import on_reset
from localexa.server.settings import Settings

logger = logging.getLogger("localexa")

#: Run after the database is ready, in order (demo seeding, background workers).
StartupHook = Callable[[FastAPI], Awaitable[None]]
#: A refusal to start, decided in the migration's transaction before it commits (db/migrate.py):
#: raising, it leaves an older database at its own revision. Given the connection, the settings
#: and the secret box.
StartCheck = Callable[[AsyncConnection, Settings, SecretBox], Awaitable[None]]


def create_app(
    settings: Settings | None = None,
    *,
    startup_hooks: list[StartupHook] | None = None,
    start_checks: list[StartCheck] | None = None,
) -> FastAPI:
    settings = settings or Settings()
    hooks = list(startup_hooks or [])
    checks = list(start_checks or [])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.ensure_data_dir()
        engine = create_engine(settings.resolved_database_url())
        box = SecretBox(settings.resolved_secret_key(), password_hash_n=settings.password_hash_n)

        async def refuse(conn: AsyncConnection) -> None:
            # Unconfirmed (an upgraded database that cannot tell): nothing is written under the
            # key until a secret the database holds confirms it (lwa/key_confirmation.py).
            box.key_confirmed = await check_secret_key(conn, box)
            for check in checks:
                await check(conn, settings, box)

        try:
            await upgrade_to_head(engine, refuse)  # a refusal leaves the database unmigrated
        except BaseException:
            await engine.dispose()
            raise
        clock = Clock()
        await clock.refresh(engine, force=True)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessions = async_sessionmaker(engine, expire_on_commit=False)
        app.state.clock = clock
        app.state.box = box
        app.state.admin_key = settings.resolved_admin_key()
        if engine.dialect.name == "postgresql" and not settings.redis_url:
            # lwa/token_cache.py: without Redis no other process hears of a revocation made here.
            logger.warning(
                "PostgreSQL without LOCALEXA_REDIS_URL: serve this database from this one process "
                "only; processes that use Redis would not learn of the tokens this one revokes"
            )
        if engine.dialect.name == "postgresql":
            await warn_without_autovacuum(engine)  # else the journal's table grows for ever
        app.state.outbound = OutboundHttp(ca_file=settings.outbound_ca_file)
        # Cached token checks need every revocation to reach this process (lwa/token_cache.py).
        # One rest after a slow Redis failure for every Redis use of the app (core/redis_guard.py).
        app.state.redis_health = redis_health = RedisHealth()
        token_cache = TokenCache.open(
            redis_url=settings.redis_url, single_process=engine.dialect.name == "sqlite", health=redis_health
        )
        watch_revocations(engine, token_cache)
        if settings.redis_url:
            await token_cache.epoch()  # Redis unreachable: said now (once), not at the first call
        app.state.token_verifier = LwaTokenVerifier(token_cache)
        await start_observability(app)
        # After the journal's file is created: an upgraded data dir may be readable by others.
        warn_if_open_to_others(settings.data_dir, settings.resolved_database_url())
        app.state.rate_limiter = WindowLimiter.from_settings(
            settings.rate_limit, settings.redis_url, settings.sign_in_rate_limit, health=redis_health
        )
        metrics = app.state.metrics

        def count_swept(swept: Swept) -> None:
            metrics.count_expired_deleted(swept.codes, swept.access_tokens, swept.revoked_tokens)

        # Expired codes and access tokens go a day after they expire (lwa/expired.py).
        app.state.expired_sweeper = sweeper = ExpiredSweeper(engine, clock, on_swept=count_swept)
        try:
            for hook in hooks:
                await hook(app)
            await start_evaluation_worker(app)
            sweeper.start()
            yield
        finally:
            await sweeper.stop()
            await stop_evaluation_worker(app)
            await stop_observability(app)
            await app.state.rate_limiter.aclose()
            await token_cache.aclose()
            await app.state.outbound.aclose()
            await settle(box)  # a confirmed key's recording, before its engine goes
            await engine.dispose()

    app = FastAPI(
        title="localexa",
        version=__version__,
        description="The Alexa smart home cloud APIs on your own machine.",
        lifespan=lifespan,
        # The page is localexa's own, with Swagger UI served from the package (core/docs_page.py).
        # FastAPI also served /docs/oauth2-redirect, outside /_localexa/: Swagger UI needs it only
        # for OAuth2 flows, and the document's schemes are bearer, basic and an API key.
        docs_url=None,
        swagger_ui_oauth2_redirect_url=None,
        redoc_url=None,
        openapi_url="/_localexa/openapi.json",
        generate_unique_id_function=operation_id,  # short camelCase operationIds (core/operation_ids.py)
        # Amazon's APIs answer a path with a trailing slash as any unknown path; Starlette's 307 to
        # the path without it is an empty body no client follows (httpx does not by default).
        redirect_slashes=False,
    )
    install_docs_page(app, "/_localexa/openapi.json")
    families = include_areas(app)
    install_error_handlers(app, families)
    app.state.families = families
    install_openapi(app, families)  # every route's error shapes and credentials (core/openapi.py)
    # Outermost last: RequestId, Region, journal, faults, RequestGuard, ClockRefresh, then the
    # unexpected errors' 500 (observe/install.py; core/unexpected.py).
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(ClockRefreshMiddleware)
    app.add_middleware(
        RequestGuardMiddleware,
        max_bytes=settings.max_body_bytes,
        client_timeout=settings.client_timeout,
        restore_bytes=settings.max_restore_bytes,
    )
    install_observability(app, settings)
    # HEAD answers as GET (RFC 9110 §9.3.2), its body dropped just inside the journal (core/head.py).
    install_head(app, families, inside=ObserveMiddleware)
    on_reset(app, forget_rate_limits)
    app.add_middleware(RegionMiddleware, ports=settings.region_ports())
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(ReadsOnlyMiddleware)  # outermost: GET/HEAD take no SQLite write lock (db/engine.py)
    return app
