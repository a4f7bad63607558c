"""Fixtures of the fault suite: each flavour's server on a PostgreSQL the suite can break.

The suite starts its own PostgreSQL (never `DATABASE_URL`'s: it stops and restarts it), on a
fixed port for its lifetime, so that a restarted server is the same server to the app. Servers
run as the contract suite runs them (the same rendered, installed project), with several
workers where the flavour has them, and with short timeouts so that every fault is answered
within seconds:

    DB_CONNECT_TIMEOUT_SECONDS=2  DB_STATEMENT_TIMEOUT_SECONDS=2  DB_POOL_TIMEOUT_SECONDS=2
    REQUEST_TIMEOUT_SECONDS=4     -> every request answers within ANSWER_BOUND = 4 + 2 s

Whatever a test module does to the database, it is running again before the next module.

Run it alone with `uv run pytest tests/faults` (or `-m faults`); CONTRACT_FLAVOURS=go narrows it
to one flavour, as for the contract suite, whose rendered and installed projects it shares.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.contract.client import ApiClient
from tests.contract.conformance import Contract
from tests.contract.conftest import flavour_names, installed_project
from tests.contract.flavours import FLAVOURS, Flavour, sliced
from tests.contract.server import Database, ServerProcess, deployed
from tests.harness.postgres import (
    PostgresServer,
    _wait_until_accepting,
    start_postgres,
    start_server,
    stop_postgres,
)

WORKERS = 2
REQUEST_TIMEOUT = 4
ANSWER_BOUND = REQUEST_TIMEOUT + 2  # seconds: the request timeout plus scheduling slack
FAULT_SETTINGS = {
    "DB_CONNECT_TIMEOUT_SECONDS": "2",
    "DB_STATEMENT_TIMEOUT_SECONDS": "2",
    "DB_POOL_TIMEOUT_SECONDS": "2",
    "REQUEST_TIMEOUT_SECONDS": str(REQUEST_TIMEOUT),
}

Deploy = Callable[..., contextlib.AbstractContextManager[ServerProcess]]


def fault_flavours() -> list[str]:
    """The flavours of the default tenancy model; every combination with MATRIX=full."""
    return [name for name in flavour_names() if not sliced(FLAVOURS[name].tenancy)]


@pytest.fixture(scope="session", params=fault_flavours())
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return FLAVOURS[request.param]


@pytest.fixture(scope="session")
def project(flavour: Flavour, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installed_project(flavour, tmp_path_factory)


@pytest.fixture(scope="session")
def contract(project: Path) -> Contract:
    return Contract(yaml.safe_load((project / "openapi.yaml").read_text()))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of the suite's own, on one port for the whole session."""
    server = start_postgres()
    try:
        yield server
    finally:
        stop_postgres(server)


@pytest.fixture(scope="module", autouse=True)
def _postgres_running_again(postgres: PostgresServer) -> Iterator[None]:
    """Set up before (so torn down after) a module's own fault fixtures."""
    yield
    try:
        _wait_until_accepting(postgres, timeout=0.5)
    except Exception:
        start_server(postgres)


@pytest.fixture(scope="module")
def deploy(
    flavour: Flavour,
    project: Path,
    postgres: PostgresServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Deploy:
    """`with deploy(port=...) as server:` a server on a fresh database of the suite's
    PostgreSQL; with `port`, the app's own connections go to that port on loopback (a proxy)
    while migrations go direct."""

    @contextlib.contextmanager
    def _deploy(port: int | None = None) -> Iterator[ServerProcess]:
        def through_port(env: dict[str, str], database: Database) -> dict[str, str]:
            if port is not None:
                env["DATABASE_URL"] = database.app_url.replace(
                    f"127.0.0.1:{postgres.port}", f"127.0.0.1:{port}"
                )
            return env

        with deployed(
            flavour,
            project,
            postgres.url,
            workers=WORKERS,
            log_path=tmp_path_factory.mktemp("fault-log") / f"{flavour.name}.log",
            settings=FAULT_SETTINGS,
            adjust=through_port,
        ) as server:
            yield server

    return _deploy


@pytest.fixture(scope="module")
def server(deploy: Deploy) -> Iterator[ServerProcess]:
    with deploy() as process:
        yield process


@pytest.fixture(scope="module")
def api(server: ServerProcess, contract: Contract) -> Iterator[ApiClient]:
    """For setting scenes up while the database is healthy (every answer checked)."""
    with ApiClient(server.base_url, contract) as client:
        yield client


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    server = getattr(item, "funcargs", {}).get("server")
    if report.failed and isinstance(server, ServerProcess):
        report.sections.append(("server log (tail)", server.log()[-6000:]))
    return report
