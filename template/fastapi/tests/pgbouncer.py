"""A real PgBouncer in pool_mode=transaction in front of the test database, for the tests
that check the service (or its isolation model) behind a transaction pooler."""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import URL

from .server import free_port

PGBOUNCER = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")


@contextlib.contextmanager
def running_pgbouncer(app: URL, directory: Path, *, pool_size: int) -> Iterator[URL]:
    """The app role's URL through a PgBouncer in transaction mode holding at most pool_size
    server connections (per database), so that clients keep landing on each other's server
    connections. Every database of the server is forwarded (a `*` fallback entry)."""
    if PGBOUNCER is None:
        msg = "pgbouncer is not installed"
        raise RuntimeError(msg)
    directory.chmod(0o755)
    port = free_port()
    (directory / "users.txt").write_text(f'"{app.username}" "{app.password}"\n')
    (directory / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={app.host} port={app.port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = md5\nauth_file = {directory / 'users.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 500\n"
    )
    for name in ("users.txt", "pgbouncer.ini"):
        (directory / name).chmod(0o644)
    # PgBouncer refuses to run as root; it can drop to another user itself.
    user = ["-u", "nobody"] if os.geteuid() == 0 and _user_exists("nobody") else []
    process = subprocess.Popen(  # noqa: S603 - a fixed binary with our own configuration
        [PGBOUNCER, *user, str(directory / "pgbouncer.ini")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process)
        yield app.set(host="127.0.0.1", port=port)
    finally:
        process.terminate()
        process.communicate(timeout=10)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"pgbouncer exited: {output}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.1)
        else:
            return
    raise RuntimeError("pgbouncer did not start listening")
