"""PostgreSQL restarted while the service is idle: no request fails once it is back.

Every worker's pool holds connections the restart has killed; the first requests on each must
still succeed (a stale connection is detected before use, or the request retried on a fresh
one). Rounds of concurrent requests, right after PostgreSQL accepts connections again, reach
every worker's pool and several of its connections.

Idle means no request in flight during the restart. IDLE_SECONDS before it are either none
(connections used a moment ago, which the pools do not ping before reuse) or longer than the
second after which they do. A restart that hits requests in flight is the subject of
test_restart_under_load, which allows a second to recover.
"""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest

from tests.contract.client import ApiClient
from tests.contract.races import race
from tests.contract.server import ServerProcess
from tests.harness.postgres import PostgresServer, start_server, stop_server

pytestmark = pytest.mark.faults

CONCURRENCY = 8
ROUNDS = 5


def rounds(server: ServerProcess, headers: dict[str, str]) -> Counter:
    statuses: Counter = Counter()
    for _ in range(ROUNDS):
        responses = race(
            CONCURRENCY,
            lambda: httpx.Client(base_url=server.base_url, timeout=30),
            lambda client, i: client.get("/api/v1/projects", headers=headers),
        )
        statuses.update(r.status_code for r in responses)
    return statuses


@pytest.mark.parametrize("idle_seconds", [0.0, 2.0], ids=["just-used", "idle"])
def test_the_first_requests_after_an_idle_restart_succeed(
    api: ApiClient, server: ServerProcess, postgres: PostgresServer, idle_seconds: float
) -> None:
    owner = api.new_account("idle")
    headers = owner.in_tenant(api.new_scope(owner))
    assert rounds(server, headers) == {200: CONCURRENCY * ROUNDS}, "warm-up: fill the pools"
    time.sleep(idle_seconds)  # the idleness is the scenario, there is nothing to poll for

    stop_server(postgres, mode="fast")
    start_server(postgres)

    assert rounds(server, headers) == {200: CONCURRENCY * ROUNDS}
