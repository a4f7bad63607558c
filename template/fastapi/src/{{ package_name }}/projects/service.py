import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ..db import DuplicateError
from ..errors import Conflict, Forbidden, NotFound, PreconditionFailed, UnprocessableContent
from ..pagination import decode_cursor, encode_cursor
from ..tenancy import TenantContext
from ..tenants.models import Role
from . import repository
from .models import Project
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


async def claim_idempotency_key(
    scope: TenantContext, idempotency_key: str, payload: ProjectCreate
) -> SavedResponse | None:
    """None when this request is the first with the key (it then owns the key until its
    transaction ends); otherwise the response of the first one, to replay.

    A concurrent request with the same key waits in the claim until the first one commits (and
    then replays its response) or rolls back (and then claims the key itself): never two
    projects for one key. The key promises the same request: reusing it with another body is an
    error, not a replay.
    """
    fingerprint = _fingerprint(payload)
    claimed = await repository.claim_idempotency_key(
        scope.session, scope.tenant_id, scope.user_id, idempotency_key, fingerprint
    )
    if claimed:
        return None
    saved = await repository.get_idempotency_key(
        scope.session, scope.tenant_id, scope.user_id, idempotency_key
    )
    if saved is None:
        # The claim met a committed row that is gone again: its tenant or user was deleted.
        raise Conflict("The Idempotency-Key changed hands meanwhile; retry the request.")
    if saved.request_hash != fingerprint:
        message = "This Idempotency-Key was already used with a different request body."
        pointer = "/header/idempotency-key"
        raise UnprocessableContent(message, errors=[{"pointer": pointer, "message": message}])
    return SavedResponse(saved.status_code, saved.response_body, saved.response_headers)


async def save_response(
    scope: TenantContext, idempotency_key: str, response: SavedResponse
) -> None:
    """Record the response of the request that claimed the key, for its repeats to replay."""
    await repository.record_idempotent_response(
        scope.session,
        scope.tenant_id,
        scope.user_id,
        idempotency_key,
        status_code=response.status_code,
        body=response.body,
        headers=response.headers,
    )


def _fingerprint(payload: ProjectCreate) -> str:
    # Of the validated body, so formatting and key order do not make two requests differ.
    canonical = json.dumps(payload.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _matches(if_match: str, current: str) -> bool:
    """RFC 9110 If-Match: "*" matches any current representation; otherwise a list of entity
    tags, compared strongly, so weak tags (W/"...") never match. A malformed list matches
    nothing, so the write is refused rather than made blind."""
    if if_match.strip() == "*":
        return True
    if _ENTITY_TAG_LIST.fullmatch(if_match) is None:
        return False
    return any(
        not weak and f'"{opaque}"' == current for weak, opaque in _ENTITY_TAG.findall(if_match)
    )


# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, where etagc is any visible character but DQUOTE
# (commas included, so the list cannot simply be split on them).
_TAG = r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"'
_ENTITY_TAG = re.compile(_TAG)
_ENTITY_TAG_LIST = re.compile(rf"[ \t]*{_TAG}(?:[ \t]*,[ \t]*{_TAG})*[ \t]*")
