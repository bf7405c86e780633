"""The framework floor: FastAPI and SQLAlchemy doing the least an authenticated GET can do.

    .venv/bin/python -m bench.floor_app --port 18301 --data-dir /tmp/floor

One route, `GET /v1/skills/{skill_id}/stages/{stage}/enablement`, on the same uvicorn settings
as `localexa serve`: a FastAPI dependency reads the bearer token, then one indexed SELECT on a
SQLite file (through localexa's own engine, so the same driver) decides 204 or 404. No token
check, journal, metrics, rate limit, faults or error families. The gap between this row and the
bare Starlette app is the price of the stack; the gap between localexa and this row is
localexa's own work.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from sqlalchemy import bindparam, text

from bench.bare_app import serve
from localexa.server.db.engine import create_engine

SKILL_ID = "amzn1.ask.skill.floor"
_STATUS = text(
    "SELECT stage FROM enablements WHERE skill_id = :skill_id AND customer_id = :user_id"
).bindparams(bindparam("skill_id"), bindparam("user_id"))


async def bearer(authorization: Annotated[str | None, Header()] = None) -> str:
    if not authorization:
        raise HTTPException(401, "no token")
    return "floor-user"


def build(data_dir: Path) -> FastAPI:
    data_dir.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(f"sqlite:///{data_dir / 'floor.db'}")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS enablements (skill_id TEXT, customer_id TEXT, stage TEXT,"
                    " PRIMARY KEY (skill_id, customer_id))"
                )
            )
            await conn.execute(
                text("INSERT OR IGNORE INTO enablements VALUES (:s, 'floor-user', 'development')"),
                {"s": SKILL_ID},
            )
        app.state.engine = engine
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/v1/skills/{skill_id}/stages/{stage}/enablement", status_code=204)
    async def status(
        skill_id: str, stage: str, request: Request, user: Annotated[str, Depends(bearer)]
    ) -> Response:
        # The path's skill id is not looked up (the table holds one row); the statement is the same.
        async with request.app.state.engine.connect() as conn:
            found = (await conn.execute(_STATUS, {"skill_id": SKILL_ID, "user_id": user})).scalar()
        return Response(status_code=204 if found == stage else 404)

    @app.get("/_localexa/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    serve(build(args.data_dir), args.port, lifespan="on")


if __name__ == "__main__":
    main()
