"""A rendered project's README commands as a newcomer runs them on a bare machine.

No Docker engine and no database settings: `make test`, `make dev` and (tenancy=none)
`make create-admin` must bring their own PostgreSQL. `make dev` is started, waited on until the
service is ready, then interrupted the way a terminal's Ctrl-C does it (SIGINT to its whole
process group), and must leave nothing running.
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
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.commands import OUTPUT_LIMIT, ProjectCommands
from tests.harness.postgres import free_port


def without_docker(env: dict[str, str]) -> dict[str, str]:
    """env with no `docker` on PATH."""
    path = os.pathsep.join(
        directory
        for directory in env.get("PATH", "").split(os.pathsep)
        if not (Path(directory) / "docker").exists()
    )
    return {**env, "PATH": path}


@contextlib.contextmanager
def reachable_copy(project: Path) -> Iterator[Path]:
    """A copy of the project (without .venv) that every user can reach. As root, make dev's
    PostgreSQL runs as nobody, who must enter .postgres/. pytest's temporary directories are
    private to root, and a chmod of them does not hold: every pytest session (a project's own
    make test, any other one) makes their root private again."""
    parent = Path(tempfile.mkdtemp(prefix="make-dev-"))
    try:
        parent.chmod(0o755)
        path = parent / project.name
        ignored = shutil.ignore_patterns(".venv", ".postgres", "bin")
        shutil.copytree(project, path, symlinks=True, ignore=ignored)
        yield path
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def check_make_dev(project: Path, env: dict[str, str], timeout: float = 600) -> str:
    """Run `make dev` on a free port until /readyz answers 200 (the app role reaches the
    migrated database), press Ctrl-C, and check that the service and its PostgreSQL stopped.
    Returns make's output."""
    dev_port = free_port()
    postgres = project / ".postgres"
    with tempfile.TemporaryFile("w+") as log:
        make = subprocess.Popen(
            ["make", "dev", f"DEV_PORT={dev_port}"],
            cwd=project,
            env=without_docker(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, as a terminal's job has
        )
        try:
            ready = _wait_until_ready(f"http://127.0.0.1:{dev_port}/readyz", make, timeout)
            if make.poll() is None:
                os.killpg(make.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group
            returncode = make.wait(timeout=120)
        finally:
            _stop_leftovers(make, postgres)
        log.seek(0)
        output = log.read()
    shown = output[-OUTPUT_LIMIT:]
    if not ready:
        pytest.fail(f"make dev never answered /readyz with 200:\n{shown}", pytrace=False)
    # make passes Ctrl-C on by dying of it once its command has exited.
    assert returncode in (0, -signal.SIGINT), f"make dev exited {returncode}:\n{shown}"
    assert "localpg:" not in output, shown
    postgres_port = int((postgres / "port").read_text())
    announced = f"PostgreSQL 18 on 127.0.0.1:{postgres_port}, data in .postgres/ "
    assert announced in output, shown
    assert not (postgres / "data" / "postmaster.pid").exists(), f"PostgreSQL still runs:\n{shown}"
    for port in (postgres_port, dev_port):  # nothing listens any more
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    return output


def check_make_create_admin(project: ProjectCommands) -> None:
    """tenancy=none: `make create-admin` as the README runs it on a bare machine. It creates the
    admin in make dev's PostgreSQL (started for the command, stopped after it); run again for
    the same address, it promotes the existing account and leaves its password alone."""
    email = "first.admin@example.com"
    with reachable_copy(project.path) as checkout:
        commands = ProjectCommands(checkout, project.label, project.env, project.record_timing)
        env = without_docker({**project.env, "ADMIN_PASSWORD": "correct horse battery staple"})
        created = commands.run("make", "create-admin", f"EMAIL={email}", env=env)
        assert f"created {email} as an admin" in created, created[-OUTPUT_LIMIT:]
        promoted = commands.run("make", "create-admin", f"EMAIL={email}", env=env)
        unchanged = f"{email} is an admin now (the account existed; its password is unchanged)"
        assert unchanged in promoted, promoted[-OUTPUT_LIMIT:]
        pid = checkout / ".postgres" / "data" / "postmaster.pid"
        assert not pid.exists(), f"make create-admin left its PostgreSQL running:\n{promoted}"


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except OSError:
        return None


def _wait_until_ready(url: str, make: subprocess.Popen[str], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and make.poll() is None:
        if _status(url) == 200:
            return True
        time.sleep(0.5)
    return False


def _stop_leftovers(make: subprocess.Popen[str], postgres: Path) -> None:
    """After a failure: the job, and the database server (which runs in a session of its own)."""
    if make.poll() is None:
        os.killpg(make.pid, signal.SIGKILL)
        make.wait()
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((postgres / "data" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGINT)  # fast shutdown
