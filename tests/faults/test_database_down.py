"""PostgreSQL stopped: API routes and /readyz answer 503 problem+json with Retry-After, fast.

Liveness (/healthz) does not touch the database and stays 200. Every answer comes within
ANSWER_BOUND (a refused connection should be answered at once; the bound is the configured
request timeout plus slack).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.contract.client import PASSWORD, ApiClient
from tests.contract.problems import assert_problem, plain_client, retry_after
from tests.contract.server import ServerProcess
from tests.harness.postgres import PostgresServer, start_server, stop_server

from .conftest import ANSWER_BOUND

pytestmark = pytest.mark.faults

REPLACEMENT_TIMEOUT = 20.0  # seconds for uvicorn to notice a dead worker and start another
WORKER_STARTED = "Application startup complete."


@pytest.fixture(scope="module")
def scene(api: ApiClient) -> dict:
    owner = api.new_account("down")
    tenant = api.new_scope(owner)
    return {"owner": owner, "headers": owner.in_tenant(tenant)}


@pytest.fixture(scope="module")
def stopped(server: ServerProcess, postgres: PostgresServer, scene: dict) -> Iterator[None]:
    stop_server(postgres, mode="fast")
    try:
        yield
    finally:
        start_server(postgres)


@pytest.fixture
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with plain_client(server.base_url, timeout=ANSWER_BOUND + 10) as client:
        yield client


def timed(client: httpx.Client, method: str, path: str, **kwargs) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = client.request(method, path, **kwargs)
    return response, time.monotonic() - started


REQUESTS = {
    "readyz": lambda scene: ("GET", "/readyz", {}),
    "list-projects": lambda scene: ("GET", "/api/v1/projects", {"headers": scene["headers"]}),
    "create-project": lambda scene: (
        "POST",
        "/api/v1/projects",
        {"headers": scene["headers"], "json": {"name": "while-down"}},
    ),
    "me": lambda scene: ("GET", "/api/v1/users/me", {"headers": scene["owner"].auth}),
    "login": lambda scene: (
        "POST",
        "/api/v1/auth/login",
        {"json": {"email": scene["owner"].email, "password": PASSWORD}},
    ),
}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_routes_that_need_the_database_answer_503(
    stopped: None, client: httpx.Client, scene: dict, name: str
) -> None:
    method, path, kwargs = REQUESTS[name](scene)

    response, seconds = timed(client, method, path, **kwargs)

    assert_problem(response, 503)
    assert retry_after(response) > 0
    assert seconds <= ANSWER_BOUND, f"answered after {seconds:.1f}s"
    assert "postgres" not in response.text.lower() and "connect" not in response.text.lower(), (
        "nothing internal in the answer"
    )


def test_liveness_does_not_depend_on_the_database(stopped: None, client: httpx.Client) -> None:
    response, seconds = timed(client, "GET", "/healthz")

    assert response.status_code == 200
    assert seconds <= ANSWER_BOUND


def test_a_worker_that_dies_during_the_outage_is_replaced(
    stopped: None, server: ServerProcess, client: httpx.Client
) -> None:
    """A worker restarted while the database is down must finish its start-up (uvicorn stops
    every worker, and itself, when one fails to start)."""
    workers = server.workers()
    if not workers:
        pytest.skip("this flavour serves from one process: nothing restarts part of it")
    started = server.log().count(WORKER_STARTED)
    os.kill(workers[0], signal.SIGKILL)

    deadline = time.monotonic() + REPLACEMENT_TIMEOUT
    while server.log().count(WORKER_STARTED) == started:
        assert server.exit_code() is None, "the server stopped when the worker was replaced"
        assert time.monotonic() < deadline, f"no worker replaced {workers[0]} within the timeout"
        time.sleep(0.1)

    assert len(server.workers()) == len(workers)
    for _ in range(2 * len(workers)):  # every worker answers
        assert_problem(timed(client, "GET", "/readyz")[0], 503)


def test_the_server_survives_the_outage(stopped: None, server: ServerProcess) -> None:
    assert server.exit_code() is None
