"""A rendered FastAPI project installs from its lock, is lint/format/type clean, passes its tests.

Each answer set in PROJECT_ANSWER_SETS (env var, comma-separated; default: CI's slice,
tests/harness/matrix.py; every FastAPI answer set with MATRIX=full) is rendered once, installed
with `uv sync --locked` on the Python its answers ask for, then checked with the project's own
tools and configuration. A failure shows the tool's output.
"""

from __future__ import annotations

import subprocess
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.harness.bare import (
    check_make_create_admin,
    check_make_dev,
    reachable_copy,
    without_docker,
)
from tests.harness.commands import OUTPUT_LIMIT, ProjectCommands, find_uv, python_project_env
from tests.harness.matrix import BARE_MACHINE_SUITES, FASTAPI_PROJECT_SUITES
from tests.harness.render import copy_answer_set, load_answer_set, selected_answer_sets

pytestmark = pytest.mark.slow


@dataclass
class InstalledProject:
    path: Path
    answers: dict[str, Any]
    env: dict[str, str]
    uv: str
    run: Callable[..., str]


@pytest.fixture(
    scope="module", params=selected_answer_sets("PROJECT_ANSWER_SETS", FASTAPI_PROJECT_SUITES)
)
def project(
    request: pytest.FixtureRequest, copie_session: Any, record_timing: Any
) -> InstalledProject:
    name = request.param
    if load_answer_set(name).get("framework") != "fastapi":
        pytest.skip(f"answer set {name!r} is not a FastAPI project")
    rendered = copy_answer_set(copie_session, name, {})
    commands = ProjectCommands(
        rendered.path,
        name,
        python_project_env(str(rendered.answers["python_version"])),
        record_timing,
    )
    uv = find_uv()
    commands.run(uv, "sync", "--locked", timeout=900)
    return InstalledProject(rendered.path, rendered.answers, commands.env, uv, commands.run)


def test_lock_file_is_current(project: InstalledProject) -> None:
    project.run(project.uv, "lock", "--check", timeout=300)


def test_code_is_formatted(project: InstalledProject) -> None:
    try:
        project.run(project.uv, "run", "--no-sync", "ruff", "format", "--check", ".")
    except pytest.fail.Exception as failure:
        diff = subprocess.run(
            [project.uv, "run", "--no-sync", "ruff", "format", "--diff", "."],
            cwd=project.path,
            env=project.env,
            capture_output=True,
            text=True,
            check=False,
        )
        pytest.fail(f"{failure}\n{diff.stdout[-OUTPUT_LIMIT:]}", pytrace=False)


def test_code_is_lint_clean(project: InstalledProject) -> None:
    project.run(project.uv, "run", "--no-sync", "ruff", "check", ".")


def test_code_type_checks_strictly(project: InstalledProject) -> None:
    config = tomllib.loads((project.path / "pyproject.toml").read_text())
    mypy = config.get("tool", {}).get("mypy", {})
    assert mypy.get("strict") is True, "pyproject.toml must set [tool.mypy] strict = true"
    targets = [] if mypy.get("files") else ["src", "tests"]
    project.run(project.uv, "run", "--no-sync", "mypy", *targets)


def test_own_test_suite_passes(
    project: InstalledProject, pg_admin_url: str, request: pytest.FixtureRequest
) -> None:
    if request.node.callspec.params["project"] in BARE_MACHINE_SUITES:
        # The README's command on a bare machine: no TEST_DATABASE_URL (the harness environment
        # drops it) and no Docker, so the suite starts a PostgreSQL of its own.
        project.run("make", "test", timeout=900, env=without_docker(project.env))
        return
    project.run(
        project.uv,
        "run",
        "--no-sync",
        "pytest",
        timeout=900,
        env={"TEST_DATABASE_URL": pg_admin_url},
    )


def test_make_dev_serves_on_a_local_postgres(
    project: InstalledProject, request: pytest.FixtureRequest
) -> None:
    """The README's first command on a bare machine: no DATABASE_URL in the environment and no
    Docker. make dev starts a PostgreSQL of its own in .postgres/, migrates it and serves; Ctrl-C
    stops the server and the database."""
    if request.node.callspec.params["project"] not in BARE_MACHINE_SUITES:
        pytest.skip("make dev runs on the bare-machine projects (tests/harness/matrix.py)")
    with reachable_copy(project.path) as checkout:
        check_make_dev(checkout, project.env)


def test_make_create_admin_makes_the_first_admin(
    project: InstalledProject, request: pytest.FixtureRequest, record_timing: Any
) -> None:
    """tenancy=none: the README's `make create-admin EMAIL=...` on a bare machine."""
    if project.answers["tenancy"] != "none":
        pytest.skip("create-admin is tenancy=none's")
    name = request.node.callspec.params["project"]
    check_make_create_admin(ProjectCommands(project.path, name, project.env, record_timing))
