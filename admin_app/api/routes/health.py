"""Health checks for load balancers: the process is up; the database and Redis answer."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.asyncio import Redis

from admin_app.api.deps import AppSettings
from admin_app.hot_reads import fetch_all

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 2.0
RETRY_AFTER_SECONDS = 5
_PING = sa.select(sa.literal(1))


class Live(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    database: str
    redis: str


@router.get("/healthz")
async def healthz() -> Live:
    """200 while the process serves requests; it checks nothing else, on purpose."""
    return Live(status="ok")


async def _database() -> str:
    try:
        await asyncio.wait_for(fetch_all(_PING, {}), CHECK_TIMEOUT_SECONDS)
    except Exception:  # any failure means "not ready"; the answer says which part
        return "down"
    return "ok"


async def _redis(url: str | None) -> str:
    if url is None:
        return "not configured"
    # A client per check: nothing that holds a socket lives across a fork.
    client = Redis.from_url(url, socket_timeout=CHECK_TIMEOUT_SECONDS)
    try:
        # redis-py types ping() for its sync and async clients alike.
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT_SECONDS)  # type: ignore[arg-type]
    except Exception:
        return "down"
    finally:
        await client.aclose()
    return "ok"


@router.get(
    "/readyz",
    response_model=Ready,
    responses={503: {"description": "The database or Redis does not answer"}},
)
async def readyz(settings: AppSettings) -> Ready | JSONResponse:
    """200 when the database (and Redis, when REDIS_URL is set) answer; 503 otherwise."""
    database, redis = await asyncio.gather(_database(), _redis(settings.redis_url))
    if "down" in (database, redis):
        return JSONResponse(
            {
                "detail": f"Not ready: the database is {database}, Redis is {redis}.",
                "code": "not_ready",
                "database": database,
                "redis": redis,
            },
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return Ready(status="ok", database=database, redis=redis)
