"""Fixtures of the contract suite: render a flavour, serve it on a migrated database, talk HTTP.

Session: one rendered + installed project per flavour (CONTRACT_FLAVOURS narrows the list),
rendered from the working tree with a named answer set (CONTRACT_ANSWER_SET, default "default")
plus the flavour's own answers. CONTRACT_PROJECT_DIR=<path> runs the suite against a project
you rendered and installed yourself instead (handy while working on one flavour).
Route (session): every test runs against each flavour `direct`ly and through a real PgBouncer
in transaction mode (`pgbouncer`: the app's DATABASE_URL points at PgBouncer, with
DATABASE_POOLER=transaction and several workers where the flavour has them; migrations still go
direct). CONTRACT_ROUTES=direct narrows the run. Tests marked `direct_only` (abuse and transport
tests whose subject is not the database connection) run on the direct route only.
Server: one database (owner + app role) and one running server per flavour and route, shared by
every module (starting one - a database, `migrate`, the server's start-up - costs seconds, and a
CI run has hundreds of module x flavour x route pairs); `launch(**settings)` starts another one,
on a fresh database, with other settings (rate limits, budgets, ...). Tests create their own
users (unique emails) and tenants, so they share the server and the module's client freely.
The server log of a failing test is attached to its report.
"""

from __future__ import annotations

import contextlib
import functools
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import copier
import pytest
import yaml

from tests.harness.pgbouncer import PgBouncer, running_pgbouncer
from tests.harness.render import TEMPLATE_ROOT, load_answer_set

from .client import Account, ApiClient, Promote
from .conformance import Contract
from .flavours import (
    FLAVOURS,
    Flavour,
    read_answers,
    selected_flavours,
    sliced,
    tenancy_models,
)
from .server import Database, ServerProcess, deployed, role_password

ANSWER_SET = os.environ.get("CONTRACT_ANSWER_SET", "default")
PROJECT_DIR = os.environ.get("CONTRACT_PROJECT_DIR")
SERVER_LOG_MARK = pytest.StashKey[int]()
ROUTES = ("direct", "pgbouncer")
POOLED_WORKERS = 2  # server processes behind PgBouncer, where the flavour has several

Launch = Callable[..., contextlib.AbstractContextManager[ServerProcess]]


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


def route_names() -> list[str]:
    """CONTRACT_ROUTES=direct,pgbouncer narrows the routes; by default both run."""
    wanted = os.environ.get("CONTRACT_ROUTES")
    names = [n.strip() for n in wanted.split(",") if n.strip()] if wanted else list(ROUTES)
    unknown = sorted(set(names) - set(ROUTES))
    if unknown:
        raise ValueError(f"CONTRACT_ROUTES: unknown {unknown}; known: {list(ROUTES)}")
    return names


@pytest.fixture(scope="session", params=flavour_names())
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return FLAVOURS[request.param]


