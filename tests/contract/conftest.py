"""Fixtures of the contract suite: render a flavour, serve it on a migrated database, talk HTTP.

Session: one rendered + installed project per flavour (CONTRACT_FLAVOURS narrows the list),
rendered from the working tree with a named answer set (CONTRACT_ANSWER_SET, default "default")
plus the flavour's own answers. CONTRACT_PROJECT_DIR=<path> runs the suite against a project
you rendered and installed yourself instead (handy while working on one flavour).
Module: one fresh database (owner + app role) and one running server per test module.
Tests create their own users (unique emails), so they share the module's client freely.
The server log of a failing test is attached to its report.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import copier
import pytest
import yaml

from tests.harness.render import TEMPLATE_ROOT, load_answer_set

from .client import ApiClient
from .conformance import Contract
from .flavours import FLAVOURS, Flavour, read_answers, selected_flavours
from .server import ServerProcess, app_settings, create_database, drop_database, serving

ANSWER_SET = os.environ.get("CONTRACT_ANSWER_SET", "default")
PROJECT_DIR = os.environ.get("CONTRACT_PROJECT_DIR")
SERVER_LOG_MARK = pytest.StashKey[int]()


def excerpt(log: str, tail: int = 60) -> str:
    """Error lines first (tracebacks are what one needs), then the tail of the log."""
    lines = log.splitlines()
    errors = [line for line in lines if "ERROR" in line or "Traceback" in line]
    parts = []
    if errors:
        parts.append("\n".join(["--- error lines", *errors[:20]]))
    parts.append(
        "\n".join([f"--- last {min(tail, len(lines))} of {len(lines)} lines", *lines[-tail:]])
    )
    return "\n".join(parts)


def render(flavour: Flavour, destination: Path) -> Path:
    with warnings.catch_warnings():
        # Rendering the working tree (uncommitted changes included) is the point here.
        warnings.simplefilter("ignore")
        copier.run_copy(
            src_path=str(TEMPLATE_ROOT),
            dst_path=destination,
            data=load_answer_set(ANSWER_SET, **flavour.answers),
            defaults=True,
            unsafe=True,
            quiet=True,
        )
    return destination


def flavour_names() -> list[str]:
    if PROJECT_DIR:
        return [str(read_answers(Path(PROJECT_DIR))["framework"])]
    return selected_flavours()


@pytest.fixture(scope="session", params=flavour_names())
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return FLAVOURS[request.param]


@pytest.fixture(scope="session")
def rendered(flavour: Flavour, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if PROJECT_DIR:
        return Path(PROJECT_DIR).resolve()
    return render(flavour, tmp_path_factory.mktemp(f"contract-{flavour.name}") / "project")


@pytest.fixture(scope="session")
def project(flavour: Flavour, rendered: Path) -> Path:
    """The rendered project, installed (dependencies, binaries) and ready to serve."""
    if not PROJECT_DIR:
        flavour.install(rendered)
    return rendered


@pytest.fixture(scope="session")
def contract_document(rendered: Path) -> dict:
    return yaml.safe_load((rendered / "openapi.yaml").read_text())


@pytest.fixture(scope="session")
def contract(contract_document: dict) -> Contract:
    return Contract(contract_document)


@pytest.fixture(scope="module")
def server(
    flavour: Flavour,
    project: Path,
    pg_admin_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    database = create_database(pg_admin_url)
    try:
        env = flavour.environment(app_settings(database))
        flavour.migrate(project, env)
        with serving(
            functools.partial(flavour.server_command, project),
            cwd=project,
            env=env,
            log_path=tmp_path_factory.mktemp("server-log") / f"{flavour.name}.log",
        ) as process:
            yield process
    finally:
        drop_database(database)


@pytest.fixture(scope="module")
def api(server: ServerProcess, contract: Contract) -> Iterator[ApiClient]:
    with ApiClient(server.base_url, contract) as client:
        yield client


@pytest.fixture(autouse=True)
def _mark_server_log(request: pytest.FixtureRequest) -> None:
    if "server" in request.fixturenames:
        server: ServerProcess = request.getfixturevalue("server")
        request.node.stash[SERVER_LOG_MARK] = server.log_size()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed and SERVER_LOG_MARK in item.stash:
        server = item.funcargs.get("server") if hasattr(item, "funcargs") else None
        if isinstance(server, ServerProcess):
            log = server.log(item.stash[SERVER_LOG_MARK])
            report.sections.append(("server log", excerpt(log)))
    return report
