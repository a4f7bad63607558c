from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth.models import User
from ..db import flush_unique
from .models import Membership, Role, Tenant


async def add_tenant(session: AsyncSession, tenant: Tenant, owner_id: UUID) -> Membership:
    """Insert the tenant with its first owner; DuplicateError when the slug is taken.

    The rows every isolation model keeps for a tenant; provision a tenant through the model
    (IsolationModel.provision), which adds whatever else it keeps per tenant."""
    session.add(tenant)
    await flush_unique(session)
    owner = Membership(tenant_id=tenant.id, user_id=owner_id, role=Role.OWNER)
    session.add(owner)
    await session.flush()
    return owner


async def list_tenants_of(session: AsyncSession, user_id: UUID) -> Sequence[tuple[Tenant, Role]]:
    result = await session.execute(
        select(Tenant, Membership.role)
        .join(Membership, Membership.tenant_id == Tenant.id)
        .where(Membership.user_id == user_id)
        .order_by(Tenant.id)
    )
    return result.all()


async def get_tenant(session: AsyncSession, tenant_id: UUID) -> Tenant | None:
    return await session.get(Tenant, tenant_id)


async def lock_user(session: AsyncSession, user_id: UUID) -> None:
    """Serialise one user's tenant creations, so the cap on owned tenants holds under races.
    key_share=True is FOR NO KEY UPDATE: foreign-key checks on the user's row do not wait."""
    await session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


async def count_owned(session: AsyncSession, user_id: UUID) -> int:
    owned = await session.scalar(
        select(func.count()).where(Membership.user_id == user_id, Membership.role == Role.OWNER)
    )
    return owned or 0


async def lock_tenant(session: AsyncSession, tenant_id: UUID) -> None:
    """Serialise membership changes of one tenant, so the last-owner rule holds under races."""
    await session.execute(select(Tenant.id).where(Tenant.id == tenant_id).with_for_update())


async def get_membership(
    session: AsyncSession, tenant_id: UUID, user_id: UUID
) -> tuple[Membership, User] | None:
    result = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id, Membership.user_id == user_id)
    )
    return result.one_or_none()


async def list_members(session: AsyncSession, tenant_id: UUID) -> Sequence[tuple[Membership, User]]:
    result = await session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.tenant_id == tenant_id)
        .order_by(Membership.created_at, Membership.user_id)
    )
    return result.all()


async def add_membership(session: AsyncSession, membership: Membership) -> None:
    """Insert the membership; DuplicateError when the user is already a member."""
    session.add(membership)
    await flush_unique(session)


async def count_owners(session: AsyncSession, tenant_id: UUID) -> int:
    owners = await session.scalar(
        select(func.count()).where(Membership.tenant_id == tenant_id, Membership.role == Role.OWNER)
    )
    return owners or 0


async def save_membership(session: AsyncSession, membership: Membership) -> None:
    session.add(membership)
    await session.flush()


async def delete_membership(session: AsyncSession, membership: Membership) -> None:
    await session.delete(membership)
    await session.flush()
