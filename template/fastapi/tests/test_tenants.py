"""Tenants: creation, the caller's view of them, and who may see one."""

import uuid

import pytest

from .api import Account, Api, Team, expect, unique

TENANTS = "/api/v1/tenants"


@pytest.fixture
async def ada(api: Api) -> Account:
    return await api.sign_up("ada")


async def test_the_creator_of_a_tenant_becomes_its_owner(api: Api, ada: Account) -> None:
    response = await api.client.post(
        TENANTS, headers=ada.auth, json={"name": "Acme", "slug": "acme"}
    )

    tenant = expect(response, 201)
    assert (tenant["name"], tenant["slug"], tenant["role"]) == ("Acme", "acme", "owner")
    assert response.headers["Location"].endswith(f"{TENANTS}/{tenant['id']}")
    assert (
        expect(await api.client.get(f"{TENANTS}/{tenant['id']}", headers=ada.auth), 200) == tenant
    )


async def test_a_slug_is_taken_only_once(api: Api, ada: Account) -> None:
    bob = await api.sign_up("bob")
    expect(
        await api.client.post(TENANTS, headers=ada.auth, json={"name": "Acme", "slug": "acme"}),
        201,
    )

    response = await api.client.post(
        TENANTS, headers=bob.auth, json={"name": "Other Acme", "slug": "acme"}
    )

    expect(response, 409)


@pytest.mark.parametrize(
    "slug",
    ["Acme", "-acme", "acme-", "ac me", "acme_co", "", "a" * 64],
)
async def test_a_slug_must_be_a_lowercase_dns_label(api: Api, ada: Account, slug: str) -> None:
    response = await api.client.post(TENANTS, headers=ada.auth, json={"name": "Acme", "slug": slug})

    errors = expect(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/body/slug"]


async def test_tenant_creation_rejects_unknown_fields(api: Api, ada: Account) -> None:
    response = await api.client.post(
        TENANTS, headers=ada.auth, json={"name": "Acme", "slug": "acme", "id": str(uuid.uuid4())}
    )

    errors = expect(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/body/id"]


async def test_the_tenant_list_holds_the_callers_tenants_with_the_callers_role(
    api: Api, team: Team
) -> None:
    own_tenant = await api.create_tenant(team.member, unique("Own"))
    await api.create_tenant(team.owner, unique("Not shared"))

    listed = expect(await api.client.get(TENANTS, headers=team.member.auth), 200)["items"]

    assert {(tenant["id"], tenant["role"]) for tenant in listed} == {
        (team.tenant_id, "member"),
        (own_tenant, "owner"),
    }


async def test_a_member_sees_the_tenant_with_their_role(api: Api, team: Team) -> None:
    tenant = expect(
        await api.client.get(f"{TENANTS}/{team.tenant_id}", headers=team.admin.auth), 200
    )

    assert tenant["role"] == "admin"


async def test_a_tenant_is_not_found_for_non_members_and_unknown_ids_alike(
    api: Api, team: Team, ada: Account
) -> None:
    not_member = await api.client.get(f"{TENANTS}/{team.tenant_id}", headers=ada.auth)
    unknown = await api.client.get(f"{TENANTS}/{uuid.uuid4()}", headers=ada.auth)

    assert expect(not_member, 404)["detail"] == expect(unknown, 404)["detail"]


async def test_tenants_require_authentication(api: Api, team: Team) -> None:
    expect(await api.client.get(TENANTS), 401)
    expect(await api.client.get(f"{TENANTS}/{team.tenant_id}"), 401)
    expect(await api.client.post(TENANTS, json={"name": "Acme", "slug": "acme"}), 401)
