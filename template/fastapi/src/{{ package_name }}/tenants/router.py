from fastapi import APIRouter, Request, Response, status

from ..api.deps import CurrentUser, IsolationDep, SessionDep, SettingsDep
from ..ids import CanonicalUUID
from . import service
from .schemas import (
    MemberCreate,
    MemberList,
    MemberPublic,
    MemberUpdate,
    TenantCreate,
    TenantList,
    TenantPublic,
)

router = APIRouter(prefix="/tenants")


@router.post("", status_code=status.HTTP_201_CREATED, name="createTenant")
async def create_tenant(
    payload: TenantCreate,
    user: CurrentUser,
    session: SessionDep,
    isolation: IsolationDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> TenantPublic:
    tenant = await service.create_tenant(
        session, isolation, user.id, payload, settings.max_owned_tenants
    )
    # A relative reference: the Host header is the client's to choose, so never echoed back.
    response.headers["Location"] = request.app.url_path_for("getTenant", tenant_id=tenant.id)
    return tenant


@router.get("", name="listTenants")
async def list_tenants(user: CurrentUser, session: SessionDep) -> TenantList:
    return await service.list_tenants(session, user.id)


@router.get("/{tenant_id}", name="getTenant")
async def get_tenant(
    tenant_id: CanonicalUUID, user: CurrentUser, session: SessionDep
) -> TenantPublic:
    return await service.get_tenant(session, user.id, tenant_id)


@router.get("/{tenant_id}/members", name="listMembers")
async def list_members(
    tenant_id: CanonicalUUID, user: CurrentUser, session: SessionDep
) -> MemberList:
    return await service.list_members(session, user.id, tenant_id)


@router.post("/{tenant_id}/members", status_code=status.HTTP_201_CREATED, name="addMember")
async def add_member(
    tenant_id: CanonicalUUID, payload: MemberCreate, user: CurrentUser, session: SessionDep
) -> MemberPublic:
    return await service.add_member(session, user.id, tenant_id, payload)


@router.patch("/{tenant_id}/members/{user_id}", name="updateMember")
async def update_member(
    tenant_id: CanonicalUUID,
    user_id: CanonicalUUID,
    payload: MemberUpdate,
    user: CurrentUser,
    session: SessionDep,
) -> MemberPublic:
    return await service.update_member(session, user.id, tenant_id, user_id, payload)


@router.delete(
    "/{tenant_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    name="removeMember",
)
async def remove_member(
    tenant_id: CanonicalUUID, user_id: CanonicalUUID, user: CurrentUser, session: SessionDep
) -> None:
    await service.remove_member(session, user.id, tenant_id, user_id)
