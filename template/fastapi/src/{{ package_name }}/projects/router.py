from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from ..api.deps import TenantScope, single_valued
from ..ids import CanonicalUUID
from . import service
from .schemas import ProjectCreate, ProjectPage, ProjectPublic, ProjectUpdate

router = APIRouter(prefix="/projects")

IdempotencyKeyHeader = Annotated[str | None, Header(min_length=1, max_length=255)]
IfMatchHeader = Annotated[str | None, Header(min_length=1, max_length=200)]


@router.get("", name="listProjects", dependencies=[Depends(single_valued("limit", "cursor"))])
async def list_projects(
    scope: TenantScope,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> ProjectPage:
    return await service.list_projects(scope, limit=limit, cursor=cursor)


@router.post("", status_code=status.HTTP_201_CREATED, name="createProject")
async def create_project(
    payload: ProjectCreate,
    scope: TenantScope,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    # A repeated request (same Idempotency-Key, same body) gets the first response again.
    if idempotency_key is not None:
        saved = await service.claim_idempotency_key(scope, idempotency_key, payload)
        if saved is not None:
            return JSONResponse(saved.body, status_code=saved.status_code, headers=saved.headers)

    project = await service.create_project(scope, payload)
    created = service.SavedResponse(
        status_code=status.HTTP_201_CREATED,
        body=ProjectPublic.model_validate(project).model_dump(mode="json"),
        headers={
            # A relative reference: the Host header is the client's to choose, never echoed.
            "Location": request.app.url_path_for("getProject", project_id=project.id),
            "ETag": service.etag(project),
        },
    )
    if idempotency_key is not None:
        await service.save_response(scope, idempotency_key, created)
    return JSONResponse(created.body, status_code=created.status_code, headers=created.headers)


@router.get("/{project_id}", name="getProject")
async def get_project(
    project_id: CanonicalUUID, scope: TenantScope, response: Response
) -> ProjectPublic:
    project = await service.get_project(scope, project_id)
    response.headers["ETag"] = service.etag(project)
    return ProjectPublic.model_validate(project)


@router.patch("/{project_id}", name="updateProject")
async def update_project(
    project_id: CanonicalUUID,
    payload: ProjectUpdate,
    scope: TenantScope,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ProjectPublic:
    project = await service.update_project(scope, project_id, payload, if_match=if_match)
    response.headers["ETag"] = service.etag(project)
    return ProjectPublic.model_validate(project)


@router.delete(
    "/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    name="deleteProject",
)
async def delete_project(project_id: CanonicalUUID, scope: TenantScope) -> None:
    await service.delete_project(scope, project_id)
