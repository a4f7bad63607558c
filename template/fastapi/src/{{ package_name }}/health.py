import asyncio
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .api.deps import DatabaseDep
from .errors import ServiceUnavailable

# A readiness probe that hangs is worse than one that fails: orchestrators time out anyway.
READINESS_TIMEOUT_SECONDS = 2

router = APIRouter()


class Health(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/healthz", name="liveness")
async def liveness() -> Health:
    return Health()


@router.get("/readyz", name="readiness")
async def readiness(database: DatabaseDep) -> Health:
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS), database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except (OSError, SQLAlchemyError, TimeoutError) as error:
        raise ServiceUnavailable("The database is not reachable.") from error
    return Health()
