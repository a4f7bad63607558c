"""A hung database (a proxy that stops forwarding, connections left open) does not hang
requests: they answer 503 problem+json with Retry-After within the configured timeouts, and
the service recovers once the database answers again."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.contract.client import PASSWORD, ApiClient
from tests.contract.problems import assert_problem, plain_client, retry_after
from tests.contract.server import ServerProcess
from tests.harness.postgres import PostgresServer
from tests.harness.tcpproxy import FreezableProxy, running_proxy

from .conftest import ANSWER_BOUND, Deploy

pytestmark = pytest.mark.faults

RECOVERY_TIMEOUT = 15.0  # seconds after the thaw for a first success
STEADY_REQUESTS = 20


@pytest.fixture(scope="module")
def proxy(postgres: PostgresServer) -> Iterator[FreezableProxy]:
    with running_proxy(postgres.port) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def server(deploy: Deploy, proxy: FreezableProxy) -> Iterator[ServerProcess]:
    """This module's server reaches PostgreSQL through the proxy."""
    with deploy(port=proxy.port) as process:
        yield process


@pytest.fixture(scope="module")
def scene(api: ApiClient) -> dict:
    owner = api.new_account("hung")
    tenant = api.new_scope(owner)
    return {"owner": owner, "headers": owner.in_tenant(tenant)}


@pytest.fixture
def frozen(proxy: FreezableProxy, scene: dict) -> Iterator[None]:
    proxy.freeze()
    try:
        yield
    finally:
        proxy.thaw()


@pytest.fixture
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with plain_client(server.base_url, timeout=ANSWER_BOUND + 10) as client:
        yield client


def answer_within_bound(client: httpx.Client, method: str, path: str, **kw) -> httpx.Response:
    started = time.monotonic()
    try:
        response = client.request(method, path, **kw)
    except httpx.TimeoutException:
        pytest.fail(f"{method} {path}: no answer within {ANSWER_BOUND + 10}s")
    seconds = time.monotonic() - started
    assert seconds <= ANSWER_BOUND, f"{method} {path} answered after {seconds:.1f}s"
    return response


@pytest.mark.parametrize("name", ["readyz", "list-projects", "create-project", "login"])
def test_requests_to_a_hung_database_answer_503_in_time(
    frozen: None, client: httpx.Client, scene: dict, name: str
) -> None:
    method, path, kwargs = {
        "readyz": ("GET", "/readyz", {}),
        "list-projects": ("GET", "/api/v1/projects", {"headers": scene["headers"]}),
        "create-project": (
            "POST",
            "/api/v1/projects",
            {"headers": scene["headers"], "json": {"name": f"hung-{time.monotonic_ns()}"}},
        ),
        "login": (
            "POST",
            "/api/v1/auth/login",
            {"json": {"email": scene["owner"].email, "password": PASSWORD}},
        ),
    }[name]

    response = answer_within_bound(client, method, path, **kwargs)

    assert_problem(response, 503)
    assert retry_after(response) > 0


def test_the_service_recovers_when_the_database_answers_again(
    proxy: FreezableProxy, client: httpx.Client, server: ServerProcess, scene: dict
) -> None:
    proxy.freeze()
    hung = answer_within_bound(client, "GET", "/api/v1/projects", headers=scene["headers"])
    assert hung.status_code == 503
    proxy.thaw()
    thawed_at = time.monotonic()

    deadline = thawed_at + RECOVERY_TIMEOUT
    while (status := client.get("/readyz").status_code) != 200:
        assert time.monotonic() < deadline, f"/readyz still {status} after the thaw"
        time.sleep(0.1)
    print(f"ready again {time.monotonic() - thawed_at:.2f}s after the thaw")
    statuses = [
        client.get("/api/v1/projects", headers=scene["headers"]).status_code
        for _ in range(STEADY_REQUESTS)
    ]

    assert statuses == [200] * STEADY_REQUESTS
    assert server.exit_code() is None
