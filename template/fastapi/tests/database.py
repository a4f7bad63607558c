"""A throwaway PostgreSQL database with the two roles the service runs with, and the migrations
that build its schema.

The owner role owns the database and runs the migrations; the app role serves requests and is
LOGIN NOSUPERUSER NOBYPASSRLS, so row-level security applies to it exactly as in production.
"""

import asyncio
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from pydantic_settings import BaseSettings
from sqlalchemy import URL, Row, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def asyncpg_url(url: str | URL) -> URL:
    return make_url(url).set(drivername="postgresql+asyncpg")


def _admin(url: URL) -> AsyncEngine:
    return create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")


@dataclass(frozen=True)
class ThrowawayDatabase:
    name: str
    owner_role: str
    app_role: str
    superuser_url: URL
    """The admin of the server, connected to this database: sees every row, RLS or not."""
    owner_url: URL
    app_url: URL

    @classmethod
    async def create(cls, admin_url: URL) -> "ThrowawayDatabase":
        # Names and passwords are generated here, never taken from input: safe to interpolate.
        name = f"test_{secrets.token_hex(6)}"
        owner_password, app_password = secrets.token_hex(16), secrets.token_hex(16)
        async with _admin(admin_url).connect() as conn:
            is_superuser = await conn.scalar(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            )
            if not is_superuser:
                raise RuntimeError(
                    "TEST_DATABASE_URL must name a superuser (for example postgres): the tests "
                    "create roles, including one with BYPASSRLS, and inspect every row."
                )
            await conn.execute(text(f"CREATE ROLE {name}_owner LOGIN PASSWORD '{owner_password}'"))
            await conn.execute(
                text(
                    f"CREATE ROLE {name}_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                    f"NOBYPASSRLS PASSWORD '{app_password}'"
                )
            )
            await conn.execute(text(f"CREATE DATABASE {name} OWNER {name}_owner"))
        server = admin_url.set(database=name)
        return cls(
            name=name,
            owner_role=f"{name}_owner",
            app_role=f"{name}_app",
            superuser_url=server,
            owner_url=server.set(username=f"{name}_owner", password=owner_password),
            app_url=server.set(username=f"{name}_app", password=app_password),
        )

    async def create_sibling(self, admin_url: URL) -> URL:
        """Another empty database owned by the owner role; returns its owner URL."""
        name = f"{self.name}_{secrets.token_hex(3)}"
        async with _admin(admin_url).connect() as conn:
            await conn.execute(text(f"CREATE DATABASE {name} OWNER {self.owner_role}"))
        return self.owner_url.set(database=name)

    async def drop_sibling(self, admin_url: URL, url: URL) -> None:
        async with _admin(admin_url).connect() as conn:
            await conn.execute(text(f"DROP DATABASE {url.database} WITH (FORCE)"))

    async def drop(self, admin_url: URL) -> None:
        async with _admin(admin_url).connect() as conn:
            databases = await conn.scalars(
                text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
                {"prefix": f"{self.name}%"},
            )
            for database in databases.all():
                await conn.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            for role in (self.app_role, self.owner_role):
                await conn.execute(text(f"DROP ROLE IF EXISTS {role}"))


async def fetch(engine: AsyncEngine, sql: str, **params: Any) -> list[Row[Any]]:
    async with engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def scalar(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def execute(engine: AsyncEngine, sql: str, **params: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(text(sql), params)


class Migrations:
    """The project's Alembic migrations, run in-process against one database."""

    def __init__(self, settings: BaseSettings) -> None:
        # No alembic.ini: its logging configuration would take over the test run's logging.
        self._config = Config()
        self._config.set_main_option("script_location", str(MIGRATIONS))
        self._config.attributes["settings"] = settings

    # env.py runs the migrations in an event loop of its own, so they get a thread of their own.
    async def upgrade(self, revision: str = "head") -> None:
        await asyncio.to_thread(command.upgrade, self._config, revision)

    async def downgrade(self, revision: str = "base") -> None:
        await asyncio.to_thread(command.downgrade, self._config, revision)
