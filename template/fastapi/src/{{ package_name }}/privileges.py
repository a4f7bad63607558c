"""The app role's privileges: DML on the tables, nothing more.

The service connects as a role that owns nothing and can create nothing, so a request (or an
injected statement) can read and write rows but never change the schema, drop a table, or grant
itself more. The check runs on every connection the pool opens, before its first use: a service
that started while its database was down must not skip it, and a role altered later is caught
as its new connections open.
"""

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry

from .db import is_unavailable

logger = logging.getLogger(__name__)


class PrivilegedRole(RuntimeError):
    """The database role could change the schema, so the service refuses to use it."""


# What the role could do beyond DML, one phrase per finding. pg_has_role(..., 'USAGE') counts
# what the role holds through roles it inherits, not only as itself.
_EXCESS_PRIVILEGES = """
SELECT array_remove(ARRAY[
    CASE WHEN r.rolsuper THEN 'is a superuser' END,
    CASE WHEN r.rolcreatedb THEN 'may create databases' END,
    CASE WHEN r.rolcreaterole THEN 'may create roles' END,
    (SELECT 'may act as ' || string_agg(quote_ident(p.rolname), ', ' ORDER BY p.rolname)
     FROM pg_roles p
     WHERE p.oid <> r.oid AND (p.rolsuper OR p.rolcreatedb OR p.rolcreaterole)
       AND pg_has_role(r.oid, p.oid, 'MEMBER')
     HAVING count(*) > 0),
    CASE WHEN pg_has_role(d.datdba, 'USAGE') THEN 'acts as the owner of the database' END,
    CASE WHEN has_database_privilege(d.oid, 'CREATE') THEN 'may create schemas' END,
    (SELECT 'may create objects in ' || string_agg(quote_ident(n.nspname), ', ' ORDER BY n.nspname)
     FROM pg_namespace n
     WHERE has_schema_privilege(n.oid, 'CREATE') AND n.nspname !~ '^pg_(toast_)?temp_'
     HAVING count(*) > 0),
    (SELECT 'owns the tables ' || string_agg(quote_ident(c.relname), ', ' ORDER BY c.relname)
     FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
       AND pg_has_role(c.relowner, 'USAGE')
     HAVING count(*) > 0)
], NULL)
FROM pg_roles r, pg_database d
WHERE r.rolname = current_user AND d.datname = current_database()
"""


def guard_privileges(engine: AsyncEngine) -> None:
    """Check the role of every connection the engine opens (one catalog query each)."""
    event.listen(engine.sync_engine, "connect", _refuse_privileged_role)


async def verify_privileges(engine: AsyncEngine) -> None:
    """At start-up: refuse to start (PrivilegedRole) as a role with more than DML, by opening
    one connection of a guarded engine. A database that cannot be reached yet is no reason to
    exit: the service starts, answers 503 until it can, and the guard checks each connection
    as it opens."""
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


def _refuse_privileged_role(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    try:
        # The driver-level cursor, in a transaction it rolls back: the same path as every
        # other statement, so it works behind a transaction pooler too.
        cursor = dbapi_connection.cursor()
        cursor.execute(_EXCESS_PRIVILEGES)
        (problems,) = cursor.fetchone()
        dbapi_connection.rollback()
    except BaseException:
        dbapi_connection.terminate()
        raise
    if problems:
        dbapi_connection.terminate()
        msg = (
            f"Refusing to serve: the role of DATABASE_URL {' and '.join(problems)}, so a request "
            "could change the schema. Connect as the app role and run migrations as the owner "
            "role (MIGRATION_DATABASE_URL)."
        )
        raise PrivilegedRole(msg)
