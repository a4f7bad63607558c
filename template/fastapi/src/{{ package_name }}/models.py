"""Every table of the service, for tools that need the whole schema (Alembic autogenerate)."""

from .auth.models import RefreshToken, User
from .db import Base
from .projects.models import IdempotencyKey, Project
from .tenants.models import Membership, Tenant

__all__ = ["Base", "IdempotencyKey", "Membership", "Project", "RefreshToken", "Tenant", "User"]
