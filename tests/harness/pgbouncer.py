"""A real PgBouncer (the machine's `/usr/sbin/pgbouncer`, Debian's 1.18) in transaction mode.

`running_pgbouncer(upstream_url)` starts one on a free loopback port in front of the PostgreSQL
server of `upstream_url` and stops it after the block. Every database name is forwarded (a `*`
fallback entry), so the throwaway databases the contract suite creates need no configuration;
their roles do: `PgBouncer.add_user(name, password)` writes the role into the auth file and makes
PgBouncer reload it.

Authentication: clients authenticate to PgBouncer with SCRAM-SHA-256 (`auth_type`), against the
auth file. The file holds the roles' plain-text passwords, which are random, throwaway and in a
0600 file of a temporary directory: with plain-text entries PgBouncer can also log in to any
upstream (the harness' trust-authenticated cluster, or a password-protected `DATABASE_URL`
server), which stored SCRAM secrets would only allow when they equal the server's own. A wrong
password is refused, so this is real authentication, not `trust`.

Pooling: `pool_mode = transaction` with a small `default_pool_size`, so that an app with a pool
of 20 connections per worker really shares a handful of server connections between its
transactions; whatever a request leaves on a server connection outside its transaction
(session `SET`, named prepared statements, advisory locks) shows up in another request.
No `ignore_startup_parameters`: 1.18 refuses unknown startup parameters, and so it should here.

PgBouncer refuses to run as root: then it runs as the PostgreSQL harness' system user
(`$PG_HARNESS_USER`, default `pgharness`), and its directory belongs to that user. It is started
with PR_SET_PDEATHSIG, so it dies with the process that started it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg.rows import dict_row

from tests.harness.postgres import DEFAULT_RUN_AS, _ensure_user, free_port

PGBOUNCER = os.environ.get("PGBOUNCER_BIN", "/usr/sbin/pgbouncer")
DEFAULT_POOL_SIZE = 3
START_TIMEOUT_S = 20
RELOAD_TIMEOUT_S = 10
STOP_TIMEOUT_S = 10
ADMIN_USER = "pgbouncer_harness_admin"

PR_SET_PDEATHSIG = 1


class PgBouncerError(RuntimeError):
    """PgBouncer could not be started or reconfigured."""


def available() -> bool:
    return os.access(PGBOUNCER, os.X_OK)


def _die_with_parent() -> None:
    # Runs in the child after the uid change (which would clear the setting) and before exec.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


@dataclass
class PgBouncer:
    upstream_host: str
    upstream_port: int
    port: int
    base_dir: Path
    run_as: str | None
    pool_size: int
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _users: dict[str, str] = field(default_factory=dict, repr=False)
    _admin_password: str = field(default_factory=lambda: secrets.token_hex(16), repr=False)

    @property
    def config_file(self) -> Path:
        return self.base_dir / "pgbouncer.ini"

    @property
    def auth_file(self) -> Path:
        return self.base_dir / "userlist.txt"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "pgbouncer.log"

    @property
    def pid(self) -> int:
        assert self._process is not None, "PgBouncer is not running"
        return self._process.pid

    def url_for(self, direct_url: str) -> str:
        """`direct_url` (a role's URL on the upstream server) rewritten to go through PgBouncer."""
        parts = urlsplit(direct_url)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@127.0.0.1:{self.port}" if credentials else f"127.0.0.1:{self.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    # ------------------------------------------------------------------ configuration
    def _write_config(self) -> None:
        settings = {
            "listen_addr": "127.0.0.1",
            "listen_port": str(self.port),
            "unix_socket_dir": "",
            "auth_type": "scram-sha-256",
            "auth_file": str(self.auth_file),
            "pool_mode": "transaction",
            "default_pool_size": str(self.pool_size),
            "min_pool_size": "0",
            "reserve_pool_size": "0",
            "max_client_conn": "2000",
            "max_db_connections": "0",
            # Fail fast instead of the 120 s default when the pool cannot serve a client.
            "query_wait_timeout": "30",
            "server_connect_timeout": "5",
            "server_login_retry": "1",
            "logfile": str(self.log_file),
            "pidfile": str(self.base_dir / "pgbouncer.pid"),
            "log_connections": "0",
            "log_disconnections": "0",
            "log_pooler_errors": "1",
            "admin_users": ADMIN_USER,
        }
        lines = [
            "[databases]",
            f"* = host={self.upstream_host} port={self.upstream_port}",
            "",
            "[pgbouncer]",
            *(f"{key} = {value}" for key, value in settings.items()),
            "",
        ]
        self._write(self.config_file, "\n".join(lines))
        self._write_auth_file()

    def _write_auth_file(self) -> None:
        users = {ADMIN_USER: self._admin_password} | self._users
        lines = [f"{_quote(user)} {_quote(password)}" for user, password in users.items()]
        self._write(self.auth_file, "\n".join(lines) + "\n")

    def _write(self, path: Path, text: str) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.chmod(0o600)
        if self.run_as is not None:
            import pwd

            entry = pwd.getpwnam(self.run_as)
            os.chown(tmp, entry.pw_uid, entry.pw_gid)
        tmp.replace(path)  # atomic: a reload never reads half a file

    def add_user(self, name: str, password: str, database: str) -> None:
        """Let role `name` log in through PgBouncer with `password`; returns once it can log in
        to `database` (PgBouncer rereads its auth file asynchronously after SIGHUP)."""
        self._users[name] = password
        self._write_auth_file()
        self.reload()
        url = f"postgresql://{quote(name)}:{quote(password)}@127.0.0.1:{self.port}/{database}"
        deadline = time.monotonic() + RELOAD_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(url, connect_timeout=2) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise PgBouncerError(
                        f"{name} cannot log in through pgbouncer: {exc}\n{self.log()}"
                    ) from exc
                time.sleep(0.1)

    def reload(self) -> None:
        """SIGHUP: PgBouncer rereads its configuration and auth file (asynchronously)."""
        os.kill(self.pid, signal.SIGHUP)

    def show(self, what: str) -> list[dict[str, object]]:
        """A `SHOW <what>` of the admin console (STATS, POOLS, SERVERS, ...) as rows."""
        url = f"postgresql://{ADMIN_USER}:{self._admin_password}@127.0.0.1:{self.port}/pgbouncer"
        # The console speaks the simple query protocol only, which ClientCursor uses.
        with (
            psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn,
            conn.cursor(row_factory=dict_row) as cursor,
        ):
            cursor.execute(f"SHOW {what}")
            return cursor.fetchall()

    def transactions(self, database: str) -> int:
        """Transactions PgBouncer has pooled for `database` so far."""
        rows = [row for row in self.show("STATS") if row["database"] == database]
        return sum(int(row["total_xact_count"]) for row in rows)  # type: ignore[call-overload]

    # ------------------------------------------------------------------ process
    def start(self) -> None:
        self._write_config()
        run_as_kwargs: dict[str, object] = {}
        if self.run_as is not None:
            import pwd

            entry = pwd.getpwnam(self.run_as)
            run_as_kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        with (self.base_dir / "stderr.log").open("wb") as stderr:
            self._process = subprocess.Popen(
                [PGBOUNCER, str(self.config_file)],
                cwd=self.base_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
                preexec_fn=_die_with_parent,
                **run_as_kwargs,  # type: ignore[arg-type]
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PgBouncerError(
                    f"pgbouncer exited with code {self._process.returncode}:\n{self.log()}"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return
            time.sleep(0.05)
        raise PgBouncerError(f"pgbouncer not listening after {START_TIMEOUT_S}s:\n{self.log()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()  # SIGTERM: immediate shutdown
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log(self) -> str:
        parts = []
        for name in ("stderr.log", "pgbouncer.log"):
            with contextlib.suppress(OSError):
                parts.append((self.base_dir / name).read_text(errors="replace")[-5000:])
        return "\n".join(parts)


def _make_base_dir(run_as: str | None) -> Path:
    base = Path(tempfile.mkdtemp(prefix="pgbouncer-harness-", dir="/tmp"))
    if run_as is not None:
        import pwd

        entry = pwd.getpwnam(run_as)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    return base


@contextlib.contextmanager
def running_pgbouncer(
    upstream_url: str, *, pool_size: int = DEFAULT_POOL_SIZE
) -> Iterator[PgBouncer]:
    """PgBouncer in front of the server of `upstream_url`, for the duration of the block."""
    if not available():
        raise PgBouncerError(
            f"{PGBOUNCER} is missing: apt-get install pgbouncer (or PGBOUNCER_BIN=<path>), "
            "or leave the contract suite's pgbouncer route out with CONTRACT_ROUTES=direct"
        )
    run_as: str | None = None
    if os.geteuid() == 0:
        run_as = os.environ.get("PG_HARNESS_USER", DEFAULT_RUN_AS)
        _ensure_user(run_as)
    upstream = urlsplit(upstream_url)
    base = _make_base_dir(run_as)
    bouncer = PgBouncer(
        upstream_host=upstream.hostname or "127.0.0.1",
        upstream_port=upstream.port or 5432,
        port=free_port(),
        base_dir=base,
        run_as=run_as,
        pool_size=pool_size,
    )
    try:
        bouncer.start()
        yield bouncer
    finally:
        bouncer.stop()
        shutil.rmtree(base, ignore_errors=True)
