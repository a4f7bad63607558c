"""Tenant isolation through the API: no tenant reaches another tenant's projects.

The queries filter by tenant and row-level security backs them up; each layer must hold on its
own. The database layer is tested directly in test_row_level_security.py.
"""

from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import Api, Team, expect
from .database import execute, fetch

PROJECTS = "/api/v1/projects"

type Attempt = Callable[
    [httpx.AsyncClient, str, dict[str, str]], Coroutine[Any, Any, httpx.Response]
]


@pytest.fixture
async def other_team(api: Api) -> Team:
    return await api.create_team()


@pytest.fixture
async def their_project(api: Api, other_team: Team) -> dict[str, Any]:
    return await api.create_project(other_team.owner, other_team.tenant_id, name="Secret plans")


async def project_row(superuser_db: AsyncEngine, project_id: str) -> dict[str, Any]:
    rows = await fetch(
        superuser_db,
        "SELECT tenant_id, name, description, version FROM projects WHERE id = :id",
        id=project_id,
    )
    assert len(rows) == 1
    return dict(rows[0]._mapping)


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
    return await client.get(url, headers=headers)


async def _patch(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
    return await client.patch(url, headers=headers, json={"name": "Mine now"})


async def _delete(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
    return await client.delete(url, headers=headers)


@pytest.mark.parametrize("attempt", [_get, _patch, _delete], ids=["read", "update", "delete"])
async def test_a_tenant_cannot_touch_another_tenants_project(
    api: Api,
    team: Team,
    their_project: dict[str, Any],
    superuser_db: AsyncEngine,
    attempt: Attempt,
) -> None:
    before = await project_row(superuser_db, their_project["id"])
    url = f"{PROJECTS}/{their_project['id']}"

    response = await attempt(api.client, url, team.owner.in_tenant(team.tenant_id))

    expect(response, 404)
    assert await project_row(superuser_db, their_project["id"]) == before


@pytest.mark.parametrize("attempt", [_get, _patch, _delete], ids=["read", "update", "delete"])
async def test_naming_another_tenant_in_the_header_gets_a_non_member_nowhere(
    api: Api,
    team: Team,
    other_team: Team,
    their_project: dict[str, Any],
    superuser_db: AsyncEngine,
    attempt: Attempt,
) -> None:
    before = await project_row(superuser_db, their_project["id"])
    url = f"{PROJECTS}/{their_project['id']}"

    response = await attempt(api.client, url, team.owner.in_tenant(other_team.tenant_id))

    expect(response, 404)
    assert await project_row(superuser_db, their_project["id"]) == before


@pytest.mark.parametrize("attempt", [_get, _patch, _delete], ids=["read", "update", "delete"])
async def test_the_queries_filter_by_tenant_even_without_row_level_security(
    api: Api,
    team: Team,
    their_project: dict[str, Any],
    owner_db: AsyncEngine,
    superuser_db: AsyncEngine,
    attempt: Attempt,
) -> None:
    # Defence in depth: each layer must hold on its own. Switch the backstop off for a moment.
    before = await project_row(superuser_db, their_project["id"])
    url = f"{PROJECTS}/{their_project['id']}"
    await execute(owner_db, "ALTER TABLE projects DISABLE ROW LEVEL SECURITY")
    try:
        response = await attempt(api.client, url, team.owner.in_tenant(team.tenant_id))
        listed = await api.client.get(PROJECTS, headers=team.owner.in_tenant(team.tenant_id))
    finally:
        await execute(owner_db, "ALTER TABLE projects ENABLE ROW LEVEL SECURITY")

    expect(response, 404)
    assert expect(listed, 200)["items"] == []
    assert await project_row(superuser_db, their_project["id"]) == before


async def test_a_member_of_two_tenants_acts_only_in_the_tenant_of_the_header(
    api: Api, team: Team, other_team: Team, their_project: dict[str, Any]
) -> None:
    await api.add_member(other_team.tenant_id, by=other_team.owner, user=team.owner, role="owner")
    url = f"{PROJECTS}/{their_project['id']}"

    expect(await api.client.get(url, headers=team.owner.in_tenant(team.tenant_id)), 404)
    expect(await api.client.get(url, headers=team.owner.in_tenant(other_team.tenant_id)), 200)


async def test_a_tenant_lists_only_its_own_projects(
    api: Api, team: Team, their_project: dict[str, Any]
) -> None:
    ours = await api.create_project(team.member, team.tenant_id)

    page = expect(
        await api.client.get(PROJECTS, headers=team.member.in_tenant(team.tenant_id)), 200
    )

    assert [project["id"] for project in page["items"]] == [ours["id"]]
