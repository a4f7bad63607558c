"""The pgbouncer route really goes through PgBouncer, and isolation holds under concurrency.

Transaction pooling hands one server connection to many clients' transactions in turn: tenant
context set at session level, or a named prepared statement, would leak into (or break) another
request. Many tenants reading and writing at once, each must see exactly its own projects.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .client import Account, ApiClient
from .races import race
from .server import ServerProcess

pytestmark = pytest.mark.contract

TENANTS = 8
WRITES = 5


def test_the_pgbouncer_route_pools_the_apps_transactions(
    request: pytest.FixtureRequest, route: str, api: ApiClient, server: ServerProcess
) -> None:
    if route != "pgbouncer":
        pytest.skip("a guard of the pgbouncer route")
    bouncer = request.getfixturevalue("pgbouncer")
    assert server.database is not None
    before = bouncer.transactions(server.database.name)

    api.new_account("pooled")

    assert bouncer.transactions(server.database.name) > before


@pytest.mark.tenanted
def test_concurrent_tenants_each_see_only_their_own_projects(
    api: ApiClient, new_client: Callable[[], ApiClient]
) -> None:
    owners: list[tuple[Account, str]] = []
    for _ in range(TENANTS):
        owner = api.new_account("pooled")
        owners.append((owner, api.new_tenant(owner)["id"]))

    def work(client: ApiClient, i: int) -> tuple[set[str], list[set[str]]]:
        owner, tenant = owners[i]
        created, seen = set(), []
        for n in range(WRITES):
            created.add(client.new_project(owner, tenant, f"t{i}-p{n}")["id"])
            seen.append({p["id"] for p in client.list_all_projects(owner, tenant)})
        return created, seen

    results = race(TENANTS, new_client, work)

    for created, seen in results:
        assert all(listing <= created for listing in seen), "a listing showed another tenant's"
        assert seen[-1] == created
