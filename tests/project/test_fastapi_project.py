"""A rendered FastAPI project installs from its lock, is lint/format/type clean, passes its tests.

Each answer set in PROJECT_ANSWER_SETS (env var, comma-separated; default: all of
SLOW_ANSWER_SETS) is rendered once, installed with `uv sync --locked` on the Python its answers
ask for, then checked with the project's own tools and configuration. A failure shows the tool's
output.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.harness.commands import OUTPUT_LIMIT, ProjectCommands, find_uv, python_project_env
from tests.harness.render import copy_answer_set, load_answer_set, selected_answer_sets

pytestmark = pytest.mark.slow

# "custom" renders another package name, which catches names hard-coded in configs and imports.
SLOW_ANSWER_SETS = ["default", "custom"]


@dataclass
class InstalledProject:
    path: Path
    answers: dict[str, Any]
    env: dict[str, str]
    uv: str
    run: Callable[..., str]


@pytest.fixture(
    scope="module", params=selected_answer_sets("PROJECT_ANSWER_SETS", SLOW_ANSWER_SETS)
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
    if request.node.callspec.params["project"] == "default":
        # The README's command on a bare machine: no DATABASE_URL (the harness environment
        # drops it) and no Docker, so the suite starts a PostgreSQL of its own.
        project.run("make", "test", timeout=900, env={"PATH": _without_docker()})
        return
    project.run(
        project.uv,
        "run",
        "--no-sync",
        "pytest",
        timeout=900,
        env={"DATABASE_URL": pg_admin_url},
    )


@pytest.fixture
def checkout(project: InstalledProject, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A copy of the rendered project, without its virtual environment, that every user can
    reach. As root, make dev's PostgreSQL runs as nobody, who must enter .postgres/. pytest's
    temporary directories are private to root, and a chmod of them does not hold: every pytest
    session (the project's own make test, any other one) makes their root private again."""
    if request.node.callspec.params["project"] != "default":
        pytest.skip("make dev runs on the default project")
    parent = Path(tempfile.mkdtemp(prefix="make-dev-"))
    parent.chmod(0o755)
    path = parent / project.path.name
    shutil.copytree(
        project.path, path, symlinks=True, ignore=shutil.ignore_patterns(".venv", ".postgres")
    )
    yield path
    shutil.rmtree(parent, ignore_errors=True)


def test_make_dev_serves_on_a_local_postgres(
    project: InstalledProject, checkout: Path, tmp_path: Path
) -> None:
    """The README's first command on a bare machine: no DATABASE_URL in the environment and no
    Docker. make dev starts a PostgreSQL of its own in .postgres/, migrates it and serves; Ctrl-C
    stops the server and the database."""
    dev_port = _free_port()
    log = tmp_path / "make-dev.log"
    postgres = checkout / ".postgres"
    with log.open("w") as output:
        make = subprocess.Popen(
            ["make", "dev", f"DEV_PORT={dev_port}"],
            cwd=checkout,
            env={**project.env, "PATH": _without_docker()},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, as a terminal's job has
        )
    try:
        _wait_until_healthy(f"http://127.0.0.1:{dev_port}", make, log)
        # Readiness: the app role reaches the migrated database.
        assert _status(f"http://127.0.0.1:{dev_port}/readyz") == 200
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group gets it
        make.wait(timeout=60)
    finally:
        _stop_leftovers(make, postgres)

    output = log.read_text()
    postgres_port = int((postgres / "port").read_text())
    announced = f"PostgreSQL 18 on 127.0.0.1:{postgres_port}, data in .postgres/ "
    assert announced in output, output[-OUTPUT_LIMIT:]
    assert not (postgres / "data" / "postmaster.pid").exists(), output[-OUTPUT_LIMIT:]
    for port in (postgres_port, dev_port):  # nothing listens any more
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except OSError:
        return None


def _wait_until_healthy(base_url: str, make: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if make.poll() is not None:
            pytest.fail(
                f"make dev exited with {make.returncode}:\n{log.read_text()[-OUTPUT_LIMIT:]}"
            )
        if _status(f"{base_url}/healthz") == 200:
            return
        time.sleep(0.5)
    pytest.fail(f"make dev did not serve /healthz:\n{log.read_text()[-OUTPUT_LIMIT:]}")


def _stop_leftovers(make: subprocess.Popen[bytes], postgres: Path) -> None:
    """After a failure: the job, and the database server (which runs in a session of its own)."""
    if make.poll() is None:
        os.killpg(make.pid, signal.SIGKILL)
        make.wait()
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((postgres / "data" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGINT)  # fast shutdown


def _without_docker() -> str:
    return os.pathsep.join(
        directory
        for directory in os.environ.get("PATH", "").split(os.pathsep)
        if not (Path(directory) / "docker").exists()
    )