@pytest.fixture(scope="session", params=route_names())
def route(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def pgbouncer(pg_admin_url: str) -> Iterator[PgBouncer]:
    with running_pgbouncer(pg_admin_url) as bouncer:
        yield bouncer


_RENDERED: dict[str, Path] = {}
_INSTALLED: set[str] = set()


def rendered_project(flavour: Flavour, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The flavour's rendered project, once per session (the fault suite shares it)."""
    if PROJECT_DIR:
        return Path(PROJECT_DIR).resolve()
    if flavour.name not in _RENDERED:
        destination = tmp_path_factory.mktemp(f"contract-{flavour.name}") / "project"
        _RENDERED[flavour.name] = render(flavour, destination)
    return _RENDERED[flavour.name]


def installed_project(flavour: Flavour, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rendered project, installed (dependencies, binaries) and ready to serve."""
    project = rendered_project(flavour, tmp_path_factory)
    if not PROJECT_DIR and flavour.name not in _INSTALLED:
        flavour.install(project)
        _INSTALLED.add(flavour.name)
    return project


@pytest.fixture(scope="session")
def rendered(flavour: Flavour, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rendered_project(flavour, tmp_path_factory)


@pytest.fixture(scope="session")
def project(flavour: Flavour, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installed_project(flavour, tmp_path_factory)


@pytest.fixture(scope="session")
def contract_document(rendered: Path) -> dict:
    return yaml.safe_load((rendered / "openapi.yaml").read_text())


@pytest.fixture(scope="session")
def contract(contract_document: dict) -> Contract:
    return Contract(contract_document)


def route_settings(route: str, database: Database, request: pytest.FixtureRequest) -> dict:
    """The settings that send the app's own connections along `route` (migrations go direct)."""
    if route == "direct":
        return {}
    bouncer: PgBouncer = request.getfixturevalue("pgbouncer")
    bouncer.add_user(database.app, role_password(database.app_url), database.name)
    return {"DATABASE_URL": bouncer.url_for(database.app_url), "DATABASE_POOLER": "transaction"}


def launcher(
    flavour: Flavour,
    project: Path,
    pg_admin_url: str,
    route: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Launch:
    """`with launch(**settings) as server:` a server on a fresh, migrated database, with the
    contract settings overridden by `settings` (None removes one); `workers=` overrides the
    route's number of server processes."""

    @contextlib.contextmanager
    def _launch(workers: int | None = None, **settings: str | None) -> Iterator[ServerProcess]:
        if workers is None:
            workers = POOLED_WORKERS if route == "pgbouncer" else 1

        def adjust(env: dict[str, str], database: Database) -> dict[str, str]:
            env |= route_settings(route, database, request)
            for name, value in settings.items():
                if value is None:
                    env.pop(name, None)
                else:
                    env[name] = value
            return env

        with deployed(
            flavour,
            project,
            pg_admin_url,
            workers=workers,
            log_path=tmp_path_factory.mktemp("server-log") / f"{flavour.name}-{route}.log",
            adjust=adjust,
        ) as process:
            yield process

    return _launch


@pytest.fixture(scope="module")
def launch(
    flavour: Flavour,
    project: Path,
    pg_admin_url: str,
    route: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Launch:
    return launcher(flavour, project, pg_admin_url, route, request, tmp_path_factory)


@pytest.fixture(scope="session")
def shared_server(
    flavour: Flavour,
    project: Path,
    pg_admin_url: str,
    route: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    launch = launcher(flavour, project, pg_admin_url, route, request, tmp_path_factory)
    with launch() as process:
        yield process


@pytest.fixture(scope="module")
def server(shared_server: ServerProcess) -> ServerProcess:
    """The flavour's server on this route, with the contract settings (see the module doc)."""
    return shared_server


@pytest.fixture(scope="module")
def promote(flavour: Flavour, server: ServerProcess) -> Promote:
    """Make an account an admin of the organisation (tenancy=none) with the project's own
    create-admin command, run as the operator would: with the server's settings."""

    def _promote(account: Account) -> None:
        flavour.create_admin(server.cwd, server.env, account.email)

    return _promote


@pytest.fixture(scope="module")
def api(server: ServerProcess, contract: Contract, promote: Promote) -> Iterator[ApiClient]:
    with ApiClient(server.base_url, contract, promote=promote) as client:
        yield client


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`direct_only` tests leave the pgbouncer route out (deselected, not skipped), and so do the
    combinations outside CI's slice unless MATRIX=full (see flavours.sliced). In the slice,
    `tenancy_independent` tests run for the default tenancy model and for none (whose contract
    and users differ), not for the other isolation models; of those, the `direct_only` ones (of
    transport and abuse limits, which sit in front of any model's code) run for the default
    model only. `tenanted` tests (of tenants, members, isolation between tenants) do not apply
    to tenancy=none, and `untenanted` ones (of the organisation's per-user roles) apply to it
    only."""
    keep, drop = [], []
    default_tenancy = tenancy_models()[0]
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        pooled = params.get("route") == "pgbouncer"
        flavour = FLAVOURS.get(str(params.get("flavour", "")))
        trimmed = flavour is not None and sliced(flavour.tenancy)
        inapplicable = flavour is not None and (
            item.get_closest_marker("tenanted" if flavour.tenancy == "none" else "untenanted")
            is not None
        )
        own_contract = flavour is None or flavour.tenancy in (default_tenancy, "none")
        independent = item.get_closest_marker("tenancy_independent") is not None
        direct_only = item.get_closest_marker("direct_only") is not None
        left_out = (
            inapplicable
            or (pooled and (trimmed or direct_only))
            or (trimmed and independent and (direct_only or not own_contract))
        )
        (drop if left_out else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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


@pytest.fixture(scope="module")
def new_client(
    server: ServerProcess, contract: Contract, promote: Promote
) -> Callable[[], ApiClient]:
    """A factory of clients of the module's server that keep their connection (races)."""
    return functools.partial(ApiClient, server.base_url, contract, keepalive=True, promote=promote)
