"""A throwaway database (owner role + app role) and a rendered server process serving it."""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
from psycopg import sql

if TYPE_CHECKING:
    from .flavours import Flavour

READY_TIMEOUT = 90.0  # seconds; the first start of a Python server imports a lot
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Database:
    admin_url: str
    name: str
    owner: str
    app: str
    owner_url: str  # runs migrations, owns every object
    app_url: str  # serves requests: LOGIN NOSUPERUSER NOBYPASSRLS, owns nothing
    provisioner: str
    provisioner_url: str  # CREATEDB: creates and owns the tenant databases of database_per_tenant


def _url(admin_url: str, user: str, password: str, database: str) -> str:
    parts = urlsplit(admin_url)
    netloc = f"{user}:{password}@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, f"/{database}", parts.query, ""))


def create_database(admin_url: str) -> Database:
    suffix = secrets.token_hex(4)
    name, owner, app = f"contract_{suffix}", f"contract_{suffix}_owner", f"contract_{suffix}_app"
    provisioner = f"contract_{suffix}_provisioner"
    owner_password, app_password = secrets.token_hex(16), secrets.token_hex(16)
    provisioner_password = secrets.token_hex(16)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
                sql.Identifier(owner), sql.Literal(owner_password)
            )
        )
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD {}"
            ).format(sql.Identifier(app), sql.Literal(app_password))
        )
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER CREATEDB NOCREATEROLE PASSWORD {}").format(
                sql.Identifier(provisioner), sql.Literal(provisioner_password)
            )
        )
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(owner)
            )
        )
    return Database(
        admin_url=admin_url,
        name=name,
        owner=owner,
        app=app,
        owner_url=_url(admin_url, owner, owner_password, name),
        app_url=_url(admin_url, app, app_password, name),
        provisioner=provisioner,
        provisioner_url=_url(admin_url, provisioner, provisioner_password, name),
    )


def drop_database(database: Database) -> None:
    with psycopg.connect(database.admin_url, autocommit=True) as conn:
        # The control database, and the tenant databases of database_per_tenant.
        tenant_databases = conn.execute(
            "SELECT datname FROM pg_database WHERE datdba = "
            "(SELECT oid FROM pg_roles WHERE rolname = %s)",
            (database.provisioner,),
        ).fetchall()
        for (name,) in [(database.name,), *tenant_databases]:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        for role in (database.app, database.owner, database.provisioner):
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def app_settings(database: Database) -> dict[str, str]:
    """Settings every flavour reads from its environment (see the rendered .env.example).

    Rate limits and a cap on owned tenants high enough that no contract test meets them (tests
    of the limits start their own server with low ones) and a short refresh grace window, so
    that tests of what happens after it need not wait long.
    """
    return {
        "ENVIRONMENT": "development",
        "DATABASE_URL": database.app_url,
        "MIGRATION_DATABASE_URL": database.owner_url,
        # Read under database_per_tenant only.
        "PROVISION_DATABASE_URL": database.provisioner_url,
        "JWT_SECRET": secrets.token_urlsafe(48),
        "DOCS_ENABLED": "true",
        "LOG_LEVEL": "INFO",
        "RATE_LIMIT_PER_ADDRESS": "100000/minute",
        "RATE_LIMIT_PER_ACCOUNT": "100000/minute",
        "REFRESH_REUSE_GRACE_SECONDS": "2",
        "MAX_OWNED_TENANTS": "1000",  # read by the tenanted models
    }


