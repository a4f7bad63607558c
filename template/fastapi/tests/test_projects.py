"""Projects, the example tenant-scoped resource: CRUD, roles, the tenant header, pagination,
optimistic concurrency (ETag / If-Match) and idempotent creation."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import Account, Api, Team, expect
from .database import fetch, scalar, tenant_rows, tenant_table

PROJECTS = "/api/v1/projects"


def project_url(project: dict[str, Any]) -> str:
    return f"{PROJECTS}/{project['id']}"


async def test_a_created_project_has_a_location_and_an_etag(api: Api, team: Team) -> None:
    headers = team.member.in_tenant(team.tenant_id)

    response = await api.client.post(
        PROJECTS, headers=headers, json={"name": "Apollo", "description": "To the moon"}
    )

    project = expect(response, 201)
    assert (project["name"], project["description"]) == ("Apollo", "To the moon")
    assert response.headers["Location"].endswith(project_url(project))
    fetched = await api.client.get(project_url(project), headers=headers)
    assert expect(fetched, 200) == project
    assert fetched.headers["ETag"] == response.headers["ETag"]
    assert fetched.headers["ETag"].startswith('"')


async def test_a_name_is_unique_within_a_tenant(api: Api, team: Team) -> None:
    await api.create_project(team.owner, team.tenant_id, name="Apollo")

    response = await api.client.post(
        PROJECTS, headers=team.admin.in_tenant(team.tenant_id), json={"name": "Apollo"}
    )

    expect(response, 409)


async def test_the_same_name_is_fine_in_another_tenant(api: Api, team: Team) -> None:
    other = await api.create_team()
    await api.create_project(team.owner, team.tenant_id, name="Apollo")

    await api.create_project(other.owner, other.tenant_id, name="Apollo")


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": ""}, "/body/name"),
        ({"name": "x" * 201}, "/body/name"),
        ({"name": "Apollo", "description": "x" * 2001}, "/body/description"),
        ({"description": "No name"}, "/body/name"),
        ({"name": "Apollo", "tenant_id": str(uuid.uuid4())}, "/body/tenant_id"),
    ],
    ids=["empty name", "long name", "long description", "no name", "tenant_id in body"],
)
async def test_creation_validates_the_body(
    api: Api, team: Team, body: dict[str, Any], pointer: str
) -> None:
    response = await api.client.post(
        PROJECTS, headers=team.owner.in_tenant(team.tenant_id), json=body
    )

    errors = expect(response, 422)["errors"]
    assert pointer in [error["pointer"] for error in errors]


async def test_an_update_changes_the_fields_sent_and_the_etag(api: Api, team: Team) -> None:
    project = await api.create_project(team.member, team.tenant_id, name="Apollo")
    headers = team.member.in_tenant(team.tenant_id)
    before = await api.client.get(project_url(project), headers=headers)

    response = await api.client.patch(
        project_url(project), headers=headers, json={"description": None}
    )

    updated = expect(response, 200)
    assert (updated["name"], updated["description"]) == ("Apollo", None)
    assert response.headers["ETag"] != before.headers["ETag"]
    assert updated["updated_at"] >= project["updated_at"]


@pytest.mark.parametrize(
    "body",
    [{}, {"name": None}, {"name": ""}, {"version": 7}],
    ids=["empty", "null name", "empty name", "unknown field"],
)
async def test_an_update_validates_the_body(api: Api, team: Team, body: dict[str, Any]) -> None:
    project = await api.create_project(team.owner, team.tenant_id)

    response = await api.client.patch(
        project_url(project), headers=team.owner.in_tenant(team.tenant_id), json=body
    )

    assert expect(response, 422)["errors"]


async def test_an_update_cannot_take_the_name_of_another_project(api: Api, team: Team) -> None:
    await api.create_project(team.owner, team.tenant_id, name="Apollo")
    gemini = await api.create_project(team.owner, team.tenant_id, name="Gemini")

    response = await api.client.patch(
        project_url(gemini), headers=team.owner.in_tenant(team.tenant_id), json={"name": "Apollo"}
    )

    expect(response, 409)


async def test_if_match_with_the_current_etag_allows_the_update(api: Api, team: Team) -> None:
    project = await api.create_project(team.owner, team.tenant_id)
    headers = team.owner.in_tenant(team.tenant_id)
    etag = (await api.client.get(project_url(project), headers=headers)).headers["ETag"]

    response = await api.client.patch(
        project_url(project), headers={**headers, "If-Match": etag}, json={"name": "Renamed"}
    )

    assert expect(response, 200)["name"] == "Renamed"


async def test_if_match_with_a_stale_etag_fails_and_changes_nothing(
    api: Api, team: Team, superuser_db: AsyncEngine
) -> None:
    project = await api.create_project(team.owner, team.tenant_id, name="Apollo")
    headers = team.owner.in_tenant(team.tenant_id)
    stale = (await api.client.get(project_url(project), headers=headers)).headers["ETag"]
    expect(
        await api.client.patch(project_url(project), headers=headers, json={"name": "Gemini"}),
        200,
    )

    response = await api.client.patch(
        project_url(project), headers={**headers, "If-Match": stale}, json={"name": "Mercury"}
    )

    expect(response, 412)
    projects = tenant_table(team.tenant_id, "projects")
    async with tenant_rows(superuser_db, team.tenant_id) as tenant_db:
        name = await scalar(
            tenant_db, f"SELECT name FROM {projects} WHERE id = :id", id=project["id"]
        )
    assert name == "Gemini"


@pytest.mark.parametrize("role", ["owner", "admin"])
async def test_owners_and_admins_delete_projects(api: Api, team: Team, role: str) -> None:
    project = await api.create_project(team.member, team.tenant_id)
    headers = getattr(team, role).in_tenant(team.tenant_id)

    expect(await api.client.delete(project_url(project), headers=headers), 204)

    expect(await api.client.get(project_url(project), headers=headers), 404)
    expect(await api.client.delete(project_url(project), headers=headers), 404)


async def test_members_cannot_delete_projects(
    api: Api, team: Team, superuser_db: AsyncEngine
) -> None:
    project = await api.create_project(team.member, team.tenant_id)

    response = await api.client.delete(
        project_url(project), headers=team.member.in_tenant(team.tenant_id)
    )

    expect(response, 403)
    projects = tenant_table(team.tenant_id, "projects")
    async with tenant_rows(superuser_db, team.tenant_id) as tenant_db:
        assert await scalar(tenant_db, f"SELECT count(*) FROM {projects}") == 1


async def test_an_unknown_project_is_not_found(api: Api, team: Team) -> None:
    url = f"{PROJECTS}/{uuid.uuid4()}"
    headers = team.owner.in_tenant(team.tenant_id)

    expect(await api.client.get(url, headers=headers), 404)
    expect(await api.client.patch(url, headers=headers, json={"name": "x"}), 404)


OPERATIONS = [
    ("GET", PROJECTS, None),
    ("POST", PROJECTS, {"name": "Apollo"}),
    ("GET", f"{PROJECTS}/{uuid.uuid4()}", None),
    ("PATCH", f"{PROJECTS}/{uuid.uuid4()}", {"name": "Apollo"}),
    ("DELETE", f"{PROJECTS}/{uuid.uuid4()}", None),
]


@pytest.fixture
async def outsider(api: Api) -> Account:
    """A user who belongs to no tenant."""
    return await api.sign_up("outsider")


@pytest.mark.parametrize(("method", "url", "body"), OPERATIONS)
@pytest.mark.parametrize(
    "tenant_header", [None, "", "not-a-uuid", "12345"], ids=["missing", "empty", "text", "number"]
)
async def test_a_missing_or_malformed_tenant_header_is_a_bad_request(
    api: Api, outsider: Account, method: str, url: str, body: Any, tenant_header: str | None
) -> None:
    headers = outsider.auth
    if tenant_header is not None:
        headers = {**headers, "X-Tenant-ID": tenant_header}

    response = await api.client.request(method, url, headers=headers, json=body)

    problem = expect(response, 400)
    assert [error["pointer"] for error in problem["errors"]] == ["/header/x-tenant-id"]


@pytest.mark.parametrize(("method", "url", "body"), OPERATIONS)
async def test_an_unknown_tenant_is_not_found(
    api: Api, outsider: Account, method: str, url: str, body: Any
) -> None:
    headers = outsider.in_tenant(str(uuid.uuid4()))

    expect(await api.client.request(method, url, headers=headers, json=body), 404)


async def all_pages(
    client: httpx.AsyncClient, headers: dict[str, str], limit: int
) -> list[list[str]]:
    pages: list[list[str]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        page = expect(await client.get(PROJECTS, headers=headers, params=params), 200)
        pages.append([project["id"] for project in page["items"]])
        if page["next_cursor"] is None:
            return pages
        params["cursor"] = page["next_cursor"]


async def test_cursors_walk_every_project_once_in_creation_order(api: Api, team: Team) -> None:
    created = [(await api.create_project(team.owner, team.tenant_id))["id"] for _ in range(25)]

    pages = await all_pages(api.client, team.owner.in_tenant(team.tenant_id), limit=10)

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [project_id for page in pages for project_id in page] == created


async def test_the_default_page_holds_twenty_projects(api: Api, team: Team) -> None:
    for _ in range(21):
        await api.create_project(team.owner, team.tenant_id)

    page = expect(await api.client.get(PROJECTS, headers=team.owner.in_tenant(team.tenant_id)), 200)

    assert len(page["items"]) == 20
    assert page["next_cursor"] is not None


async def test_an_exactly_full_last_page_has_no_next_cursor(api: Api, team: Team) -> None:
    for _ in range(2):
        await api.create_project(team.owner, team.tenant_id)

    pages = await all_pages(api.client, team.owner.in_tenant(team.tenant_id), limit=2)

    assert [len(page) for page in pages] == [2]


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"limit": 0}, "/query/limit"),
        ({"limit": 101}, "/query/limit"),
        ({"limit": "ten"}, "/query/limit"),
        ({"cursor": "not a cursor"}, "/query/cursor"),
        ({"cursor": "AAAA"}, "/query/cursor"),
        ({"cursor": "x" * 201}, "/query/cursor"),
    ],
    ids=["limit 0", "limit 101", "limit text", "cursor text", "cursor short", "cursor long"],
)
async def test_bad_paging_parameters_are_rejected(
    api: Api, team: Team, params: dict[str, Any], pointer: str
) -> None:
    response = await api.client.get(
        PROJECTS, headers=team.owner.in_tenant(team.tenant_id), params=params
    )

    errors = expect(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == [pointer]


async def test_a_repeated_idempotency_key_replays_the_first_response(
    api: Api, team: Team, superuser_db: AsyncEngine
) -> None:
    headers = {**team.owner.in_tenant(team.tenant_id), "Idempotency-Key": "create-apollo"}
    body = {"name": "Apollo", "description": None}

    first = await api.client.post(PROJECTS, headers=headers, json=body)
    again = await api.client.post(PROJECTS, headers=headers, json=body)

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    projects = tenant_table(team.tenant_id, "projects")
    async with tenant_rows(superuser_db, team.tenant_id) as tenant_db:
        assert await scalar(tenant_db, f"SELECT count(*) FROM {projects}") == 1


async def test_an_idempotency_key_reused_with_another_body_is_rejected(
    api: Api, team: Team, superuser_db: AsyncEngine
) -> None:
    headers = {**team.owner.in_tenant(team.tenant_id), "Idempotency-Key": "create-apollo"}
    expect(await api.client.post(PROJECTS, headers=headers, json={"name": "Apollo"}), 201)

    response = await api.client.post(PROJECTS, headers=headers, json={"name": "Gemini"})

    expect(response, 422)
    projects = tenant_table(team.tenant_id, "projects")
    async with tenant_rows(superuser_db, team.tenant_id) as tenant_db:
        names = await fetch(tenant_db, f"SELECT name FROM {projects}")
    assert [row.name for row in names] == ["Apollo"]


async def test_idempotency_keys_belong_to_their_user(api: Api, team: Team) -> None:
    key = {"Idempotency-Key": "same-key"}

    mine = await api.client.post(
        PROJECTS, headers={**team.owner.in_tenant(team.tenant_id), **key}, json={"name": "A"}
    )
    theirs = await api.client.post(
        PROJECTS, headers={**team.admin.in_tenant(team.tenant_id), **key}, json={"name": "B"}
    )

    assert expect(mine, 201)["id"] != expect(theirs, 201)["id"]
