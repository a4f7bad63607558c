"""Every error status carries its RFC 9110 reason phrase as the problem title, in both flavours.

Each status is provoked on purpose; the contract hook checks the same rule on every other error
the suite meets. 413, 429 and 503 are provoked (and their titles checked) in test_body_limit,
test_rate_limits and test_hashing_budget.
"""

from __future__ import annotations

import uuid

import pytest

from .client import ApiClient
from .problems import assert_problem

pytestmark = [pytest.mark.contract, pytest.mark.tenancy_independent]


@pytest.fixture(scope="module")
def scene(api: ApiClient) -> dict:
    owner = api.new_owner("titles")
    tenant = api.new_scope(owner)
    created = api.create_project(owner, tenant, "Titled")
    assert created.status_code == 201
    member = api.join(owner, tenant, "member")
    return {
        "owner": owner.in_tenant(tenant),
        "member": member.in_tenant(tenant),
        "project": f"/api/v1/projects/{created.json()['id']}",
        "etag": created.headers["etag"],
    }


def provoke(api: ApiClient, scene: dict, status: int):
    owner, project = scene["owner"], scene["project"]
    match status:
        case 400:
            return api.get("/api/v1/projects", headers=owner | {"X-Tenant-ID": "not-a-uuid"})
        case 401:
            return api.get("/api/v1/users/me")
        case 403:
            return api.delete(project, headers=scene["member"])
        case 404:
            return api.get(f"/api/v1/projects/{uuid.uuid4()}", headers=owner)
        case 405:
            return api.put(project, headers=owner, json={})
        case 409:
            return api.post("/api/v1/projects", headers=owner, json={"name": "Titled"})
        case 412:
            return api.patch(project, headers=owner | {"If-Match": '"stale"'}, json={"name": "x"})
        case 422:
            return api.get("/api/v1/projects", headers=owner, params={"limit": "0"})
    raise AssertionError(status)


@pytest.mark.parametrize(
    "status",
    [pytest.param(400, marks=pytest.mark.tenanted), 401, 403, 404, 405, 409, 412, 422],
)
def test_the_problem_title_is_the_status_reason_phrase(
    api: ApiClient, scene: dict, status: int
) -> None:
    assert_problem(provoke(api, scene, status), status)
