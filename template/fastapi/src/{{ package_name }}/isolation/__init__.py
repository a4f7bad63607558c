"""How tenants are kept apart: the interface every isolation model implements.

A model decides how a transaction is bound to its tenant, what provisioning a tenant creates,
and which database roles would defeat it. The tenant unit of work (tenancy.py), the routers,
services and repositories depend only on IsolationModel, so they stay the same whichever model
the service uses; the model itself is chosen once, in main.py.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from ..tenants.models import Membership, Role, Tenant


class IsolationBypassed(RuntimeError):
    """The database role could reach across tenants, so the service refuses to use it."""


@dataclass(frozen=True, slots=True)
class TenantFailure:
    """A tenant that `migrate` could not bring up to date; it stays at its previous version."""

    tenant_id: UUID
    slug: str
    error: str


@dataclass(slots=True)
class FleetReport:
    """What `migrate` did to the tenants: how many it upgraded, found current, or failed on."""

    tenants: int = 0
    upgraded: int = 0
    current: int = 0
    failed: list[TenantFailure] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    """What a tenant's schema or database would be called, found with no tenant of that name
    (a provisioning cut short by a crash): reported, never dropped by `migrate`."""


class FleetProgress(Protocol):
    """Told about each tenant as `migrate` finishes with it."""

    def __call__(self, report: FleetReport, slug: str, applied: int | None) -> None:
        """applied: migrations applied to the tenant (0: it was current), None: it failed."""
        ...


class IsolationModel(Protocol):
    """What differs between isolation models; one module of this package implements it, in a
    class made from the database settings."""

    statement_cache: bool
    """Whether connections may cache prepared statements: not when one SQL text can read
    tables whose shape differs between tenants."""

    async def bind(self, session: AsyncSession, tenant_id: UUID, user_id: UUID) -> Role:
        """Bind the session's transaction to the tenant, for a member of it: the member's role.

        Unauthorized when the user no longer exists, NotFound when the user is not a member of
        the tenant (or there is no such tenant); the transaction is then bound to no tenant.
        The binding ends with the transaction, so a pooled connection never carries it into
        another request.
        """
        ...

    async def provision(self, session: AsyncSession, tenant: Tenant, owner_id: UUID) -> Membership:
        """Create the tenant, with its first owner, in the session's transaction: everything
        the model keeps per tenant is created with it, or nothing when the transaction rolls
        back. DuplicateError when the tenant's slug is taken."""
        ...

    def guard(self, engine: AsyncEngine) -> None:
        """Check the role of every connection the engine opens, before its first use, and
        refuse (IsolationBypassed) one through which tenants would not be isolated: the
        model's catalog query, run by db.refuse_roles."""
        ...

    async def migrate_tenants(self, migrations: Path, progress: FleetProgress) -> FleetReport:
        """After the shared schema is at head: bring what each tenant has of its own up to date.
        migrations: the project's migrations/."""
        ...

    async def close(self) -> None:
        """Release whatever the model holds of its own (connections), at shutdown."""
        ...
