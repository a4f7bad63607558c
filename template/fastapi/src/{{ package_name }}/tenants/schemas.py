from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import EmailStr, Field

from ..schemas import RequestBody, ResponseBody
from .models import Role

# Lowercase DNS-label style, so a slug can go into a hostname or a URL unchanged.
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"


class TenantCreate(RequestBody):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    slug: Annotated[str, Field(max_length=63, pattern=SLUG_PATTERN)]


class TenantPublic(ResponseBody):
    id: UUID
    name: str
    slug: str
    role: Role
    """The caller's role in the tenant."""
    created_at: datetime


class TenantList(ResponseBody):
    items: list[TenantPublic]


class MemberCreate(RequestBody):
    email: EmailStr
    role: Role


class MemberUpdate(RequestBody):
    role: Role


class MemberPublic(ResponseBody):
    user_id: UUID
    email: str
    full_name: str | None
    role: Role
    created_at: datetime
    """When the user joined the tenant."""


class MemberList(ResponseBody):
    items: list[MemberPublic]
