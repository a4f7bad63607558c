"""Liveness and readiness probes."""

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import AppFactory, client_for, expect
from .database import ThrowawayDatabase, execute


async def test_liveness_answers_without_credentials(client: httpx.AsyncClient) -> None:
    assert expect(await client.get("/healthz"), 200) == {"status": "ok"}


async def test_readiness_checks_the_database(client: httpx.AsyncClient) -> None:
    assert expect(await client.get("/readyz"), 200) == {"status": "ok"}


async def test_readiness_fails_while_the_database_refuses_the_service(
    start_app: AppFactory, superuser_db: AsyncEngine, migrated: ThrowawayDatabase
) -> None:
    async with start_app() as app, client_for(app) as client:
        # No pooled connection left, and no new one allowed.
        await app.state.database.engine.dispose()
        await execute(superuser_db, f"ALTER ROLE {migrated.app_role} NOLOGIN")
        try:
            unavailable = await client.get("/readyz")
        finally:
            await execute(superuser_db, f"ALTER ROLE {migrated.app_role} LOGIN")
        alive = await client.get("/healthz")
        ready_again = await client.get("/readyz")

    expect(unavailable, 503)
    assert migrated.app_role not in unavailable.text, "the driver's error leaked"
    expect(alive, 200)
    expect(ready_again, 200)
