"""The tenant unit of work: each tenant-scoped request runs in one transaction, bound to the
tenant of its X-Tenant-ID header by the service's isolation model, for a member of that tenant
only. How the binding works (a setting, a search path, a database) is the model's business; the
services see a TenantContext whatever the model.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from .errors import BadRequest
from .ids import parse_canonical_uuid
from .isolation import IsolationModel
from .tenants.models import Role

TENANT_HEADER = "X-Tenant-ID"


@dataclass(frozen=True, slots=True)
class TenantContext:
    """A request's tenant, the caller and the caller's role there, and the session whose
    transaction is bound to that tenant."""

    tenant_id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    session: AsyncSession


async def enter_tenant(
    session: AsyncSession,
    isolation: IsolationModel,
    user_id: uuid.UUID,
    header_values: Sequence[str],
) -> TenantContext:
    """Bind the session's transaction to the tenant of the header, for a member of it: 400 for
    a missing or malformed header, 401 when the caller no longer exists, 404 for a non-member
    (or no such tenant)."""
    tenant_id = _parse_tenant_header(header_values)
    role = await isolation.bind(session, tenant_id, user_id)
    return TenantContext(tenant_id=tenant_id, user_id=user_id, role=role, session=session)


def _parse_tenant_header(values: Sequence[str]) -> uuid.UUID:
    if not values:
        message = f"Send the id of the tenant to act in as the {TENANT_HEADER} header."
    elif len(values) > 1:
        message = f"Send the {TENANT_HEADER} header once: a request acts in one tenant."
    elif (tenant_id := parse_canonical_uuid(values[0])) is None:
        message = f"The {TENANT_HEADER} header must be a tenant id (a UUID)."
    else:
        return tenant_id
    pointer = f"/header/{TENANT_HEADER.lower()}"
    raise BadRequest(message, errors=[{"pointer": pointer, "message": message}])
