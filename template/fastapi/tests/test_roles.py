"""Roles in the organisation: registering makes a member, the role is part of the user, and it
is read from the database on every request, so a promotion or a demotion counts at once."""

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from .api import Api, Staff, expect
from .database import execute

ME = "/api/v1/users/me"
PROJECTS = "/api/v1/projects"


async def set_role(engine: AsyncEngine, user_id: str, role: str) -> None:
    await execute(
        engine, "UPDATE users SET role = :role WHERE id = :id", role=role, id=uuid.UUID(user_id)
    )


async def test_registering_makes_a_member(api: Api) -> None:
    user = await api.create_user("ada")

    assert user["role"] == "member"


async def test_the_current_user_carries_the_role(api: Api, staff: Staff) -> None:
    assert expect(await api.client.get(ME, headers=staff.admin.auth), 200)["role"] == "admin"
    assert expect(await api.client.get(ME, headers=staff.member.auth), 200)["role"] == "member"


async def test_members_create_change_and_read_projects(api: Api, staff: Staff) -> None:
    project = await api.create_project(staff.member)
    url = f"{PROJECTS}/{project['id']}"

    expect(await api.client.patch(url, headers=staff.member.auth, json={"name": "Gemini"}), 200)
    expect(await api.client.get(url, headers=staff.admin.auth), 200)
    listed = expect(await api.client.get(PROJECTS, headers=staff.admin.auth), 200)
    assert [item["id"] for item in listed["items"]] == [project["id"]]


async def test_a_demoted_admin_cannot_delete_with_the_token_it_had(
    api: Api, staff: Staff, superuser_db: AsyncEngine
) -> None:
    project = await api.create_project(staff.member)
    await set_role(superuser_db, staff.admin.id, "member")

    response = await api.client.delete(f"{PROJECTS}/{project['id']}", headers=staff.admin.auth)

    expect(response, 403)
    assert expect(await api.client.get(ME, headers=staff.admin.auth), 200)["role"] == "member"


async def test_a_promoted_member_deletes_with_the_token_it_had(
    api: Api, staff: Staff, superuser_db: AsyncEngine
) -> None:
    project = await api.create_project(staff.member)
    url = f"{PROJECTS}/{project['id']}"
    expect(await api.client.delete(url, headers=staff.member.auth), 403)
    await set_role(superuser_db, staff.member.id, "admin")

    expect(await api.client.delete(url, headers=staff.member.auth), 204)
