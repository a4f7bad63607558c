"""The tenant unit of work: each tenant-scoped request runs in one transaction that carries its
tenant in the transaction-local setting app.tenant_id, which the row-level security policies of
the tenant tables read.

Queries still filter by tenant_id themselves (the planner uses the tenant-leading indexes, and a
distributed database would route by it); the policies make a forgotten filter harmless.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, event, func
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import ConnectionPoolEntry

from .db import is_unavailable
from .errors import BadRequest
from .ids import parse_canonical_uuid
from .tenants.membership import RoleLookup
from .tenants.models import Role

TENANT_HEADER = "X-Tenant-ID"

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TenantContext:
    """A request's tenant, the caller and the caller's role there, and the session whose
    transaction is bound to that tenant."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    session: AsyncSession


def _set_tenant(tenant: BindParameter[str]) -> ColumnElement[str]:
    # is_local=true: the setting ends with the transaction, so a pooled connection never
    # carries one request's tenant into the next.
    return func.set_config("app.tenant_id", tenant, True)


# The one membership lookup (tenants/membership.py), also setting the tenant, for members only.
_enter = RoleLookup(_set_tenant)


async def enter_tenant(
    session: AsyncSession, user_id: uuid.UUID, header_values: Sequence[str]
) -> TenantContext:
    """Bind the session's transaction to the tenant of the header, for a member of it.

    One round trip: the caller's row (gone: 401), the caller's membership (none, or no such
    tenant: 404) and, for members only, the transaction-local tenant setting.
    """
    tenant_id = _parse_tenant_header(header_values)
    role = await _enter(session, tenant_id, user_id)
    return TenantContext(tenant_id=tenant_id, user_id=user_id, role=role, session=session)


def _parse_tenant_header(values: Sequence[str]) -> uuid.UUID:
    if not values:
        message = f"Send the id of the tenant to act in as the {TENANT_HEADER} header."
    elif len(values) > 1:
        message = f"Send the {TENANT_HEADER} header once: a request acts in one tenant."
    elif (tenant_id := parse_canonical_uuid(values[0])) is None:
        message = f"The {TENANT_HEADER} header must be a tenant id (a UUID)."
    else:
        return tenant_id
    pointer = f"/header/{TENANT_HEADER.lower()}"
    raise BadRequest(message, errors=[{"pointer": pointer, "message": message}])


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


class IsolationBypassed(RuntimeError):
    """The database role could read across tenants, so the service refuses to use it."""


def guard_isolation(engine: AsyncEngine) -> None:
    """Check the role of every connection the pool opens, before its first use.

    Checked per connection rather than once at start-up: a service that started while its
    database was down (or a worker restarted during an outage) must not skip the check, and a
    role altered later is caught as its new connections open. One catalog query per connection.
    """
    event.listen(engine.sync_engine, "connect", _refuse_bypassing_role)


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


async def verify_isolation(engine: AsyncEngine) -> None:
    """At start-up: refuse to start (IsolationBypassed) as a role that bypasses tenant
    isolation. A database that cannot be reached yet is no reason to exit: the service starts,
    answers 503 until it can, and guard_isolation checks each connection as it opens."""
    try:
        async with engine.connect():
            pass
    except Exception as error:
        if not is_unavailable(error):
            raise
        logger.warning(
            "database unreachable at start-up; answering 503 until it is reachable",
            extra={"error": type(error).__name__},
        )
