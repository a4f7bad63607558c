from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import Dialect, ForeignKey, Text, TypeDecorator, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import uuid7


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class RoleText(TypeDecorator[Role]):
    """A Role as plain text; the migration's CHECK constraint limits the values."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Role | None, dialect: Dialect) -> str | None:
        return None if value is None else value.value

    def process_result_value(self, value: str | None, dialect: Dialect) -> Role | None:
        return None if value is None else Role(value)


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    name: Mapped[str]
    slug: Mapped[str] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Membership(Base):
    __tablename__ = "memberships"

    tenant_id: Mapped[UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[Role] = mapped_column(RoleText)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
