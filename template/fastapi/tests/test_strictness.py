"""Input the API reads one way only: canonical UUIDs, one tenant header, single-valued query
parameters; relative Location headers; and a deleted user's token refused everywhere."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import Api, Team, expect
from .database import execute

PROJECTS = "/api/v1/projects"
# Spellings Python's uuid module (and pydantic) would read, but the API refuses.
NON_CANONICAL: dict[str, Callable[[uuid.UUID], str]] = {
    "braces": lambda value: "{" + str(value) + "}",
    "urn": lambda value: value.urn,
    "hex": lambda value: value.hex,
    "spaced": lambda value: f" {value}",
}


@pytest.mark.parametrize("spell", NON_CANONICAL.values(), ids=NON_CANONICAL.keys())
async def test_the_tenant_header_takes_only_the_canonical_uuid_form(
    api: Api, team: Team, spell: Callable[[uuid.UUID], str]
) -> None:
    headers = {**team.owner.auth, "X-Tenant-ID": spell(uuid.UUID(team.tenant_id))}

    problem = expect(await api.client.get(PROJECTS, headers=headers), 400)

    assert [error["pointer"] for error in problem["errors"]] == ["/header/x-tenant-id"]


async def test_canonical_uuids_may_be_upper_case(api: Api, team: Team) -> None:
    project = await api.create_project(team.owner, team.tenant_id)
    headers = {**team.owner.auth, "X-Tenant-ID": team.tenant_id.upper()}

    expect(await api.client.get(PROJECTS, headers=headers), 200)
    expect(await api.client.get(f"{PROJECTS}/{project['id'].upper()}", headers=headers), 200)


async def test_a_repeated_tenant_header_is_a_bad_request(api: Api, team: Team) -> None:
    headers = [*team.owner.auth.items(), ("X-Tenant-ID", team.tenant_id)]
    headers.append(("X-Tenant-ID", team.tenant_id))

    problem = expect(await api.client.get(PROJECTS, headers=headers), 400)

    assert [error["pointer"] for error in problem["errors"]] == ["/header/x-tenant-id"]


@pytest.mark.parametrize("spell", NON_CANONICAL.values(), ids=NON_CANONICAL.keys())
async def test_path_ids_take_only_the_canonical_uuid_form(
    api: Api, team: Team, spell: Callable[[uuid.UUID], str]
) -> None:
    project = await api.create_project(team.owner, team.tenant_id)
    headers = team.owner.in_tenant(team.tenant_id)

    response = await api.client.get(
        f"{PROJECTS}/{spell(uuid.UUID(project['id']))}", headers=headers
    )
    tenant = await api.client.get(
        f"/api/v1/tenants/{spell(uuid.UUID(team.tenant_id))}", headers=team.owner.auth
    )

    problem = expect(response, 422)
    assert [error["pointer"] for error in problem["errors"]] == ["/path/project_id"]
    expect(tenant, 422)


@pytest.mark.parametrize("query", ["limit=5&limit=6", "limit=5&limit=5", "cursor=a&cursor=b"])
async def test_a_repeated_query_parameter_is_refused(api: Api, team: Team, query: str) -> None:
    headers = team.owner.in_tenant(team.tenant_id)

    problem = expect(await api.client.get(f"{PROJECTS}?{query}", headers=headers), 422)

    name = query.partition("=")[0]
    assert [error["pointer"] for error in problem["errors"]] == [f"/query/{name}"]


async def test_locations_are_relative_whatever_the_host(api: Api, team: Team) -> None:
    headers = {**team.owner.in_tenant(team.tenant_id), "Host": "evil.example"}

    project = await api.client.post(PROJECTS, headers=headers, json={"name": "Apollo"})
    tenant = await api.client.post(
        "/api/v1/tenants", headers={**team.owner.auth, "Host": "evil.example"},
        json={"name": "Other", "slug": "other-tenant"},
    )  # fmt: skip

    assert project.headers["Location"] == f"{PROJECTS}/{expect(project, 201)['id']}"
    assert tenant.headers["Location"] == f"/api/v1/tenants/{expect(tenant, 201)['id']}"


async def test_a_deleted_users_token_gets_401_on_every_authenticated_route(
    api: Api, team: Team, superuser_db: AsyncEngine
) -> None:
    project = await api.create_project(team.owner, team.tenant_id)
    tenant = f"/api/v1/tenants/{team.tenant_id}"
    member = f"{tenant}/members/{team.member.id}"
    routes: list[tuple[str, str, Any]] = [
        ("GET", "/api/v1/users/me", None),
        ("GET", "/api/v1/tenants", None),
        ("POST", "/api/v1/tenants", {"name": "T", "slug": "gone-user-tenant"}),
        ("GET", tenant, None),
        ("GET", f"{tenant}/members", None),
        ("POST", f"{tenant}/members", {"email": team.admin.email, "role": "admin"}),
        ("PATCH", member, {"role": "admin"}),
        ("DELETE", member, None),
        ("GET", PROJECTS, None),
        ("POST", PROJECTS, {"name": "Apollo"}),
        ("GET", f"{PROJECTS}/{project['id']}", None),
        ("PATCH", f"{PROJECTS}/{project['id']}", {"name": "Apollo"}),
        ("DELETE", f"{PROJECTS}/{project['id']}", None),
    ]
    await execute(superuser_db, "DELETE FROM users WHERE id = :id", id=uuid.UUID(team.owner.id))

    for method, url, body in routes:
        response = await api.client.request(
            method, url, json=body, headers=team.owner.in_tenant(team.tenant_id)
        )
        expect(response, 401)
        assert response.headers["WWW-Authenticate"] == "Bearer", (method, url)
