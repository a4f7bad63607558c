"""A rendered Go project verifies its modules, is vet/staticcheck clean and passes its own tests.

Each answer set in GO_PROJECT_ANSWER_SETS (env var, comma-separated; default: CI's slice,
tests/harness/matrix.py; every Go answer set with MATRIX=full) is rendered once, then checked
with the project's own commands; those of BARE_MACHINE_SUITES as on a bare machine (no Docker,
no database settings). Go's build and module caches are the user's defaults, shared
with the render and contract suites, so only the first build of a machine compiles the
dependencies and tools. A failure shows the tool's output.
"""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest

from tests.harness.bare import (
    check_make_create_admin,
    check_make_dev,
    reachable_copy,
    without_docker,
)
from tests.harness.commands import ProjectCommands, go_project_env
from tests.harness.matrix import BARE_MACHINE_SUITES, GO_PROJECT_SUITES
from tests.harness.render import copy_answer_set, load_answer_set, selected_answer_sets

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed"),
]


@pytest.fixture(
    scope="module", params=selected_answer_sets("GO_PROJECT_ANSWER_SETS", GO_PROJECT_SUITES)
)
def project(
    request: pytest.FixtureRequest, copie_session: Any, record_timing: Any
) -> ProjectCommands:
    name = request.param
    if load_answer_set(name).get("framework") != "go":
        pytest.skip(f"answer set {name!r} is not a Go project")
    rendered = copy_answer_set(copie_session, name, {})
    project = ProjectCommands(rendered.path, name, go_project_env(), record_timing)
    project.run("go", "mod", "verify")
    return project


def test_lint_is_clean(project: ProjectCommands) -> None:
    """`make lint`: gofmt, go vet and staticcheck (a pinned Go tool of the project)."""
    project.run("make", "lint")


def test_own_test_suite_passes(
    project: ProjectCommands, pg_admin_url: str, request: pytest.FixtureRequest
) -> None:
    """`make test`: go test -race ./... against a real PostgreSQL. For BARE_MACHINE_SUITES, the
    README's command on a bare machine: no TEST_DATABASE_URL and no Docker, so each package
    starts a throwaway PostgreSQL of its own."""
    env = (
        without_docker(project.env)
        if request.node.callspec.params["project"] in BARE_MACHINE_SUITES
        else {"TEST_DATABASE_URL": pg_admin_url}
    )
    output = project.run("make", "test", "GOTESTFLAGS=-v", timeout=1500, env=env)
    passed = len(re.findall(r"^\s*--- PASS", output, flags=re.MULTILINE))
    skipped = set(re.findall(r"^\s*--- SKIP: (\S+)", output, flags=re.MULTILINE))
    print(f"go test: {passed} tests and subtests passed, {len(skipped)} skipped")
    assert passed > 0, "go test ran no test"
    # Only the PgBouncer tests may skip, and only where PgBouncer is not installed (.ci/run
    # installs it).
    pooled = {
        "TestBehindATransactionPooler",
        "TestTenantsOfDifferentShapesShareAConnection/pgbouncer",
    }
    allowed = set() if shutil.which("pgbouncer") else pooled
    assert skipped <= allowed, f"tests were skipped although they had a PostgreSQL: {skipped}"


def test_make_dev_serves_on_a_local_postgres(
    project: ProjectCommands, request: pytest.FixtureRequest
) -> None:
    """`make dev` on a bare machine: creates .postgres/ with the roles and the database,
    migrates, serves with reload, and stops its PostgreSQL on Ctrl-C."""
    if request.node.callspec.params["project"] not in BARE_MACHINE_SUITES:
        pytest.skip("make dev runs on the bare-machine projects (tests/harness/matrix.py)")
    with reachable_copy(project.path) as checkout:
        check_make_dev(checkout, project.env)


def test_make_create_admin_makes_the_first_admin(
    project: ProjectCommands, request: pytest.FixtureRequest
) -> None:
    """tenancy=none: the README's `make create-admin EMAIL=...` on a bare machine."""
    if load_answer_set(request.node.callspec.params["project"]).get("tenancy") != "none":
        pytest.skip("create-admin is tenancy=none's")
    check_make_create_admin(project)
