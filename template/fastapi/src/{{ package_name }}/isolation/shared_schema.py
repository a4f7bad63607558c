"""Shared-schema isolation: every tenant's rows live in the same tables, told apart by tenant_id,
and row-level security shows a transaction only the rows of the tenant in its transaction-local
setting app.tenant_id. With no tenant set, the tenant tables read as empty.

Queries still filter by tenant_id themselves (the planner uses the tenant-leading indexes, and a
distributed database would route by it); the policies make a forgotten filter harmless.
"""

from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import BindParameter, ColumnElement, event, func
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import ConnectionPoolEntry

from ..config import DatabaseSettings
from ..tenants import repository
from ..tenants.membership import RoleLookup
from ..tenants.models import Membership, Role, Tenant
from . import FleetProgress, FleetReport, IsolationBypassed, IsolationModel


def _set_tenant(tenant: BindParameter[str]) -> ColumnElement[str]:
    # is_local=true: the setting ends with the transaction, so a pooled connection never
    # carries one request's tenant into the next.
    return func.set_config("app.tenant_id", tenant, True)


class SharedSchema(IsolationModel):
    # Every tenant reads the same tables, so a cached statement fits them all.
    statement_cache = True

    def __init__(self, settings: DatabaseSettings) -> None:
        # Nothing to read in the settings: the service's one engine is all this model uses.
        self._enter = RoleLookup(_set_tenant)

    async def bind(self, session: AsyncSession, tenant_id: UUID, user_id: UUID) -> Role:
        # One round trip: the caller's row, the caller's membership and, for members only, the
        # tenant setting.
        return await self._enter(session, tenant_id, user_id)

    async def provision(self, session: AsyncSession, tenant: Tenant, owner_id: UUID) -> Membership:
        # A tenant is its row: its data goes into the shared tables, under the policies.
        return await repository.add_tenant(session, tenant, owner_id)

    def guard(self, engine: AsyncEngine) -> None:
        # One catalog query per connection.
        event.listen(engine.sync_engine, "connect", _refuse_bypassing_role)

    async def migrate_tenants(self, migrations: Path, progress: FleetProgress) -> FleetReport:
        # A tenant has nothing of its own: its rows live in the shared tables, which the
        # shared migrations have just upgraded.
        return FleetReport()

    async def close(self) -> None:
        pass


# The role the service connects as must be subject to row-level security: not a superuser, not
# BYPASSRLS, and neither owning a table with a policy nor belonging to a role that does (owners
# skip policies unless FORCE is set, and could drop them).
_ISOLATION_BYPASSES = """
    SELECT r.rolsuper,
           r.rolbypassrls,
           ARRAY(
               SELECT c.relname::text
               FROM pg_class c
               WHERE c.relrowsecurity AND pg_has_role(r.oid, c.relowner, 'USAGE')
               ORDER BY c.relname
           ) AS owned_tables
    FROM pg_roles r
    WHERE r.rolname = current_user
"""


def _refuse_bypassing_role(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    try:
        # The driver-level cursor, in a transaction it rolls back: the same path as every
        # other statement, so it works behind a transaction pooler too.
        cursor = dbapi_connection.cursor()
        cursor.execute(_ISOLATION_BYPASSES)
        superuser, bypassrls, owned_tables = cursor.fetchone()
        dbapi_connection.rollback()
    except BaseException:
        dbapi_connection.terminate()
        raise
    problems = []
    if superuser:
        problems.append("is a superuser")
    if bypassrls:
        problems.append("has BYPASSRLS")
    if owned_tables:
        problems.append(f"owns the tenant tables {', '.join(owned_tables)}")
    if problems:
        dbapi_connection.terminate()
        msg = (
            f"Refusing to serve: the role of DATABASE_URL {' and '.join(problems)}, so row-level "
            "security would not isolate tenants. Connect as the app role and run migrations "
            "as the owner role (MIGRATION_DATABASE_URL)."
        )
        raise IsolationBypassed(msg)
