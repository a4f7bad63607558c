import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ..db import DuplicateError
from ..errors import Conflict, Forbidden, NotFound, PreconditionFailed, UnprocessableContent
from ..pagination import decode_cursor, encode_cursor
from ..tenancy import TenantContext
from ..tenants.models import Role
from . import repository
from .models import IdempotencyKey, Project
from .schemas import ProjectCreate, ProjectPage, ProjectPublic, ProjectUpdate

_NOT_FOUND = "The tenant has no project with this id."
_DUPLICATE_NAME = "The tenant already has a project with this name."


def etag(project: Project) -> str:
    """A strong validator of the project's representation: its row version, quoted."""
    return f'"{project.version}"'


async def list_projects(scope: TenantContext, *, limit: int, cursor: str | None) -> ProjectPage:
    after = decode_cursor(cursor) if cursor is not None else None
    # One row more than asked for tells whether another page follows.
    rows = await repository.list_page(scope.session, scope.tenant_id, after=after, limit=limit + 1)
    page = rows[:limit]
    return ProjectPage(
        items=[ProjectPublic.model_validate(project) for project in page],
        next_cursor=encode_cursor(page[-1].id) if len(rows) > limit else None,
    )


async def create_project(scope: TenantContext, payload: ProjectCreate) -> Project:
    project = Project(tenant_id=scope.tenant_id, name=payload.name, description=payload.description)
    try:
        await repository.save(scope.session, project)
    except DuplicateError:
        raise Conflict(_DUPLICATE_NAME) from None
    return project


async def get_project(scope: TenantContext, project_id: UUID) -> Project:
    project = await repository.get(scope.session, scope.tenant_id, project_id)
    if project is None:
        raise NotFound(_NOT_FOUND)
    return project


async def update_project(
    scope: TenantContext, project_id: UUID, payload: ProjectUpdate, *, if_match: str | None
) -> Project:
    # Locked until the transaction ends, so the If-Match check and the write see the same version.
    project = await repository.get(scope.session, scope.tenant_id, project_id, for_update=True)
    if project is None:
        raise NotFound(_NOT_FOUND)
    if if_match is not None and not _matches(if_match, etag(project)):
        raise PreconditionFailed(
            "The project changed since the version in If-Match; fetch it again and retry."
        )
    for field, value in payload.model_dump(exclude_unset=True).items():
        setattr(project, field, value)
    project.version += 1
    try:
        await repository.save(scope.session, project)
    except DuplicateError:
        raise Conflict(_DUPLICATE_NAME) from None
    return project


async def delete_project(scope: TenantContext, project_id: UUID) -> None:
    if scope.role not in {Role.OWNER, Role.ADMIN}:
        raise Forbidden("Only admins and owners of the tenant can delete projects.")
    if not await repository.remove(scope.session, scope.tenant_id, project_id):
        raise NotFound(_NOT_FOUND)


@dataclass(frozen=True, slots=True)
class SavedResponse:
    status_code: int
    body: dict[str, Any]
    headers: dict[str, str]


async def saved_response(
    scope: TenantContext, idempotency_key: str, payload: ProjectCreate
) -> SavedResponse | None:
    """The response to an earlier request of the caller with this Idempotency-Key, if any.

    The key promises the same request: reusing it with another body is an error, not a replay.
    """
    saved = await repository.get_idempotency_key(
        scope.session, scope.tenant_id, scope.user_id, idempotency_key
    )
    if saved is None:
        return None
    if saved.request_hash != _fingerprint(payload):
        message = "This Idempotency-Key was already used with a different request body."
        pointer = "/header/idempotency-key"
        raise UnprocessableContent(message, errors=[{"pointer": pointer, "message": message}])
    return SavedResponse(saved.status_code, saved.response_body, saved.response_headers)


async def save_response(
    scope: TenantContext, idempotency_key: str, payload: ProjectCreate, response: SavedResponse
) -> None:
    record = IdempotencyKey(
        tenant_id=scope.tenant_id,
        user_id=scope.user_id,
        key=idempotency_key,
        request_hash=_fingerprint(payload),
        status_code=response.status_code,
        response_body=response.body,
        response_headers=response.headers,
    )
    try:
        await repository.add_idempotency_key(scope.session, record)
    except DuplicateError:
        # A concurrent request with the same key committed first; this one rolls back, and a
        # retry replays the winner's response (or reports a different body).
        raise Conflict(
            "Another request with this Idempotency-Key was processed at the same time; "
            "retry to get its response."
        ) from None


def _fingerprint(payload: ProjectCreate) -> str:
    # Of the validated body, so formatting and key order do not make two requests differ.
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _matches(if_match: str, current: str) -> bool:
    """RFC 9110 If-Match: "*" or a list of entity tags, compared strongly (W/ never matches)."""
    candidates = {candidate.strip() for candidate in if_match.split(",")}
    return "*" in candidates or current in candidates
