"""A valid access token whose user no longer exists is 401 on every authenticated route.

The user is deleted behind the API's back (as an operator or a GDPR erasure would), with the
database owner's connection; the token is still correctly signed and unexpired.
"""

from __future__ import annotations

import psycopg
import pytest

from .client import ApiClient
from .conformance import Contract
from .problems import plain_client
from .server import ServerProcess

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def orphan(api: ApiClient, server: ServerProcess) -> dict:
    """Paths of a tenant (under tenancy=none, the organisation), project and membership, and
    the headers of their deleted owner."""
    owner = api.new_owner("deleted")
    tenant = api.new_scope(owner)
    project = api.new_project(owner, tenant)["id"]
    # A tenant stays alive with another owner.
    colleague = api.join(owner, tenant, "owner" if api.tenanted else "member")
    assert server.database is not None
    with psycopg.connect(server.database.owner_url, autocommit=True) as conn:
        deleted = conn.execute("DELETE FROM users WHERE id = %s", (owner.id,)).rowcount
    assert deleted == 1
    return {
        "headers": owner.in_tenant(tenant),
        "values": {"tenant_id": tenant, "project_id": project, "user_id": colleague.id},
    }


BODIES = {
    "createTenant": {"name": "Orphaned", "slug": "orphaned-tenant"},
    "addMember": {"email": "someone@example.com", "role": "member"},
    "updateMember": {"role": "member"},
    "createProject": {"name": "orphaned"},
    "updateProject": {"name": "orphaned"},
}


def secured_operations(contract: Contract) -> list:
    return [
        op
        for op in contract.operations
        if contract.resolve(op.pointer)[1].get("security") != []
        and op.template.startswith(("/api/v1/users", "/api/v1/tenants", "/api/v1/projects"))
    ]


def test_every_authenticated_route_answers_401(
    api: ApiClient, contract: Contract, orphan: dict
) -> None:
    answers = {}
    # Without the contract hook, so that one wrong answer does not hide the others.
    with plain_client(api.base_url) as client:
        for op in secured_operations(contract):
            response = client.request(
                op.method,
                op.template.format(**orphan["values"]),
                headers=orphan["headers"],
                json=BODIES.get(op.operation_id),
            )
            challenge = response.headers.get("www-authenticate", "").lower()
            answers[op.operation_id] = (response.status_code, challenge.startswith("bearer"))

    assert answers, "no authenticated operation found in the contract"
    assert {op: answer for op, answer in answers.items() if answer != (401, True)} == {}
