"""A user's role in a tenant, decided here and nowhere else.

The tenant routes, the tenant unit of work and the isolation models all ask a RoleLookup, so
they cannot disagree about who belongs to which tenant, or tell a stranger apart from a missing
tenant differently.
"""

from collections.abc import Callable
from typing import Any, Final
from uuid import UUID

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, case, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth.models import User
from ..auth.service import USER_GONE
from ..errors import NotFound, Unauthorized
from .models import Membership, Role

# One answer for "no such tenant" and "not yours", so ids of other tenants reveal nothing.
TENANT_NOT_FOUND = "No tenant with this id exists among the tenants you belong to."

type TenantBinding = Callable[[BindParameter[str]], ColumnElement[Any]]
"""Given the tenant id (as text), the SQL expression that binds the transaction to the tenant."""

# The name of the bound parameter that carries the tenant id, as text, to a binding.
_TENANT_TEXT = "tenant"


class RoleLookup:
    """The user's role in a tenant, read together with the user's own row.

    With a binding, the same statement also binds the transaction to the tenant, for a member
    only: one round trip, and no tenant context for anyone else.
    """

    def __init__(self, binding: TenantBinding | None = None) -> None:
        role = Membership.role
        bound: tuple[ColumnElement[Any], ...] = ()
        if binding is not None:
            # CASE evaluates the binding only when a membership row was found.
            bound = (case((role.is_not(None), binding(bindparam(_TENANT_TEXT)))),)
        self._binds = binding is not None
        # Built once: constructing a statement and its cache key on every request costs more
        # than PostgreSQL takes to run it. Only the bound values change per call.
        self._statement = (
            select(role, *bound)
            .select_from(User)
            .outerjoin(
                Membership,
                and_(Membership.user_id == User.id, Membership.tenant_id == bindparam("tenant_id")),
            )
            .where(User.id == bindparam("user_id"))
        )

    async def __call__(self, session: AsyncSession, tenant_id: UUID, user_id: UUID) -> Role:
        """The role; Unauthorized when the user no longer exists, NotFound when the user is not
        a member of the tenant (or there is no such tenant)."""
        role, _ = await self.with_binding(session, tenant_id, user_id)
        return role

    async def with_binding(
        self, session: AsyncSession, tenant_id: UUID, user_id: UUID
    ) -> tuple[Role, Any]:
        """The role and what the binding's expression returned (None without a binding)."""
        parameters: dict[str, Any] = {"tenant_id": tenant_id, "user_id": user_id}
        if self._binds:
            parameters[_TENANT_TEXT] = str(tenant_id)
        row = (await session.execute(self._statement, parameters)).first()
        if row is None:
            raise Unauthorized(USER_GONE)
        role: Role | None = row[0]
        if role is None:
            raise NotFound(TENANT_NOT_FOUND)
        return role, row[1] if self._binds else None


member_role: Final = RoleLookup()
"""The user's role in a tenant (see RoleLookup), binding nothing."""
