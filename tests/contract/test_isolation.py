"""One tenant's data is invisible to everyone outside it; the tenant header is strictly checked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from .client import Account, ApiClient

pytestmark = [pytest.mark.contract, pytest.mark.tenanted]


@dataclass
class TwoTenants:
    alice: Account
    tenant_a: str
    project: dict
    bob: Account
    tenant_b: str


@pytest.fixture
def world(api: ApiClient) -> TwoTenants:
    alice, bob = api.new_account("alice"), api.new_account("bob")
    tenant_a = api.new_tenant(alice)["id"]
    tenant_b = api.new_tenant(bob)["id"]
    project = api.new_project(alice, tenant_a, "secret plans")
    api.new_project(bob, tenant_b, "bob's plans")
    return TwoTenants(alice, tenant_a, project, bob, tenant_b)


def test_another_tenants_project_is_not_found(api: ApiClient, world: TwoTenants) -> None:
    url = f"/api/v1/projects/{world.project['id']}"
    headers = world.bob.in_tenant(world.tenant_b)

    assert api.get(url, headers=headers).status_code == 404
    assert api.patch(url, headers=headers, json={"name": "pwned"}).status_code == 404
    assert api.delete(url, headers=headers).status_code == 404

    still_there = api.get(url, headers=world.alice.in_tenant(world.tenant_a))
    assert still_there.status_code == 200
    assert still_there.json() == world.project


def test_listing_shows_only_the_selected_tenants_projects(
    api: ApiClient, world: TwoTenants
) -> None:
    bobs = api.list_all_projects(world.bob, world.tenant_b)
    alices = api.list_all_projects(world.alice, world.tenant_a)

    assert [p["name"] for p in bobs] == ["bob's plans"]
    assert [p["id"] for p in alices] == [world.project["id"]]


def test_a_project_is_scoped_to_its_tenant_even_for_its_creator(
    api: ApiClient, world: TwoTenants
) -> None:
    other_tenant = api.new_tenant(world.alice)["id"]

    response = api.get(
        f"/api/v1/projects/{world.project['id']}", headers=world.alice.in_tenant(other_tenant)
    )

    assert response.status_code == 404
    assert api.list_all_projects(world.alice, other_tenant) == []


def test_a_non_member_cannot_act_in_a_tenant(api: ApiClient, world: TwoTenants) -> None:
    headers = world.bob.in_tenant(world.tenant_a)

    assert api.get("/api/v1/projects", headers=headers).status_code == 404
    assert api.get(f"/api/v1/projects/{world.project['id']}", headers=headers).status_code == 404
    assert (
        api.post("/api/v1/projects", headers=headers, json={"name": "intruder"}).status_code == 404
    )
    assert [p["name"] for p in api.list_all_projects(world.alice, world.tenant_a)] == [
        "secret plans"
    ]


def test_an_unknown_tenant_is_not_found(api: ApiClient, world: TwoTenants) -> None:
    headers = world.bob.in_tenant(str(uuid.uuid4()))

    assert api.get("/api/v1/projects", headers=headers).status_code == 404


def test_tenants_of_others_are_not_found(api: ApiClient, world: TwoTenants) -> None:
    assert api.get(f"/api/v1/tenants/{world.tenant_a}", headers=world.bob.auth).status_code == 404
    members = api.get(f"/api/v1/tenants/{world.tenant_a}/members", headers=world.bob.auth)
    assert members.status_code == 404
    added = api.add_member(world.bob, world.tenant_a, world.bob.email, "owner")
    assert added.status_code == 404


def test_tenant_list_holds_only_the_callers_tenants(api: ApiClient, world: TwoTenants) -> None:
    response = api.get("/api/v1/tenants", headers=world.bob.auth)

    assert response.status_code == 200
    assert [(t["id"], t["role"]) for t in response.json()["items"]] == [(world.tenant_b, "owner")]


@pytest.fixture(scope="module")
def resident(api: ApiClient) -> tuple[Account, str, str]:
    """An owner, their tenant and one project in it; shared by the read-only header checks."""
    owner = api.new_account("resident")
    tenant = api.new_tenant(owner)["id"]
    return owner, tenant, api.new_project(owner, tenant)["id"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/projects"),
        ("POST", "/api/v1/projects"),
        ("GET", "/api/v1/projects/{project}"),
        ("PATCH", "/api/v1/projects/{project}"),
        ("DELETE", "/api/v1/projects/{project}"),
    ],
)
@pytest.mark.parametrize(
    "tenant_header",
    [None, "", "not-a-uuid", "12345", "{tenant}x"],
    ids=["missing", "empty", "garbage", "number", "uuid-with-suffix"],
)
def test_a_missing_or_malformed_tenant_header_is_400(
    api: ApiClient,
    resident: tuple[Account, str, str],
    method: str,
    path: str,
    tenant_header: str | None,
) -> None:
    owner, tenant, project = resident
    headers = owner.auth
    if tenant_header is not None:
        headers = headers | {"X-Tenant-ID": tenant_header.format(tenant=tenant)}
    body = {"name": "renamed"} if method in ("POST", "PATCH") else None

    response = api.request(method, path.format(project=project), headers=headers, json=body)

    assert response.status_code == 400
