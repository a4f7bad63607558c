"""Queries of the tenant tables. Every one names its tenant: row-level security is the backstop,
not the filter."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import flush_unique
from .models import IdempotencyKey, Project


async def list_page(
    session: AsyncSession, tenant_id: UUID, *, after: UUID | None, limit: int
) -> Sequence[Project]:
    query = select(Project).where(Project.tenant_id == tenant_id)
    if after is not None:
        query = query.where(Project.id > after)
    return (await session.scalars(query.order_by(Project.id).limit(limit))).all()


async def get(
    session: AsyncSession, tenant_id: UUID, project_id: UUID, *, for_update: bool = False
) -> Project | None:
    query = select(Project).where(Project.tenant_id == tenant_id, Project.id == project_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


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


async def get_idempotency_key(
    session: AsyncSession, tenant_id: UUID, user_id: UUID, key: str
) -> IdempotencyKey | None:
    return await session.get(IdempotencyKey, (tenant_id, user_id, key))


async def add_idempotency_key(session: AsyncSession, record: IdempotencyKey) -> None:
    session.add(record)
    await session.flush()
