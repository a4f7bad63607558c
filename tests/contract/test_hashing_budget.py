"""Password hashing is bounded: past PASSWORD_HASH_CONCURRENCY running hashes and
PASSWORD_HASH_MAX_WAITING waiting ones, register and login answer 503 + Retry-After at once.

The server runs with a budget of one hash and two waiting, in one process; 64 registrations
(then 64 logins) arrive at once. argon2id costs 19 MiB per hash: unbounded, 64 hashes at once
take the server's memory up by about 1.2 GB (the issue saw 7.6 GB for 300 in Go); within the
budget, at most 3 are in memory at once (~60 MB). The bound on the growth of the server's peak
resident memory (VmHWM, summed over its process group) is 200 MB: three times what the budget
allows, for allocator and runtime slack (Go's heap target, Python's arenas, 64 connections'
buffers), and still a sixth of what an unbounded flood takes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from .client import PASSWORD, unique_email
from .conftest import Launch
from .problems import assert_problem, plain_client, retry_after
from .races import race
from .server import ServerProcess

pytestmark = [pytest.mark.contract, pytest.mark.direct_only, pytest.mark.tenancy_independent]

FLOOD = 64
RSS_GROWTH_BOUND = 200 * 1024 * 1024


@dataclass
class Budgeted:
    server: ServerProcess
    baseline_peak_rss: int  # bytes, after one hash and before any flood


@pytest.fixture(scope="module")
def budgeted(launch: Launch) -> Iterator[Budgeted]:
    with launch(workers=1, PASSWORD_HASH_CONCURRENCY="1", PASSWORD_HASH_MAX_WAITING="2") as server:
        # Warm up: one hash, so the baseline already holds one argon2 buffer.
        with plain_client(server.base_url) as client:
            registered = client.post(
                "/api/v1/auth/register", json={"email": unique_email("warm"), "password": PASSWORD}
            )
        assert registered.status_code == 201
        baseline = server.peak_rss_bytes()
        assert baseline > 0, "the server's processes were not found"
        yield Budgeted(server, baseline)


def flood(server: ServerProcess, path: str, bodies: list[dict]) -> list[httpx.Response]:
    return race(
        len(bodies),
        lambda: httpx.Client(base_url=server.base_url, timeout=60),
        lambda client, i: client.post(path, json=bodies[i]),
    )


def assert_shed(responses: list[httpx.Response], success: int) -> None:
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {success, 503}, statuses
    assert statuses[success] >= 1, f"the budget admits some: {statuses}"
    assert statuses[503] >= 1, f"the budget sheds the rest: {statuses}"
    for response in responses:
        if response.status_code == 503:
            assert_problem(response, 503)
            assert retry_after(response) == 1


def test_a_registration_flood_is_shed_with_503(budgeted: Budgeted) -> None:
    bodies = [{"email": unique_email("flood"), "password": PASSWORD} for _ in range(FLOOD)]

    assert_shed(flood(budgeted.server, "/api/v1/auth/register", bodies), 201)


def test_a_login_flood_is_shed_with_503(budgeted: Budgeted) -> None:
    email = unique_email("target")
    with plain_client(budgeted.server.base_url) as client:
        registered = client.post(
            "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
        )
    assert registered.status_code == 201
    bodies = [{"email": email, "password": PASSWORD}] * FLOOD

    assert_shed(flood(budgeted.server, "/api/v1/auth/login", bodies), 200)


def test_floods_leave_the_peak_memory_bounded(budgeted: Budgeted) -> None:
    """Measured against the peak before any flood of the module (whichever ran first)."""
    registrations = [{"email": unique_email("rss"), "password": PASSWORD} for _ in range(FLOOD)]
    unknown_logins = [{"email": unique_email("nobody"), "password": PASSWORD}] * FLOOD

    flood(budgeted.server, "/api/v1/auth/register", registrations)
    flood(budgeted.server, "/api/v1/auth/login", unknown_logins)

    growth = budgeted.server.peak_rss_bytes() - budgeted.baseline_peak_rss
    print(
        f"peak RSS {budgeted.baseline_peak_rss / 2**20:.0f} MiB, grew by {growth / 2**20:.0f} MiB"
    )
    assert growth < RSS_GROWTH_BOUND, f"peak RSS grew by {growth / 2**20:.0f} MiB"
