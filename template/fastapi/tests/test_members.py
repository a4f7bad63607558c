"""Members of a tenant: roles rank owner > admin > member; admins and owners manage members,
only owners grant or revoke owner, and a tenant always keeps an owner."""

import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import Account, Api, Team, expect
from .database import fetch


def members_url(team: Team, user: Account | None = None) -> str:
    url = f"/api/v1/tenants/{team.tenant_id}/members"
    return f"{url}/{user.id}" if user else url


async def roles(superuser_db: AsyncEngine, team: Team) -> dict[str, str]:
    rows = await fetch(
        superuser_db,
        "SELECT user_id::text, role FROM memberships WHERE tenant_id = :tenant",
        tenant=team.tenant_id,
    )
    return {row.user_id: row.role for row in rows}


@pytest.fixture
async def newcomer(api: Api) -> Account:
    return await api.sign_up("newcomer")


async def test_any_member_lists_the_members(api: Api, team: Team) -> None:
    response = await api.client.get(members_url(team), headers=team.member.auth)

    members = {member["user_id"]: member for member in expect(response, 200)["items"]}
    assert {user_id: member["role"] for user_id, member in members.items()} == {
        team.owner.id: "owner",
        team.admin.id: "admin",
        team.member.id: "member",
    }
    assert members[team.member.id]["email"] == team.member.email


async def test_non_members_do_not_see_the_members(api: Api, team: Team, newcomer: Account) -> None:
    expect(await api.client.get(members_url(team), headers=newcomer.auth), 404)


@pytest.mark.parametrize("by", ["owner", "admin"])
async def test_owners_and_admins_add_members(
    api: Api, team: Team, newcomer: Account, superuser_db: AsyncEngine, by: str
) -> None:
    caller: Account = getattr(team, by)

    response = await api.client.post(
        members_url(team), headers=caller.auth, json={"email": newcomer.email, "role": "admin"}
    )

    member = expect(response, 201)
    assert (member["user_id"], member["role"]) == (newcomer.id, "admin")
    assert (await roles(superuser_db, team))[newcomer.id] == "admin"


async def test_members_cannot_manage_members(
    api: Api, team: Team, newcomer: Account, superuser_db: AsyncEngine
) -> None:
    before = await roles(superuser_db, team)
    headers = team.member.auth

    add = await api.client.post(
        members_url(team), headers=headers, json={"email": newcomer.email, "role": "member"}
    )
    promote = await api.client.patch(
        members_url(team, team.member), headers=headers, json={"role": "admin"}
    )
    remove = await api.client.delete(members_url(team, team.admin), headers=headers)

    assert [add.status_code, promote.status_code, remove.status_code] == [403, 403, 403]
    assert await roles(superuser_db, team) == before


async def test_admins_cannot_grant_owner(
    api: Api, team: Team, newcomer: Account, superuser_db: AsyncEngine
) -> None:
    before = await roles(superuser_db, team)

    add = await api.client.post(
        members_url(team), headers=team.admin.auth, json={"email": newcomer.email, "role": "owner"}
    )
    promote = await api.client.patch(
        members_url(team, team.member), headers=team.admin.auth, json={"role": "owner"}
    )
    promote_self = await api.client.patch(
        members_url(team, team.admin), headers=team.admin.auth, json={"role": "owner"}
    )

    assert [add.status_code, promote.status_code, promote_self.status_code] == [403, 403, 403]
    assert await roles(superuser_db, team) == before


async def test_admins_cannot_demote_or_remove_an_owner(
    api: Api, team: Team, superuser_db: AsyncEngine
) -> None:
    await api.add_member(team.tenant_id, by=team.owner, user=await api.sign_up("co"), role="owner")
    before = await roles(superuser_db, team)

    demote = await api.client.patch(
        members_url(team, team.owner), headers=team.admin.auth, json={"role": "member"}
    )
    remove = await api.client.delete(members_url(team, team.owner), headers=team.admin.auth)

    assert [demote.status_code, remove.status_code] == [403, 403]
    assert await roles(superuser_db, team) == before


async def test_owners_grant_owner(api: Api, team: Team) -> None:
    response = await api.client.patch(
        members_url(team, team.admin), headers=team.owner.auth, json={"role": "owner"}
    )

    assert expect(response, 200)["role"] == "owner"


async def test_the_last_owner_cannot_be_demoted_or_removed(
    api: Api, team: Team, superuser_db: AsyncEngine
) -> None:
    before = await roles(superuser_db, team)

    demote = await api.client.patch(
        members_url(team, team.owner), headers=team.owner.auth, json={"role": "admin"}
    )
    remove = await api.client.delete(members_url(team, team.owner), headers=team.owner.auth)

    assert [demote.status_code, remove.status_code] == [409, 409]
    assert await roles(superuser_db, team) == before


async def test_an_owner_can_step_down_once_there_is_another_owner(
    api: Api, team: Team, superuser_db: AsyncEngine
) -> None:
    expect(
        await api.client.patch(
            members_url(team, team.member), headers=team.owner.auth, json={"role": "owner"}
        ),
        200,
    )

    response = await api.client.delete(members_url(team, team.owner), headers=team.member.auth)

    expect(response, 204)
    assert team.owner.id not in await roles(superuser_db, team)


async def test_admins_remove_members(api: Api, team: Team, superuser_db: AsyncEngine) -> None:
    response = await api.client.delete(members_url(team, team.member), headers=team.admin.auth)

    expect(response, 204)
    assert team.member.id not in await roles(superuser_db, team)
    projects = await api.client.get(
        "/api/v1/projects", headers=team.member.in_tenant(team.tenant_id)
    )
    expect(projects, 404)


async def test_a_removed_member_loses_the_tenant_on_every_route(api: Api, team: Team) -> None:
    # One membership lookup decides for the tenant routes and the tenant-scoped ones alike.
    client, member = api.client, team.member
    expect(await client.delete(members_url(team, member), headers=team.admin.auth), 204)

    answers = [
        await client.get(f"/api/v1/tenants/{team.tenant_id}", headers=member.auth),
        await client.get(members_url(team), headers=member.auth),
        await client.get("/api/v1/projects", headers=member.in_tenant(team.tenant_id)),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert len({answer.json()["detail"] for answer in answers}) == 1, "one answer for strangers"
    listed = expect(await client.get("/api/v1/tenants", headers=member.auth), 200)
    assert team.tenant_id not in {tenant["id"] for tenant in listed["items"]}


async def test_a_user_is_added_only_once(api: Api, team: Team) -> None:
    response = await api.client.post(
        members_url(team),
        headers=team.owner.auth,
        json={"email": team.member.email, "role": "admin"},
    )

    expect(response, 409)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "nobody@example.com", "role": "member"}, 404),
        ({"email": "not-an-email", "role": "member"}, 422),
        ({"email": "x@example.com", "role": "superuser"}, 422),
        ({"email": "x@example.com", "role": "member", "tenant_id": str(uuid.uuid4())}, 422),
    ],
    ids=["unregistered email", "malformed email", "unknown role", "unknown field"],
)
async def test_adding_a_member_validates_the_request(
    api: Api, team: Team, body: dict[str, Any], status: int
) -> None:
    expect(await api.client.post(members_url(team), headers=team.owner.auth, json=body), status)


async def test_changing_an_unknown_member_is_not_found(
    api: Api, team: Team, newcomer: Account
) -> None:
    url = members_url(team, newcomer)

    expect(await api.client.patch(url, headers=team.owner.auth, json={"role": "admin"}), 404)
    expect(await api.client.delete(url, headers=team.owner.auth), 404)
