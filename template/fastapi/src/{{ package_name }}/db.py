from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import URL, DateTime, MetaData, Text, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from .config import Settings

UNIQUE_VIOLATION = "23505"
POOL_RECYCLE_SECONDS = 1800

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


def async_url(url: str) -> URL:
    """The URL with the asyncpg driver, so plain postgresql:// URLs work everywhere."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        return parsed.set(drivername="postgresql+asyncpg")
    return parsed


def connect(settings: Settings) -> Database:
    # One pool per process (each server worker builds its own in the lifespan). No ping per
    # checkout: it would cost two round trips (BEGIN; ROLLBACK) on every request. A connection
    # the server dropped fails its request instead, and the pool then replaces every connection
    # opened before the failure; connections are also renewed after pool_recycle seconds,
    # before firewalls or server timeouts cut idle ones.
    engine = create_async_engine(
        async_url(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_recycle=POOL_RECYCLE_SECONDS,
    )
    # Async code cannot lazy-load expired attributes, so keep them readable after a commit.
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False))


async def flush_unique(session: AsyncSession) -> None:
    """Flush pending writes, reporting a unique-constraint violation as DuplicateError."""
    try:
        await session.flush()
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION:
            raise DuplicateError from error
        raise
