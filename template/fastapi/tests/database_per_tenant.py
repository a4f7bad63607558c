"""Where the tests find a tenant's rows under database_per_tenant: in the tenant's own database,
which the provisioning role creates and owns."""

import contextlib
from collections.abc import AsyncIterator
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

# Roles the model needs besides the owner and the app role: the setting that holds its URL, and
# what it may do. Each is named <database>_<suffix> (see ThrowawayDatabase).
ROLES = {"provision_database_url": "provisioner LOGIN NOSUPERUSER CREATEDB NOCREATEROLE"}


def tenant_table(tenant_id: str | UUID, table: str) -> str:
    """The name of the tenant table that holds the tenant's rows, in the tenant's database."""
    return table


@contextlib.asynccontextmanager
async def tenant_rows(engine: AsyncEngine, tenant_id: str | UUID) -> AsyncIterator[AsyncEngine]:
    """An engine of engine's role in the tenant's database, which holds the tenant's rows."""
    database = f"tenant_{UUID(str(tenant_id)).hex}"
    tenant = create_async_engine(engine.url.set(database=database), poolclass=NullPool)
    try:
        yield tenant
    finally:
        await tenant.dispose()


async def drop_tenants(owner: AsyncEngine, superuser: AsyncEngine) -> None:
    """The tenants' rows are gone: their databases go too (dropped by the server's admin, as no
    request can)."""
    engine = superuser.execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        names = await conn.scalars(
            text(
                "SELECT datname FROM pg_database WHERE datname ~ '^tenant_[0-9a-f]{32}$' "
                "AND datdba = (SELECT oid FROM pg_roles "
                "WHERE rolname = current_database() || '_provisioner')"
            )
        )
        for name in names.all():
            await conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
