from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import uuid7


class Project(Base):
    """The example tenant-scoped resource: replace it with your own domain objects.

    Tenant tables lead with tenant_id (primary key, unique constraints, foreign keys) and are
    protected by row-level security; see the initial migration.
    """

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    # updated_at is set by the database; read it back from the UPDATE itself (RETURNING).
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - read once by the mapper

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    name: Mapped[str]
    description: Mapped[str | None]
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class IdempotencyKey(Base):
    """The response to a request made with an Idempotency-Key, replayed when the same caller
    repeats the key with the same body."""

    __tablename__ = "idempotency_keys"

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    key: Mapped[str] = mapped_column(primary_key=True)
    request_hash: Mapped[str]
    status_code: Mapped[int]
    response_body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    response_headers: Mapped[dict[str, str]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
