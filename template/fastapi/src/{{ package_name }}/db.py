import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import URL, DateTime, MetaData, Text, event, make_url
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry

from .config import DatabaseSettings

logger = logging.getLogger(__name__)

UNIQUE_VIOLATION = "23505"
POOL_RECYCLE_SECONDS = 1800
# A pooled connection unused for longer than this is pinged before it is handed out (as pgxpool
# does): the server may have restarted, or a firewall dropped the idle connection, meanwhile.
PING_AFTER_IDLE_SECONDS = 1.0
# SQLSTATEs that say "the database cannot serve you now" rather than "this request is wrong":
# connection exceptions (class 08), shutdown and start-up (57P01-57P03), too many connections,
# and a statement cancelled by its timeout.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "57014"})
_UNREACHABLE = (sa_exc.TimeoutError, sa_exc.DisconnectionError, sa_exc.InterfaceError, OSError)

# Deterministic constraint names, so migrations can refer to them and autogenerate agrees.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # PostgreSQL idioms: text rather than varchar(n), timestamps always with a time zone.
    type_annotation_map: ClassVar[dict[Any, Any]] = {str: Text, datetime: DateTime(timezone=True)}


class DuplicateError(Exception):
    """A write hit a unique constraint; the service decides what that means to the client."""


@dataclass(frozen=True, slots=True)
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


def async_url(url: str | URL) -> URL:
    """The URL with the asyncpg driver, so plain postgresql:// URLs work everywhere."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        return parsed.set(drivername="postgresql+asyncpg")
    return parsed


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def connect_args(settings: DatabaseSettings, *, statement_cache: bool = True) -> dict[str, Any]:
    """asyncpg's connection options. No server settings (such as statement_timeout): a
    transaction pooler refuses unknown start-up parameters. statement_cache=False turns the
    statement caches off, for a service in which one SQL text can read tables whose shape
    differs from one transaction to the next (a search path per transaction)."""
    args: dict[str, Any] = {
        "timeout": settings.db_connect_timeout_seconds,
        # Client-side: asyncpg cancels the statement and raises TimeoutError when it is due.
        "command_timeout": settings.db_statement_timeout_seconds,
    }
    if settings.database_pooler == "transaction" or not statement_cache:
        # A transaction pooler gives each transaction whichever server connection is free, so a
        # statement prepared in one transaction may be missing (or a name taken) in the next:
        # no statement caches, and names no other client can collide with (SQLAlchemy's
        # documented PgBouncer recipe). Without caches, a statement is also planned afresh
        # for whichever tables the transaction's search_path names.
        args |= {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": _unique_statement_name,
        }
    return args


def connect(settings: DatabaseSettings, *, statement_cache: bool = True) -> Database:
    # One pool per process (each server worker builds its own in the lifespan).
    engine = create_engine(
        settings.database_url,
        settings,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        statement_cache=statement_cache,
    )
    # Async code cannot lazy-load expired attributes, so keep them readable after a commit.
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False))


def create_engine(
    url: str | URL,
    settings: DatabaseSettings,
    *,
    pool_size: int,
    max_overflow: int,
    statement_cache: bool = True,
) -> AsyncEngine:
    """An engine of the service's pool settings. Parameters are never logged or put into
    exception messages: they carry emails and password hashes."""
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_recycle=POOL_RECYCLE_SECONDS,
        # Most recently used first: under light load a few connections stay warm (and skip the
        # idle ping below) instead of every connection in turn idling past it.
        pool_use_lifo=True,
        hide_parameters=True,
        connect_args=connect_args(settings, statement_cache=statement_cache),
    )
    event.listen(engine.sync_engine.pool, "checkout", _check_alive)
    event.listen(engine.sync_engine.pool, "checkin", _note_idle_since)
    return engine


def _note_idle_since(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["idle_since"] = time.monotonic()


def _check_alive(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
    """Refuse a pooled connection the server has gone away from; the pool then opens a new one.

    A connection the server closed (a restart, pg_terminate_backend) is known to asyncpg without
    a round trip. One idle for a while is pinged, since a silently dropped connection is not.
    Busy connections skip the ping: it would cost a round trip per request, and when one does
    fail, SQLAlchemy replaces every connection opened before the failure.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise sa_exc.DisconnectionError
    idle_since = record.info.get("idle_since")
    if idle_since is not None and time.monotonic() - idle_since > PING_AFTER_IDLE_SECONDS:
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise sa_exc.DisconnectionError from error


def refuse_roles(
    engine: AsyncEngine, findings_query: str, refusal: Callable[[list[str]], Exception]
) -> None:
    """Run findings_query on every connection the engine opens, before its first use: one row
    holding an array of what the connection's role could do that the service must not (empty:
    nothing). A connection with findings is closed, and refusal(findings) raised.

    Checked per connection rather than once at start-up: a service that started while its
    database was down (or a worker restarted during an outage) must not skip the check, and a
    role altered later is caught as its new connections open.
    """

    def check(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        try:
            # The driver-level cursor, in a transaction it rolls back: the same path as every
            # other statement, so it works behind a transaction pooler too.
            cursor = dbapi_connection.cursor()
            cursor.execute(findings_query)
            (findings,) = cursor.fetchone()
            dbapi_connection.rollback()
        except BaseException:
            dbapi_connection.terminate()
            raise
        if findings:
            dbapi_connection.terminate()
            raise refusal(findings)

    event.listen(engine.sync_engine, "connect", check)


async def check_role_at_start(engine: AsyncEngine) -> None:
    """Refuse to start as a role the engine's refuse_roles check refuses, by opening one of its
    connections. A database that cannot be reached yet is no reason to exit: the service starts,
    answers 503 until it can, and the check runs on each connection as it opens."""
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


async def flush_unique(session: AsyncSession) -> None:
    """Flush pending writes, reporting a unique-constraint violation as DuplicateError."""
    try:
        await session.flush()
    except IntegrityError as error:
        if sqlstate(error) == UNIQUE_VIOLATION:
            raise DuplicateError from error
        raise


def _driver_errors(error: BaseException) -> list[BaseException]:
    """The error and what it wraps (SQLAlchemy's .orig, then the chain of causes)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = getattr(current, "orig", None) or current.__cause__
    return chain


def sqlstate(error: BaseException) -> str | None:
    for part in _driver_errors(error):
        if isinstance(code := getattr(part, "sqlstate", None), str):
            return code
    return None


def constraint_name(error: BaseException) -> str | None:
    for part in _driver_errors(error):
        if isinstance(name := getattr(part, "constraint_name", None), str):
            return name
    return None


def is_unavailable(error: BaseException) -> bool:
    """Whether the error means the database cannot be reached or answered too late (503), as
    opposed to a bug or a broken rule (500)."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    code = sqlstate(error)
    if code is not None:
        return code.startswith("08") or code in _UNAVAILABLE_SQLSTATES
    # No SQLSTATE: the pool's wait, a connect or statement timeout, a refused or reset socket.
    return any(isinstance(part, _UNREACHABLE) for part in _driver_errors(error))
