"""UUIDs only in their canonical form; single-valued inputs given once.

The canonical form is 8-4-4-4-12 hyphenated hex, in either letter case. Other spellings that
some UUID parsers accept ({...}, urn:uuid:..., 32 hex digits) are malformed: in X-Tenant-ID
400, in a path 422. A repeated X-Tenant-ID header is 400, a repeated `limit` or `cursor` 422.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from .client import Account, ApiClient

pytestmark = [pytest.mark.contract, pytest.mark.tenancy_independent]

PROJECTS = "/api/v1/projects"


@dataclass
class Scene:
    owner: Account
    tenant: str | None
    project: str


@pytest.fixture(scope="module")
def scene(api: ApiClient) -> Scene:
    owner = api.new_owner("strict")
    tenant = api.new_scope(owner)
    return Scene(owner, tenant, api.new_project(owner, tenant)["id"])


def non_canonical(value: str) -> dict[str, str]:
    return {
        "braces": "{" + value + "}",
        "urn": f"urn:uuid:{value}",
        "hex32": uuid.UUID(value).hex,
    }


SPELLINGS = ["braces", "urn", "hex32"]


def pointers(response) -> set[str]:
    return {error["pointer"] for error in response.json().get("errors", [])}


@pytest.mark.tenanted
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_non_canonical_tenant_header_is_400(api: ApiClient, scene: Scene, spelling: str) -> None:
    header = non_canonical(scene.tenant)[spelling]

    response = api.get(PROJECTS, headers=scene.owner.auth | {"X-Tenant-ID": header})

    assert response.status_code == 400


@pytest.mark.tenanted
def test_an_upper_case_tenant_header_is_canonical(api: ApiClient, scene: Scene) -> None:
    response = api.get(PROJECTS, headers=scene.owner.auth | {"X-Tenant-ID": scene.tenant.upper()})

    assert response.status_code == 200
    assert [p["id"] for p in response.json()["items"]] == [scene.project]


@pytest.mark.tenanted
def test_a_repeated_tenant_header_is_400(api: ApiClient, scene: Scene) -> None:
    headers = [*scene.owner.auth.items(), ("X-Tenant-ID", scene.tenant)]
    headers.append(("X-Tenant-ID", scene.tenant))

    response = api.get(PROJECTS, headers=headers)

    assert response.status_code == 400


@pytest.mark.tenanted
def test_a_repeated_tenant_header_naming_two_tenants_is_400(api: ApiClient, scene: Scene) -> None:
    other = api.new_tenant(scene.owner)["id"]
    headers = [*scene.owner.auth.items(), ("X-Tenant-ID", other), ("X-Tenant-ID", scene.tenant)]

    response = api.get(PROJECTS, headers=headers)

    assert response.status_code == 400


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_non_canonical_project_id_is_422(api: ApiClient, scene: Scene, spelling: str) -> None:
    path = f"{PROJECTS}/{non_canonical(scene.project)[spelling]}"

    response = api.get(path, headers=scene.owner.in_tenant(scene.tenant))

    assert response.status_code == 422
    assert "/path/project_id" in pointers(response)


@pytest.mark.tenanted
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_non_canonical_tenant_id_is_422(api: ApiClient, scene: Scene, spelling: str) -> None:
    path = f"/api/v1/tenants/{non_canonical(scene.tenant)[spelling]}"

    response = api.get(path, headers=scene.owner.auth)

    assert response.status_code == 422
    assert "/path/tenant_id" in pointers(response)


def test_an_upper_case_project_id_is_canonical(api: ApiClient, scene: Scene) -> None:
    response = api.get(
        f"{PROJECTS}/{scene.project.upper()}", headers=scene.owner.in_tenant(scene.tenant)
    )

    assert response.status_code == 200
    assert response.json()["id"] == scene.project


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        pytest.param([("limit", "5"), ("limit", "50")], "/query/limit", id="limit-twice"),
        pytest.param([("limit", "5"), ("limit", "5")], "/query/limit", id="same-limit-twice"),
        pytest.param([("cursor", "a"), ("cursor", "b")], "/query/cursor", id="cursor-twice"),
    ],
)
def test_a_repeated_query_parameter_is_422(
    api: ApiClient, scene: Scene, params: list, pointer: str
) -> None:
    response = api.get(PROJECTS, headers=scene.owner.in_tenant(scene.tenant), params=params)

    assert response.status_code == 422
    assert pointer in pointers(response)
