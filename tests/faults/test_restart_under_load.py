"""PostgreSQL restarted (fast shutdown: every connection dropped) under mixed read/write load.

One scenario per flavour, several verdicts: four threads create and read projects; after a
warm-up the database goes down for DOWN_SECONDS and comes back, and the load runs on for
AFTER_SECONDS. Then:
- every write that was acknowledged (201) is there;
- every request started more than RECOVERY_BOUND after the database accepted connections
  again succeeded (the measured recovery is printed);
- the only failure ever answered is 503 problem+json with Retry-After (no 500, no dropped
  connection);
- the server's processes are the same ones before and after.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from tests.contract.client import ApiClient
from tests.contract.conformance import PROBLEM_MEDIA_TYPE
from tests.contract.server import ServerProcess
from tests.harness.postgres import PostgresServer, start_server, stop_server

from .load import Load, Outcome

pytestmark = pytest.mark.faults

WARM_UP_SUCCESSES = 40
WARM_UP_TIMEOUT = 30.0
DOWN_SECONDS = 1.5
AFTER_SECONDS = 4.0
RECOVERY_BOUND = 1.0  # seconds after PostgreSQL accepts connections (the rule)


@dataclass
class Restart:
    outcomes: list[Outcome]
    headers: dict[str, str]  # the load's owner in the load's tenant
    down_at: float
    accepting_at: float
    pids_before: list[int]
    pids_after: list[int]

    def since_accepting(self, outcome: Outcome) -> float:
        return outcome.started - self.accepting_at


@pytest.fixture(scope="module")
def restart(api: ApiClient, server: ServerProcess, postgres: PostgresServer) -> Restart:
    owner = api.new_account("load")
    tenant = api.new_scope(owner)
    load = Load(server.base_url, owner, tenant)
    pids_before = sorted(server.pids())
    load.start()
    try:
        deadline = time.monotonic() + WARM_UP_TIMEOUT
        while load.successes() < WARM_UP_SUCCESSES:
            assert time.monotonic() < deadline, "the load never got going"
            time.sleep(0.05)
        down_at = time.monotonic()
        stop_server(postgres, mode="fast")
        time.sleep(DOWN_SECONDS)  # the outage itself
        start_server(postgres)
        accepting_at = time.monotonic()
        time.sleep(AFTER_SECONDS)  # load after the restart
    finally:
        outcomes = load.stop()
    return Restart(
        outcomes,
        owner.in_tenant(tenant),
        down_at,
        accepting_at,
        pids_before,
        sorted(server.pids()),
    )


def test_every_acknowledged_write_survives(api: ApiClient, restart: Restart) -> None:
    acknowledged = sorted({o.project_id for o in restart.outcomes if o.project_id})
    assert any(o.project_id and o.started > restart.accepting_at for o in restart.outcomes), (
        "no write after the restart: the scenario proved nothing"
    )

    missing = [
        project_id
        for project_id in acknowledged
        if api.get(f"/api/v1/projects/{project_id}", headers=restart.headers).status_code != 200
    ]

    assert missing == [], f"{len(missing)} of {len(acknowledged)} acknowledged writes are gone"


def test_requests_succeed_within_a_second_of_the_database_accepting(restart: Restart) -> None:
    after = [o for o in restart.outcomes if o.started >= restart.accepting_at]
    failed_after = [o for o in after if not 200 <= o.status < 300]
    first_success = next((o for o in after if 200 <= o.status < 300), None)
    first = f"{restart.since_accepting(first_success):+.3f}s" if first_success else "never"
    last = f"{restart.since_accepting(failed_after[-1]):+.3f}s" if failed_after else "none"
    print(
        f"database down {restart.accepting_at - restart.down_at:.2f}s; after it accepted "
        f"connections: first success {first}, last failure started {last}"
    )

    late = [o for o in failed_after if restart.since_accepting(o) > RECOVERY_BOUND]
    assert not late, (
        f"{len(late)} requests failed more than {RECOVERY_BOUND}s after the database was back; "
        f"the first: {late[0]}"
    )


def test_failures_are_503_problems_with_retry_after(restart: Restart) -> None:
    failures = [o for o in restart.outcomes if not 200 <= o.status < 300]

    wrong = [
        o
        for o in failures
        if o.status != 503
        or o.media_type != PROBLEM_MEDIA_TYPE
        or not (o.retry_after or "").isdigit()
        or int(o.retry_after or 0) <= 0
    ]
    assert wrong == [], (
        f"{len(wrong)} of {len(failures)} failures are not 503 + Retry-After: {wrong[:3]}"
    )


def test_the_server_processes_survive(server: ServerProcess, restart: Restart) -> None:
    assert server.exit_code() is None
    assert restart.pids_after == restart.pids_before, "a server process died (and was replaced)"
