"""A rendered FastAPI project installs from its lock, is lint/format/type clean, passes its tests.

Each answer set in PROJECT_ANSWER_SETS (env var, comma-separated; default: all of
SLOW_ANSWER_SETS) is rendered once, installed with `uv sync --locked` on the Python its answers
ask for, then checked with the project's own tools and configuration. A failure shows the tool's
output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.harness.pythons import uv_python_request
from tests.harness.render import copy_answer_set, load_answer_set

pytestmark = pytest.mark.slow

# "custom" renders another package name, which catches names hard-coded in configs and imports.
SLOW_ANSWER_SETS = ["default", "custom"]
OUTPUT_LIMIT = 30_000

# Variables of the calling environment that would point uv or Python at the wrong project.
_FOREIGN = (
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONHOME",
    "UV_PROJECT_ENVIRONMENT",
    "UV_FROZEN",
    "UV_LOCKED",
    "UV_NO_SYNC",
    "DATABASE_URL",
    "MIGRATION_DATABASE_URL",
)


def _selected_answer_sets() -> list[str]:
    requested = os.environ.get("PROJECT_ANSWER_SETS")
    names = (
        [n.strip() for n in requested.split(",") if n.strip()] if requested else SLOW_ANSWER_SETS
    )
    for name in names:
        load_answer_set(name)  # fails early on an unknown set
    return names


@dataclass
class InstalledProject:
    path: Path
    answers: dict[str, Any]
    env: dict[str, str]
    uv: str
    run: Callable[..., str]


def _uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not on PATH (pip install uv)", pytrace=False)
    return uv


def _runner(cwd: Path, base_env: dict[str, str], record_timing: Any, label: str):
    def run(*command: str, timeout: float = 600, env: dict[str, str] | None = None) -> str:
        shown = " ".join(command)
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                list(command),
                cwd=cwd,
                env={**base_env, **(env or {})},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = exc.output if isinstance(exc.output, str) else (exc.output or b"").decode()
            pytest.fail(f"`{shown}` timed out after {timeout}s in {cwd}\n{output[-OUTPUT_LIMIT:]}")
        elapsed = time.perf_counter() - started
        tool = command[3:] if command[1:3] == ("run", "--no-sync") else ("uv", *command[1:])
        record_timing(f"[{label}] {' '.join(tool)}", elapsed)
        if proc.returncode != 0:
            pytest.fail(
                f"`{shown}` failed with exit code {proc.returncode} in {cwd} "
                f"({elapsed:.1f}s):\n{proc.stdout[-OUTPUT_LIMIT:]}",
                pytrace=False,
            )
        return proc.stdout

    return run


@pytest.fixture(scope="module", params=_selected_answer_sets())
def project(
    request: pytest.FixtureRequest, copie_session: Any, record_timing: Any
) -> InstalledProject:
    name = request.param
    if load_answer_set(name).get("framework") != "fastapi":
        pytest.skip(f"answer set {name!r} is not a FastAPI project")
    rendered = copy_answer_set(copie_session, name, {})
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN}
    env["UV_PYTHON"] = uv_python_request(str(rendered.answers["python_version"]))
    uv = _uv()
    run = _runner(rendered.path, env, record_timing, name)
    run(uv, "sync", "--locked", timeout=900)
    return InstalledProject(rendered.path, rendered.answers, env, uv, run)


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


def test_own_test_suite_passes(project: InstalledProject, pg_admin_url: str) -> None:
    project.run(
        project.uv,
        "run",
        "--no-sync",
        "pytest",
        timeout=900,
        env={"DATABASE_URL": pg_admin_url},
    )