def role_password(url: str) -> str:
    return urlsplit(url).password or ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def deployed(
    flavour: Flavour,
    project: Path,
    admin_url: str,
    *,
    workers: int,
    log_path: Path,
    settings: Mapping[str, str] | None = None,
    adjust: Callable[[dict[str, str], Database], dict[str, str]] | None = None,
) -> Iterator[ServerProcess]:
    """The project's server on a fresh database of admin_url's PostgreSQL, migrated first (with
    `settings` over the app settings), ready inside the block; the database is dropped after.
    `adjust(env, database)` changes the server's environment after the migration: how it
    reaches the database (a pooler, a proxy), or settings removed."""
    database = create_database(admin_url)
    try:
        env = flavour.environment(app_settings(database) | dict(settings or {}))
        flavour.migrate(project, env)
        if adjust is not None:
            env = adjust(env, database)
        with serving(
            functools.partial(flavour.server_command, project, workers=workers),
            cwd=project,
            env=env,
            log_path=log_path,
        ) as server:
            server.database = database
            yield server
    finally:
        drop_database(database)


@contextlib.contextmanager
def serving(
    command_for: Callable[[int], list[str]], *, cwd: Path, env: dict[str, str], log_path: Path
) -> Iterator[ServerProcess]:
    """The server command_for(port) builds, on a free port: ready inside the block, stopped
    after it."""
    port = free_port()
    process = ServerProcess(command_for(port), cwd=cwd, env=env, log_path=log_path, port=port)
    process.start()
    try:
        yield process
    finally:
        process.stop()


class ServerProcess:
    """One server in its own process group; stdout and stderr go to one log file."""

    def __init__(
        self, command: list[str], *, cwd: Path, env: dict[str, str], log_path: Path, port: int
    ):
        self.command = command
        self.cwd = cwd
        self.env = env
        self.log_path = log_path
        self.base_url = f"http://127.0.0.1:{port}"
        self.port = port
        self.database: Database | None = None  # set by whoever created the server's database
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: `uv run` spawns the real server
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        last_error = "no attempt yet"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"server exited with code {self._process.returncode} before it was ready\n"
                    f"command: {' '.join(self.command)}\n--- server log\n{self.log()}"
                )
            try:
                response = httpx.get(f"{self.base_url}/readyz", timeout=2)
                if response.status_code == 200:
                    return
                last_error = f"/readyz answered {response.status_code}: {response.text[:500]}"
            except httpx.TransportError as exc:
                last_error = repr(exc)
            time.sleep(0.2)
        raise RuntimeError(
            f"server not ready after {READY_TIMEOUT}s ({last_error})\n--- server log\n{self.log()}"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # Whatever is left of the group (a server that outlived its `uv run` parent) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    @property
    def pid(self) -> int:
        assert self._process is not None, "the server is not running"
        return self._process.pid

    def exit_code(self) -> int | None:
        """None while the process (the group leader) runs, else its exit code."""
        assert self._process is not None, "the server was stopped"
        return self._process.poll()

    def pids(self) -> list[int]:
        """Every process of the server's process group (`uv run`, uvicorn's workers, ...)."""
        members = []
        for stat_file in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # Fields after the parenthesised command: state, ppid, pgrp, ...
                fields = stat_file.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == self.pid:
                    members.append(int(stat_file.parent.name))
        return members

    def workers(self) -> list[int]:
        """The worker processes of a server that forks them (uvicorn's, spawned by
        multiprocessing); none for a server that serves from one process."""
        found = []
        for pid in self.pids():
            with contextlib.suppress(OSError):
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(pid)
        return found

    def peak_rss_bytes(self) -> int:
        """Sum over the process group of each process' peak resident set size (VmHWM)."""
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) * 1024
        return total

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log(self, since: int = 0) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(since)
            return log.read().decode(errors="replace")


def run_until_exit(
    command: list[str], *, port: int, cwd: Path, env: dict[str, str], timeout: float
) -> tuple[int | None, str]:
    """Run a server command that is expected to refuse to start: (exit code, output).

    The exit code is None when the server served instead (it answered on `port`) or was still
    running after `timeout` seconds; it is then stopped.
    """
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        code: int | None = None
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if (code := process.poll()) is not None:
                    break
                with contextlib.suppress(httpx.TransportError):
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break  # it serves: it did not refuse
                time.sleep(0.2)
        finally:
            if code is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        output.seek(0)
        return code, output.read().decode(errors="replace")
