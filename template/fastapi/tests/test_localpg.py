"""`python -m tools.localpg run` (what `make dev` runs) on a real cluster: it creates the roles and
the database of the URLs, the command sees the URLs pointed at it, the data outlives a run, the
command's exit code and signals pass through, and the cluster is stopped afterwards."""

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).parents[1]
OWNER, APP, DATABASE = "localpg_owner", "localpg_app", "localpg_db"
# The query must survive the rewrite: only the host and port change.
OWNER_URL = f"postgresql://{OWNER}:owner-secret@localhost:5432/{DATABASE}?sslmode=disable"
APP_URL = f"postgresql://{APP}:app-secret@localhost:5432/{DATABASE}?sslmode=disable"

# The command localpg runs: what it sees of the server, as the app role and as the owner.
REPORT = """
import asyncio, json, os, sys
import asyncpg

ROLE = (
    "SELECT current_user AS name, current_database() AS database, rolsuper, rolbypassrls,"
    " rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user"
)

async def main(out, value):
    urls = {"app": os.environ["DATABASE_URL"], "owner": os.environ["MIGRATION_DATABASE_URL"]}
    app = await asyncpg.connect(urls["app"])
    app_role = dict(await app.fetchrow(ROLE))
    await app.close()
    owner = await asyncpg.connect(urls["owner"])
    owner_role = dict(await owner.fetchrow(ROLE))
    database = dict(await owner.fetchrow(
        "SELECT pg_get_userbyid(datdba) AS owner, datacl::text AS acl FROM pg_database"
        " WHERE datname = current_database()"
    ))
    await owner.execute("CREATE TABLE IF NOT EXISTS kept (value text)")
    await owner.execute("INSERT INTO kept VALUES ($1)", value)
    kept = [row["value"] for row in await owner.fetch("SELECT value FROM kept ORDER BY value")]
    await owner.close()
    report = {"urls": urls, "app": app_role, "owner": owner_role, "database": database}
    with open(out, "w") as file:
        json.dump(report | {"kept": kept}, file)

asyncio.run(main(*sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def base() -> Iterator[Path]:
    # Not pytest's tmp_path: as root the server runs as nobody, who must reach the cluster's
    # directory, and pytest's temporary directories are private to their user.
    path = Path(tempfile.mkdtemp(prefix="localpg-test-"))
    path.chmod(0o755)
    (path / "report.py").write_text(REPORT)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def data(base: Path) -> Path:
    """The cluster's directory, shared by the module's runs (one initdb)."""
    return base / "pg"


def environment(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "LOCALPG_PORT"}
    return env | {"MIGRATION_DATABASE_URL": OWNER_URL, "DATABASE_URL": APP_URL} | overrides


def run_command(data: Path, *command: str) -> list[str]:
    return [sys.executable, "-m", "tools.localpg", "run", "--data", str(data), "--", *command]


def localpg(
    data: Path, *command: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own module, arguments from the test
        run_command(data, *command),
        cwd=PROJECT,
        env=dict(env) if env is not None else environment(),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def report(base: Path, name: str, value: str) -> list[str]:
    """The command that writes what it sees to base/name."""
    return [sys.executable, str(base / "report.py"), str(base / name), value]


def announced_port(result: subprocess.CompletedProcess[str], data: Path) -> int:
    assert result.returncode == 0, result.stderr
    line = (
        rf"PostgreSQL 18 on 127\.0\.0\.1:(\d+), data in {re.escape(str(data))}/ "
        rf"\(rm -rf {re.escape(str(data))} to start over\)"
    )
    match = re.fullmatch(line, result.stdout.splitlines()[0])
    assert match, result.stdout
    return int(match[1])


def assert_stopped(data: Path, port: int) -> None:
    assert not (data / "data" / "postmaster.pid").exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


@pytest.fixture(scope="module")
def first_run(base: Path, data: Path) -> tuple[int, dict[str, Any]]:
    result = localpg(data, *report(base, "first.json", "first"))
    port = announced_port(result, data)
    return port, json.loads((base / "first.json").read_text())


def test_the_first_run_creates_the_roles_and_the_database_of_the_urls(
    first_run: tuple[int, dict[str, Any]], data: Path
) -> None:
    port, seen = first_run
    unprivileged = {"rolsuper": False, "rolbypassrls": False, "rolcreatedb": False,
                    "rolcreaterole": False}  # fmt: skip

    assert seen["urls"] == {
        "app": APP_URL.replace("localhost:5432", f"127.0.0.1:{port}"),
        "owner": OWNER_URL.replace("localhost:5432", f"127.0.0.1:{port}"),
    }
    assert seen["app"] == {"name": APP, "database": DATABASE} | unprivileged
    assert seen["owner"] == {"name": OWNER, "database": DATABASE} | unprivileged
    assert seen["database"]["owner"] == OWNER
    # Only the owner and the app role may connect: no grant to PUBLIC ("=c/...").
    assert f"{APP}=c/" in seen["database"]["acl"]
    assert not re.search(r"[{,]=", seen["database"]["acl"])
    assert stat.S_IMODE((data / "superuser-password").stat().st_mode) == 0o600


def test_the_cluster_is_stopped_afterwards(
    first_run: tuple[int, dict[str, Any]], data: Path
) -> None:
    port, _ = first_run

    assert_stopped(data, port)


def test_a_second_run_keeps_the_data_and_applies_edited_passwords(
    first_run: tuple[int, dict[str, Any]], base: Path, data: Path
) -> None:
    first_port, _ = first_run
    edited = APP_URL.replace("app-secret", "edited-secret")

    result = localpg(
        data, *report(base, "second.json", "second"), env=environment(DATABASE_URL=edited)
    )

    port = announced_port(result, data)
    seen = json.loads((base / "second.json").read_text())
    assert port == first_port  # kept in data/port while it is free
    assert seen["kept"] == ["first", "second"]
    assert seen["urls"]["app"] == edited.replace("localhost:5432", f"127.0.0.1:{port}")
    assert_stopped(data, port)


def test_a_running_cluster_is_used_and_left_running(
    first_run: tuple[int, dict[str, Any]], base: Path, data: Path
) -> None:
    inner = run_command(data, *report(base, "inner.json", "inner"))
    # After the inner run, the outer one's server must still answer.
    after = report(base, "after.json", "after")
    script = f"{subprocess.list2cmdline(inner)} && {subprocess.list2cmdline(after)}"

    result = localpg(data, "sh", "-c", script)

    port = announced_port(result, data)
    inner_line = result.stdout.splitlines()[1]
    assert inner_line.startswith(f"PostgreSQL 18 on 127.0.0.1:{port}, ")
    assert {"inner", "after"} <= set(json.loads((base / "after.json").read_text())["kept"])
    assert_stopped(data, port)


@pytest.mark.parametrize(
    ("command", "code"), [("exit 3", 3), ("kill -KILL $$", 128 + signal.SIGKILL)]
)
def test_the_commands_exit_code_is_returned(
    first_run: tuple[int, dict[str, Any]], data: Path, command: str, code: int
) -> None:
    result = localpg(data, "sh", "-c", command)

    assert result.returncode == code
    assert_stopped(data, first_run[0])


def test_sigterm_is_passed_on_to_the_command(
    first_run: tuple[int, dict[str, Any]], data: Path
) -> None:
    waiting = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))\n"
        "print('waiting', flush=True)\n"
        "time.sleep(60)\n"
    )
    with subprocess.Popen(  # noqa: S603 - our own module, arguments from the test
        run_command(data, sys.executable, "-c", waiting),
        cwd=PROJECT,
        env=environment(),
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        announced = process.stdout.readline()
        assert process.stdout.readline() == "waiting\n", announced
        process.send_signal(signal.SIGTERM)  # to localpg alone, not its process group

        assert process.wait(timeout=30) == 7
    assert_stopped(data, first_run[0])


@pytest.mark.parametrize(
    ("missing", "variable"),
    [
        ({"MIGRATION_DATABASE_URL": ""}, "MIGRATION_DATABASE_URL"),
        ({"DATABASE_URL": f"postgresql://{APP}@localhost/{DATABASE}"}, "DATABASE_URL"),
        ({"MIGRATION_DATABASE_URL": f"postgresql://{OWNER}:pw@localhost:5432"}, "MIGRATION"),
        ({"DATABASE_URL": "postgresql://x:app-pw@localhost:port/db"}, "DATABASE_URL"),
    ],
)
def test_a_missing_or_incomplete_url_is_one_line_and_exit_2(
    base: Path, missing: dict[str, str], variable: str
) -> None:
    never = base / "never"

    result = localpg(never, "true", env=environment(**missing))

    assert result.returncode == 2
    assert result.stderr.startswith(f"localpg: {variable}")
    assert len(result.stderr.splitlines()) == 1
    assert "pw" not in result.stderr  # a URL's password is never shown
    assert not never.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the server to nobody")
def test_as_root_a_directory_nobody_cannot_reach_is_one_line(base: Path) -> None:
    private = base / "private"
    private.mkdir(mode=0o700)

    result = localpg(private / "pg", "true")

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "localpg: PostgreSQL refuses to run as root, so it runs as nobody, who cannot enter "
        f"{private} (mode 700): make it traversable (chmod o+x {private}) or run as another user"
    ]
