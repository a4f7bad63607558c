"""Queries of the tenant tables. Every one names its tenant: row-level security is the backstop,
not the filter."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import flush_unique
from .models import IdempotencyKey, Project

# The read statements are built once, with bound parameters: constructing a select and its
# cache key on every request costs more than PostgreSQL takes to run it.
_GET = select(Project).where(
    Project.tenant_id == bindparam("tenant_id"), Project.id == bindparam("project_id")
)
_GET_FOR_UPDATE = _GET.with_for_update()
_FIRST_PAGE = (
    select(Project)
    .where(Project.tenant_id == bindparam("tenant_id"))
    .order_by(Project.id)
    .limit(bindparam("limit"))
)
_NEXT_PAGE = _FIRST_PAGE.where(Project.id > bindparam("after"))


async def list_page(
    session: AsyncSession, tenant_id: UUID, *, after: UUID | None, limit: int
) -> Sequence[Project]:
    if after is None:
        query, parameters = _FIRST_PAGE, {"tenant_id": tenant_id, "limit": limit}
    else:
        query, parameters = _NEXT_PAGE, {"tenant_id": tenant_id, "limit": limit, "after": after}
    return (await session.scalars(query, parameters)).all()


async def get(
    session: AsyncSession, tenant_id: UUID, project_id: UUID, *, for_update: bool = False
) -> Project | None:
    query = _GET_FOR_UPDATE if for_update else _GET
    return await session.scalar(query, {"tenant_id": tenant_id, "project_id": project_id})


async def save(session: AsyncSession, project: Project) -> None:
    """Insert or update the project; DuplicateError when the tenant has another of that name."""
    session.add(project)
    await flush_unique(session)


async def remove(session: AsyncSession, tenant_id: UUID, project_id: UUID) -> bool:
    """Delete the project; False when the tenant has no such project."""
    deleted = await session.scalar(
        delete(Project)
        .where(Project.tenant_id == tenant_id, Project.id == project_id)
        .returning(Project.id)
    )
    return deleted is not None


async def claim_idempotency_key(
    session: AsyncSession, tenant_id: UUID, user_id: UUID, key: str, request_hash: str
) -> bool:
    """Insert the key with an empty response (filled in by record_idempotent_response before
    the transaction commits); False when another request holds it.

    ON CONFLICT DO NOTHING waits for a concurrent holder's transaction to end, so the answer
    is never "both".
    """
    claimed = await session.scalar(
        insert(IdempotencyKey)
        .values(
            tenant_id=tenant_id,
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            status_code=0,
            response_body={},
            response_headers={},
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    )
    return claimed is not None


async def get_idempotency_key(
    session: AsyncSession, tenant_id: UUID, user_id: UUID, key: str
) -> IdempotencyKey | None:
    return await session.get(IdempotencyKey, (tenant_id, user_id, key))


async def record_idempotent_response(
    session: AsyncSession,
    tenant_id: UUID,
    user_id: UUID,
    key: str,
    *,
    status_code: int,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    await session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.tenant_id == tenant_id,
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
        )
        .values(status_code=status_code, response_body=body, response_headers=headers)
    )
