"""Tenants and their members. Roles rank owner > admin > member: admins and owners manage
members, only owners grant or revoke the owner role, and a tenant always keeps an owner."""

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import repository as users
from ..auth.models import User
from ..db import DuplicateError
from ..errors import Conflict, Forbidden, NotFound
from ..isolation import IsolationModel
from . import repository
from .membership import TENANT_NOT_FOUND, member_role
from .models import Membership, Role, Tenant
from .schemas import (
    MemberCreate,
    MemberList,
    MemberPublic,
    MemberUpdate,
    TenantCreate,
    TenantList,
    TenantPublic,
)


async def create_tenant(
    session: AsyncSession,
    isolation: IsolationModel,
    user_id: UUID,
    payload: TenantCreate,
    max_owned: int,
) -> TenantPublic:
    """The caller's new tenant, unless the caller already owns max_owned tenants. The caller's
    row is locked first, so one account's creations run one at a time and two cannot both pass
    the count."""
    await repository.lock_user(session, user_id)
    if await repository.count_owned(session, user_id) >= max_owned:
        raise Conflict("You already own the most tenants one account may own.")
    tenant = Tenant(name=payload.name, slug=payload.slug)
    try:
        owner = await isolation.provision(session, tenant, owner_id=user_id)
    except DuplicateError:
        raise Conflict("Another tenant already uses this slug.") from None
    return _tenant(tenant, owner.role)


async def list_tenants(session: AsyncSession, user_id: UUID) -> TenantList:
    rows = await repository.list_tenants_of(session, user_id)
    return TenantList(items=[_tenant(tenant, role) for tenant, role in rows])


async def get_tenant(session: AsyncSession, user_id: UUID, tenant_id: UUID) -> TenantPublic:
    role = await member_role(session, tenant_id, user_id)
    tenant = await repository.get_tenant(session, tenant_id)
    if tenant is None:  # deleted since the membership was read
        raise NotFound(TENANT_NOT_FOUND)
    return _tenant(tenant, role)


async def list_members(session: AsyncSession, caller_id: UUID, tenant_id: UUID) -> MemberList:
    await member_role(session, tenant_id, caller_id)
    rows = await repository.list_members(session, tenant_id)
    return MemberList(items=[_member(membership, user) for membership, user in rows])


async def add_member(
    session: AsyncSession, caller_id: UUID, tenant_id: UUID, payload: MemberCreate
) -> MemberPublic:
    caller_role = await _locked_manager_role(session, tenant_id, caller_id)
    if payload.role == Role.OWNER and caller_role != Role.OWNER:
        raise Forbidden("Only owners can make someone an owner.")
    user = await users.find_user_by_email(session, payload.email.lower())
    if user is None:
        raise NotFound("No registered user has this email address.")
    membership = Membership(tenant_id=tenant_id, user_id=user.id, role=payload.role)
    try:
        await repository.add_membership(session, membership)
    except DuplicateError:
        raise Conflict("The user is already a member of this tenant.") from None
    return _member(membership, user)


async def update_member(
    session: AsyncSession, caller_id: UUID, tenant_id: UUID, user_id: UUID, payload: MemberUpdate
) -> MemberPublic:
    caller_role = await _locked_manager_role(session, tenant_id, caller_id)
    membership, user = await _membership(session, tenant_id, user_id)
    if Role.OWNER in (membership.role, payload.role) and caller_role != Role.OWNER:
        raise Forbidden("Only owners can grant or revoke the owner role.")
    if membership.role == Role.OWNER and payload.role != Role.OWNER:
        await _ensure_another_owner(session, tenant_id)
    membership.role = payload.role
    await repository.save_membership(session, membership)
    return _member(membership, user)


async def remove_member(
    session: AsyncSession, caller_id: UUID, tenant_id: UUID, user_id: UUID
) -> None:
    caller_role = await _locked_manager_role(session, tenant_id, caller_id)
    membership, _ = await _membership(session, tenant_id, user_id)
    if membership.role == Role.OWNER:
        if caller_role != Role.OWNER:
            raise Forbidden("Only owners can remove an owner.")
        await _ensure_another_owner(session, tenant_id)
    await repository.delete_membership(session, membership)


async def _locked_manager_role(session: AsyncSession, tenant_id: UUID, user_id: UUID) -> Role:
    """The caller's role, read after locking the tenant's memberships.

    Changes to one tenant's memberships run one at a time, so two owners demoting each other
    concurrently cannot leave the tenant without an owner; and the caller's role is read under
    the lock, so an owner demoted a moment ago no longer acts as one.
    """
    await member_role(session, tenant_id, user_id)  # strangers are told 404 before any lock
    await repository.lock_tenant(session, tenant_id)
    role = await member_role(session, tenant_id, user_id)
    if role == Role.MEMBER:
        raise Forbidden("Only admins and owners can manage the members of a tenant.")
    return role


async def _membership(
    session: AsyncSession, tenant_id: UUID, user_id: UUID
) -> tuple[Membership, User]:
    row = await repository.get_membership(session, tenant_id, user_id)
    if row is None:
        raise NotFound("This user is not a member of the tenant.")
    membership, user = row
    return membership, user


async def _ensure_another_owner(session: AsyncSession, tenant_id: UUID) -> None:
    if await repository.count_owners(session, tenant_id) <= 1:
        raise Conflict("A tenant must keep at least one owner; make someone else owner first.")


def _tenant(tenant: Tenant, role: Role) -> TenantPublic:
    return TenantPublic(
        id=tenant.id, name=tenant.name, slug=tenant.slug, role=role, created_at=tenant.created_at
    )


def _member(membership: Membership, user: User) -> MemberPublic:
    return MemberPublic(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=membership.role,
        created_at=membership.created_at,
    )
