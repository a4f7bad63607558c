"""`migrate` for the isolation models that keep tables per tenant: the tenant migrations (the SQL
files of migrations/tenant/), recorded in tenancy.migrations, and a fleet upgrade that brings
every tenant up to date, several at once.
"""

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from . import FleetProgress, FleetReport, TenantFailure

# A tenant migration file: the version, then "_" and a name (0002_add_invoices.sql).
_TENANT_MIGRATION = re.compile(r"(?P<version>[0-9]+)_[A-Za-z0-9_]+\.sql")

type Upgrade = Callable[[UUID], Awaitable[int]]
"""Brings one tenant up to date in a transaction of its own: how many migrations it applied."""


async def record_tenant_migrations(engine: AsyncEngine, directory: Path) -> None:
    """Record every tenant migration in tenancy.migrations, in one transaction: refused, all of
    them, when one differs from the migration recorded under its version."""
    async with engine.begin() as conn:
        for version, name, statements in tenant_migrations(directory):
            await conn.execute(
                text("SELECT tenancy.record_migration(:version, :name, :statements)"),
                {"version": version, "name": name, "statements": statements},
            )


def tenant_migrations(directory: Path) -> list[tuple[int, str, str]]:
    """The tenant migration files: (version, name, text), by version."""
    found: dict[int, Path] = {}
    for path in directory.glob("*.sql"):
        if (match := _TENANT_MIGRATION.fullmatch(path.name)) is None:
            msg = f"{path}: name a tenant migration <version>_<name>.sql (0002_add_invoices.sql)"
            raise ValueError(msg)
        if (taken := found.setdefault(int(match["version"]), path)) != path:
            msg = f"{path}: its version is taken by {taken.name}"
            raise ValueError(msg)
    return [(v, path.stem, path.read_text("utf-8")) for v, path in sorted(found.items())]


async def upgrade_fleet(
    engine: AsyncEngine, parallelism: int, upgrade: Upgrade, progress: FleetProgress
) -> FleetReport:
    """Upgrade every tenant (read through engine), `parallelism` at once. One that fails stays
    at its previous version and is reported; the others carry on."""
    async with engine.connect() as conn:
        tenants = (await conn.execute(text("SELECT id, slug FROM tenants ORDER BY id"))).all()
    report = FleetReport(tenants=len(tenants))
    pending: asyncio.Queue[tuple[UUID, str]] = asyncio.Queue()
    for tenant_id, slug in tenants:
        pending.put_nowait((tenant_id, slug))

    async def work() -> None:
        while not pending.empty():
            tenant_id, slug = pending.get_nowait()
            try:
                applied = await upgrade(tenant_id)
            except (DBAPIError, OSError) as error:
                report.failed.append(TenantFailure(tenant_id, slug, _reason(error)))
                progress(report, slug, None)
                continue
            if applied:
                report.upgraded += 1
            else:
                report.current += 1
            progress(report, slug, applied)

    await asyncio.gather(*(work() for _ in range(min(parallelism, len(tenants)))))
    return report


def _reason(error: Exception) -> str:
    """The PostgreSQL error, for the operator running `migrate` (never shown to clients)."""
    orig = getattr(error, "orig", None)
    return str(orig if orig is not None else error).strip() or type(error).__name__
