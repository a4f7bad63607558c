"""A rendered project's README commands as a newcomer runs them on a bare machine.

No Docker engine and no database settings: `make test` and `make dev` must bring their own
PostgreSQL. `make dev` is started, waited on until the service answers, then interrupted the
way a terminal's Ctrl-C does it (SIGINT to its whole process group).
"""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


def without_docker(env: dict[str, str]) -> dict[str, str]:
    """env with no `docker` on PATH."""
    path = os.pathsep.join(
        directory
        for directory in env.get("PATH", "").split(os.pathsep)
        if not (Path(directory) / "docker").exists()
    )
    return {**env, "PATH": path}


def reachable_by_others(path: Path) -> None:
    """Let every user traverse path's parents. As root, the local PostgreSQL runs as nobody
    from the project's .postgres/, and pytest's temporary directories are private."""
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(mode | stat.S_IXOTH | stat.S_IROTH)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class DevRun:
    served: bool  # the health endpoint answered 200
    returncode: int  # of make, after the interrupt
    output: str


def run_make_dev(project: Path, env: dict[str, str], health: str, timeout: float = 600) -> DevRun:
    """Start `make dev` on a free port, wait for `health` to answer 200, then interrupt it."""
    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        make = subprocess.Popen(
            ["make", "dev", f"DEV_PORT={port}"],
            cwd=project,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        served = False
        try:
            deadline = time.monotonic() + timeout
            while not served and make.poll() is None and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=2) as r:
                        served = r.status == 200
                except (urllib.error.URLError, OSError):
                    time.sleep(0.5)
            if make.poll() is None:
                os.killpg(make.pid, signal.SIGINT)
            returncode = make.wait(timeout=120)
        finally:
            if make.poll() is None:
                os.killpg(make.pid, signal.SIGKILL)
                make.wait()
        log.seek(0)
        return DevRun(served, returncode, log.read())


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
