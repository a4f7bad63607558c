"""Roles owner > admin > member: who manages members and deletes projects; the last owner stays."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from .client import Account, ApiClient

pytestmark = [pytest.mark.contract, pytest.mark.tenanted]


@dataclass
class Team:
    tenant: str
    owner: Account
    admin: Account
    member: Account

    def member_url(self, account: Account) -> str:
        return f"/api/v1/tenants/{self.tenant}/members/{account.id}"


@pytest.fixture
def team(api: ApiClient) -> Team:
    owner = api.new_account("owner")
    tenant = api.new_tenant(owner)["id"]
    return Team(
        tenant=tenant,
        owner=owner,
        admin=api.join(owner, tenant, "admin"),
        member=api.join(owner, tenant, "member"),
    )


def roles(api: ApiClient, team: Team) -> dict[str, str]:
    response = api.get(f"/api/v1/tenants/{team.tenant}/members", headers=team.owner.auth)
    assert response.status_code == 200
    return {m["user_id"]: m["role"] for m in response.json()["items"]}


def test_every_member_sees_the_member_list(api: ApiClient, team: Team) -> None:
    expected = {team.owner.id: "owner", team.admin.id: "admin", team.member.id: "member"}
    for account in (team.owner, team.admin, team.member):
        response = api.get(f"/api/v1/tenants/{team.tenant}/members", headers=account.auth)
        assert response.status_code == 200
        assert {m["user_id"]: m["role"] for m in response.json()["items"]} == expected
        emails = {m["user_id"]: m["email"] for m in response.json()["items"]}
        assert emails[team.member.id] == team.member.email


def test_each_member_sees_the_tenant_with_their_own_role(api: ApiClient, team: Team) -> None:
    for account, role in ((team.owner, "owner"), (team.admin, "admin"), (team.member, "member")):
        response = api.get(f"/api/v1/tenants/{team.tenant}", headers=account.auth)
        assert response.status_code == 200
        assert response.json()["role"] == role
        listed = api.get("/api/v1/tenants", headers=account.auth).json()["items"]
        assert [(t["id"], t["role"]) for t in listed] == [(team.tenant, role)]


def test_a_member_cannot_manage_members(api: ApiClient, team: Team) -> None:
    newcomer = api.new_account("newcomer")

    assert api.add_member(team.member, team.tenant, newcomer.email, "member").status_code == 403
    assert (
        api.patch(
            team.member_url(team.admin), headers=team.member.auth, json={"role": "member"}
        ).status_code
        == 403
    )
    assert api.delete(team.member_url(team.admin), headers=team.member.auth).status_code == 403
    assert roles(api, team)[team.admin.id] == "admin"


def test_a_member_cannot_delete_a_project(api: ApiClient, team: Team) -> None:
    project = api.new_project(team.owner, team.tenant)
    url = f"/api/v1/projects/{project['id']}"

    assert api.delete(url, headers=team.member.in_tenant(team.tenant)).status_code == 403
    assert api.get(url, headers=team.member.in_tenant(team.tenant)).status_code == 200


@pytest.mark.parametrize("deleter", ["owner", "admin"])
def test_admins_and_owners_delete_projects(api: ApiClient, team: Team, deleter: str) -> None:
    project = api.new_project(team.member, team.tenant)
    url = f"/api/v1/projects/{project['id']}"
    actor: Account = getattr(team, deleter)

    response = api.delete(url, headers=actor.in_tenant(team.tenant))

    assert response.status_code == 204
    assert response.content == b""
    assert api.get(url, headers=actor.in_tenant(team.tenant)).status_code == 404


def test_an_admin_adds_and_removes_members(api: ApiClient, team: Team) -> None:
    newcomer = api.new_account("newcomer")

    added = api.add_member(team.admin, team.tenant, newcomer.email, "admin")
    assert added.status_code == 201
    assert added.json()["user_id"] == newcomer.id
    assert added.json()["role"] == "admin"
    assert added.json()["email"] == newcomer.email

    removed = api.delete(team.member_url(newcomer), headers=team.admin.auth)
    assert removed.status_code == 204
    assert api.get(f"/api/v1/tenants/{team.tenant}", headers=newcomer.auth).status_code == 404


def test_an_admin_cannot_grant_owner(api: ApiClient, team: Team) -> None:
    newcomer = api.new_account("newcomer")

    assert api.add_member(team.admin, team.tenant, newcomer.email, "owner").status_code == 403
    promote = api.patch(
        team.member_url(team.member), headers=team.admin.auth, json={"role": "owner"}
    )
    assert promote.status_code == 403
    assert roles(api, team)[team.member.id] == "member"


def test_an_admin_cannot_revoke_owner(api: ApiClient, team: Team) -> None:
    demote = api.patch(
        team.member_url(team.owner), headers=team.admin.auth, json={"role": "member"}
    )
    remove = api.delete(team.member_url(team.owner), headers=team.admin.auth)

    assert (demote.status_code, remove.status_code) == (403, 403)
    assert roles(api, team)[team.owner.id] == "owner"


def test_an_owner_grants_and_revokes_owner(api: ApiClient, team: Team) -> None:
    promoted = api.patch(
        team.member_url(team.admin), headers=team.owner.auth, json={"role": "owner"}
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "owner"

    demoted = api.patch(
        team.member_url(team.owner), headers=team.admin.auth, json={"role": "member"}
    )
    assert demoted.status_code == 200, "another owner may demote an owner who is not the last"
    assert roles(api, team) == {
        team.owner.id: "member",
        team.admin.id: "owner",
        team.member.id: "member",
    }


def test_the_last_owner_cannot_be_demoted_or_removed(api: ApiClient, team: Team) -> None:
    demote = api.patch(team.member_url(team.owner), headers=team.owner.auth, json={"role": "admin"})
    remove = api.delete(team.member_url(team.owner), headers=team.owner.auth)

    assert (demote.status_code, remove.status_code) == (409, 409)
    assert roles(api, team)[team.owner.id] == "owner"


def test_adding_an_existing_member_is_409(api: ApiClient, team: Team) -> None:
    assert api.add_member(team.owner, team.tenant, team.member.email, "admin").status_code == 409


def test_adding_an_unknown_user_is_404(api: ApiClient, team: Team) -> None:
    assert (
        api.add_member(team.owner, team.tenant, "nobody-here@example.com", "member").status_code
        == 404
    )


def test_changing_an_unknown_member_is_404(api: ApiClient, team: Team) -> None:
    outsider = api.new_account("outsider")

    assert (
        api.patch(
            team.member_url(outsider), headers=team.owner.auth, json={"role": "admin"}
        ).status_code
        == 404
    )
    assert api.delete(team.member_url(outsider), headers=team.owner.auth).status_code == 404
