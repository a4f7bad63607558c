"""Where the tests find a tenant's rows under shared_schema: in the shared tables, by tenant_id."""

import contextlib
from collections.abc import AsyncIterator
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

# Roles the model needs besides the owner and the app role: none.
ROLES: dict[str, str] = {}


def tenant_table(tenant_id: str | UUID, table: str) -> str:
    """The name of the table that holds the tenant's rows: all tenants share it."""
    return table


@contextlib.asynccontextmanager
async def tenant_rows(engine: AsyncEngine, tenant_id: str | UUID) -> AsyncIterator[AsyncEngine]:
    """An engine whose database holds the tenant's rows: engine itself."""
    yield engine


async def drop_tenants(owner: AsyncEngine, superuser: AsyncEngine) -> None:
    """A tenant is its rows, which truncating the tables removed."""
