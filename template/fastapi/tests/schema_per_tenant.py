"""Where the tests find a tenant's rows under schema_per_tenant: in the tenant's own schema."""

import contextlib
from collections.abc import AsyncIterator
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# Roles the model needs besides the owner and the app role: none.
ROLES: dict[str, str] = {}


def tenant_table(tenant_id: str | UUID, table: str) -> str:
    """The name of the tenant table that holds the tenant's rows (for the superuser and the
    owner, who have no search path to the tenant's schema)."""
    return f"tenant_{UUID(str(tenant_id)).hex}.{table}"


@contextlib.asynccontextmanager
async def tenant_rows(engine: AsyncEngine, tenant_id: str | UUID) -> AsyncIterator[AsyncEngine]:
    """An engine whose database holds the tenant's rows: engine itself."""
    yield engine


async def drop_tenants(owner: AsyncEngine, superuser: AsyncEngine) -> None:
    """The tenants' rows are gone: their schemas go too (dropped by the owner, as no request
    can)."""
    async with owner.begin() as conn:
        schemas = await conn.scalar(
            text(
                "SELECT string_agg(quote_ident(nspname), ', ') FROM pg_namespace "
                "WHERE nspname ~ '^tenant_[0-9a-f]{32}$'"
            )
        )
        if schemas:
            await conn.execute(text(f"DROP SCHEMA {schemas} CASCADE"))
