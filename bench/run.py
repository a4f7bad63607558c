"""The benchmark: every flavour's default project under load, next to PostgreSQL's own ceiling.

    uv run python -m bench                    # full run (about 4 minutes per flavour)
    uv run python -m bench --smoke            # a few seconds of load: does the harness still work?
    uv run python -m bench --baseline v0.3.0  # A/B against a git ref, then after/before ratios

Per flavour (a framework with a tenancy model: `--flavours go,go-schema_per_tenant`): render the
project, install it as its Dockerfile does, migrate a fresh database on a throwaway PostgreSQL,
start the server over TCP, create users, a tenant (none under tenancy=none) and projects over
HTTP, capture the statements each endpoint sends (log_statement=all), then, round after round,
load each endpoint with wrk at each concurrency and replay the same statements with pgbench at
the same concurrency against the same server. Under database_per_tenant a request runs in two
databases; each database's statements are replayed against it alone, and the ceiling is the
two in sequence (load.in_sequence). Then a login flood: the hot read's
latency at low concurrency alone, and again while many clients log in (password hashing is the
most expensive thing an anonymous client can ask for). With --baseline REF every flavour is also
rendered from REF and measured the same way, on the same PostgreSQL, the two taking turns round
by round (A B, B A, ...; the login flood in the first round only), and the report gives
after/before ratios. Results: bench/results/<stamp>.json and .md (and .png with matplotlib).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
from psycopg import sql

from tests.contract.server import (
    Database,
    ServerProcess,
    app_settings,
    create_database,
    drop_database,
)
from tests.contract.server import serving as serve
from tests.harness.postgres import PostgresServer, throwaway_postgres

from . import load, report, statements
from .release import Release, releases, render

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
PASSWORD = "correct horse battery staple"
SEED_PROJECTS = 100

# operationId -> wrk mode
ENDPOINTS = {"getProject": "get", "listProjects": "list", "createProject": "create"}
ENDPOINT_LABELS = {
    "getProject": "GET /projects/{id}",
    "listProjects": "GET /projects?limit=20",
    "createProject": "POST /projects",
}
# Settings of every benchmarked server: tokens outlive the run, and the rate limits are out of
# the way, so the login flood measures the cost of hashing rather than the limiter.
BENCH_SETTINGS = {
    "ACCESS_TOKEN_TTL_SECONDS": "7200",
    "RATE_LIMIT_PER_ADDRESS": "1000000/minute",
    "RATE_LIMIT_PER_ACCOUNT": "1000000/minute",
}
FLOOD_READERS = 4  # connections reading during the login flood
# Hot read: service / pgbench on the same statements, per flavour (issue 5).
GOALS = {"fastapi": 0.12, "go": 0.40}
P99_OVER_P50_MAX = 10


@dataclass
class Seed:
    email: str
    token: str
    user_id: str
    tenant_id: str | None  # None under tenancy=none
    project_id: str


@dataclass
class Cell:
    flavour: str
    workers: int
    endpoint: str
    connections: int
    service: list[load.Sample] = field(default_factory=list)
    pgbench: list[load.Sample] = field(default_factory=list)
    connections_seen: list[dict[str, int]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        rps = statistics.median(s.rps for s in self.service)
        p50 = statistics.median(s.p50_ms or 0 for s in self.service)
        p99 = statistics.median(s.p99_ms or 0 for s in self.service)
        tps = statistics.median(s.rps for s in self.pgbench) if self.pgbench else None
        return {
            "flavour": self.flavour,
            "workers": self.workers,
            "endpoint": self.endpoint,
            "connections": self.connections,
            "rps": rps,
            "p50_ms": p50,
            "p99_ms": p99,
            "p99_over_p50": p99 / p50 if p50 else None,
            "non_2xx": sum(s.non_2xx for s in self.service),
            "socket_errors": sum(s.errors for s in self.service),
            "requests": sum(s.requests for s in self.service),
            "pgbench_tps": tps,
            "pgbench_failed": sum(s.errors for s in self.pgbench),
            "ratio": rps / tps if tps else None,
            "rounds": len(self.service),
            "rps_rounds": [round(s.rps, 1) for s in self.service],
            "pgbench_rounds": [round(s.rps, 1) for s in self.pgbench],
            "db_connections": self.connections_seen,
        }


# --------------------------------------------------------------------------------------------
# Database and server
# --------------------------------------------------------------------------------------------


def _set_role_logging(admin_url: str, role: str, on: bool) -> None:
    """Log every statement of the role's new sessions, with its transaction (statements.py)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        statement = (
            "ALTER ROLE {} SET log_statement = 'all'" if on else "ALTER ROLE {} RESET log_statement"
        )
        conn.execute(sql.SQL(statement).format(sql.Identifier(role)))
        if on:
            conn.execute(
                sql.SQL("ALTER SYSTEM SET log_line_prefix = {}").format(
                    sql.Literal(statements.LOG_LINE_PREFIX)
                )
            )
            conn.execute("SELECT pg_reload_conf()")
    # The postmaster applies the reload asynchronously; sessions opened after it see the prefix.
    deadline = time.monotonic() + 10
    while on:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            row = conn.execute("SHOW log_line_prefix").fetchone()
        if row and row[0] == statements.LOG_LINE_PREFIX:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not take the new log_line_prefix within 10 s")
        time.sleep(0.05)


def _service_backends(admin_url: str, database: Database) -> set[int]:
    """The server processes of the service's sessions: the app role's, less pgbench's own (in
    every database: under database_per_tenant the tenant pools connect to the tenant's)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE usename = %s AND application_name <> 'pgbench'",
            (database.app,),
        ).fetchall()
    return {int(row[0]) for row in rows}


def serving(
    release: Release, project: Path, env: dict[str, str], log_dir: Path, label: str
) -> contextlib.AbstractContextManager[ServerProcess]:
    """The release's server, ready inside the block, its log in log_dir/<label>.log."""
    return serve(
        functools.partial(release.command, project),
        cwd=project,
        env=env,
        log_path=log_dir / f"{label}.log",
    )


def seed(base_url: str, *, tenanted: bool) -> Seed:
    """Two users, a tenant with both as members (under tenancy=none, the organisation they
    belong to by registering), and SEED_PROJECTS projects - over HTTP."""
    tag = secrets.token_hex(4)
    with httpx.Client(base_url=base_url, timeout=30) as client:

        def call(method: str, path: str, expect: int, **kwargs: Any) -> Any:
            response = client.request(method, path, **kwargs)
            if response.status_code != expect:
                raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
            return response.json() if response.content else None

        tokens = []
        for who in ("owner", "member"):
            email = f"bench-{who}-{tag}@example.com"
            user = call(
                "POST", "/api/v1/auth/register", 201, json={"email": email, "password": PASSWORD}
            )
            pair = call(
                "POST", "/api/v1/auth/login", 200, json={"email": email, "password": PASSWORD}
            )
            tokens.append((user, pair["access_token"]))
        (owner, token), (member, _) = tokens
        auth = {"Authorization": f"Bearer {token}"}
        tenant_id = None
        if tenanted:
            tenant_id = call(
                "POST",
                "/api/v1/tenants",
                201,
                json={"name": "Bench", "slug": f"bench-{tag}"},
                headers=auth,
            )["id"]
            call(
                "POST",
                f"/api/v1/tenants/{tenant_id}/members",
                201,
                json={"email": member["email"], "role": "member"},
                headers=auth,
            )
        scoped = auth if tenant_id is None else auth | {"X-Tenant-ID": tenant_id}
        first = None
        for number in range(SEED_PROJECTS):
            created = call(
                "POST",
                "/api/v1/projects",
                201,
                json={"name": f"seed-{number:03d}", "description": "A project of the benchmark."},
                headers=scoped,
            )
            first = first or created
    assert first is not None
    return Seed(
        email=owner["email"],
        token=token,
        user_id=owner["id"],
        tenant_id=tenant_id,
        project_id=first["id"],
    )


# --------------------------------------------------------------------------------------------
# Statement capture
# --------------------------------------------------------------------------------------------


def _request(client: httpx.Client, endpoint: str, data: Seed, name: str) -> None:
    headers = {"Authorization": f"Bearer {data.token}"}
    if data.tenant_id is not None:
        headers["X-Tenant-ID"] = data.tenant_id
    if endpoint == "getProject":
        response = client.get(f"/api/v1/projects/{data.project_id}", headers=headers)
    elif endpoint == "listProjects":
        response = client.get("/api/v1/projects", params={"limit": 20}, headers=headers)
    else:
        response = client.post("/api/v1/projects", json={"name": name}, headers=headers)
    if not response.is_success:
        raise RuntimeError(f"{endpoint}: {response.status_code} {response.text}")


def _variables(data: Seed) -> dict[str, str]:
    """The seed's ids, as the pgbench variables of the captured scripts."""
    ids = {"tenant_id": data.tenant_id, "user_id": data.user_id, "project_id": data.project_id}
    return {name: value for name, value in ids.items() if value is not None}


@dataclass(frozen=True)
class Replay:
    """One database's share of an endpoint's statements, as a pgbench script for that database.

    part: "" when the endpoint uses one database; under database_per_tenant "control" (the
    membership) and "tenant" (the rows), replayed one after the other (see load.in_sequence).
    """

    part: str
    database: str
    script: str


def capture_scripts(
    base_url: str, pg: PostgresServer, data: Seed, control_database: str
) -> dict[str, list[Replay]]:
    """Each endpoint's pgbench scripts, from the statements two of its requests sent."""
    variables = _variables(data)
    scripts: dict[str, list[Replay]] = {}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for endpoint in ENDPOINTS:
            for warm in range(3):  # connect, introspect types, prepare: not part of a request
                _request(client, endpoint, data, f"capture-warm-{warm}-{secrets.token_hex(4)}")
            captures = []
            for _ in range(2):
                time.sleep(0.2)
                offset = pg.log_file.stat().st_size
                _request(client, endpoint, data, f"capture-{secrets.token_hex(6)}")
                time.sleep(0.2)
                with pg.log_file.open("rb") as log:
                    log.seek(offset)
                    text = log.read().decode(errors="replace")
                captures.append(statements.split_by_database(statements.parse_log(text)))
            if list(captures[0]) != list(captures[1]):
                raise statements.CaptureError(
                    f"{endpoint}: two identical requests used different databases: "
                    f"{list(captures[0])} and {list(captures[1])}"
                )
            split = len(captures[0]) > 1
            scripts[endpoint] = [
                Replay(
                    part=("control" if name == control_database else "tenant") if split else "",
                    database=name,
                    script=statements.to_script(
                        endpoint, [capture[name] for capture in captures], variables
                    ),
                )
                for name in captures[0]
            ]
    return scripts


# --------------------------------------------------------------------------------------------
# One flavour
# --------------------------------------------------------------------------------------------


@dataclass
class Options:
    flavours: list[str]
    workers: list[int]
    connections: list[int]
    duration: float
    rounds: int
    warmup: float
    write_scripts: bool
    out: Path
    keep: bool
    flood_connections: int = 64
    baseline: str | None = None
    login_flood: bool = True  # also measure the hot read during a login flood


def bench_flavour(
    release: Release, pg: PostgresServer, options: Options, work: Path, log: Any
) -> tuple[list[Cell], dict[str, Any]]:
    project = render(release.flavour, work / f"{release.slug}-project", release.template)
    started = time.monotonic()
    release.install(project)
    log(f"[{release.name}] rendered and installed in {time.monotonic() - started:.0f}s")
    log(f"[{release.name}] {release.describe()}")
    database = create_database(pg.url)
    meta: dict[str, Any] = {"install": release.describe()}
    try:
        settings = app_settings(database) | BENCH_SETTINGS
        release.migrate(project, release.environment(settings, 1))

        # Capture with a one-worker server whose connections log every statement.
        _set_role_logging(pg.url, database.app, on=True)
        try:
            with serving(
                release, project, release.environment(settings, 1), work, f"{release.slug}-capture"
            ) as server:
                data = seed(server.base_url, tenanted=release.flavour.tenancy != "none")
                _analyze(pg.url, database.name)
                scripts = capture_scripts(server.base_url, pg, data, database.name)
        finally:
            _set_role_logging(pg.url, database.app, on=False)
        if not release.is_baseline:
            meta["scripts"] = _check_scripts(release.name, scripts, options, work, log)
        version_num = _server_version_num(pg.url)
        databases = sorted({replay.database for replays in scripts.values() for replay in replays})
        script_files: dict[str, list[tuple[Replay, Path]]] = {}
        for endpoint, replays in scripts.items():
            script_files[endpoint] = []
            for replay in replays:
                path = (
                    work / f"{release.slug}-{endpoint}{'.' if replay.part else ''}{replay.part}.sql"
                )
                path.write_text(statements.for_server(replay.script, version_num))
                script_files[endpoint].append((replay, path))

        app = urlsplit(database.app_url)
        pgbench_binary = load.pgbench_binary(pg.bindir)
        variables = _variables(data)
        cells: list[Cell] = []
        floods: list[dict[str, Any]] = []
        for workers in options.workers if release.worker_processes else [1]:
            env = release.environment(settings, workers)
            analysed = False
            with serving(release, project, env, work, f"{release.slug}-{workers}w") as server:
                grid = {
                    (endpoint, conns): Cell(release.name, workers, endpoint, conns)
                    for endpoint in ENDPOINTS
                    for conns in options.connections
                }
                # Writes warm up first and the tables are analysed after them: the create
                # warm-up grows the projects table from the seed to thousands of rows, and a
                # plan the service cached on the small table (a sequential scan) would
                # otherwise slow the first round of reads to a third. ANALYZE also
                # invalidates the plans the service's connections have cached.
                for endpoint in sorted(ENDPOINTS, key=lambda name: name != "createProject"):
                    if endpoint != "createProject" and not analysed:
                        for name in databases:
                            _analyze(pg.url, name)
                        analysed = True
                    if options.warmup:
                        load.wrk(
                            server.base_url, mode=ENDPOINTS[endpoint],
                            connections=max(options.connections), seconds=options.warmup,
                            token=data.token, tenant_id=data.tenant_id, project_id=data.project_id,
                            prefix=f"warm-{workers}-{secrets.token_hex(3)}",
                        )  # fmt: skip
                for round_number in range(options.rounds):
                    for (endpoint, conns), cell in grid.items():
                        before = _service_backends(pg.url, database)
                        sample = load.wrk(
                            server.base_url, mode=ENDPOINTS[endpoint], connections=conns,
                            seconds=options.duration, token=data.token, tenant_id=data.tenant_id,
                            project_id=data.project_id,
                            prefix=f"w{workers}-r{round_number}-c{conns}-{secrets.token_hex(3)}",
                        )  # fmt: skip
                        after = _service_backends(pg.url, database)
                        cell.service.append(sample)
                        cell.connections_seen.append(
                            {
                                "backends_before": len(before),
                                "backends_after": len(after),
                                # sessions opened (closed) during the run and still open (gone)
                                "opened": len(after - before),
                                "closed": len(before - after),
                                "load_average": round(os.getloadavg()[0], 2),
                            }
                        )
                        ceiling = load.in_sequence([
                            load.pgbench(
                                pgbench_binary, script=path, connections=conns,
                                seconds=options.duration, host=app.hostname or "127.0.0.1",
                                port=app.port or 5432, user=app.username or "",
                                password=app.password or "", database=replay.database,
                                variables=variables, protocol=pgbench_protocol(release),
                            )
                            for replay, path in script_files[endpoint]
                        ])  # fmt: skip
                        cell.pgbench.append(ceiling)
                        label = ENDPOINT_LABELS[endpoint]
                        ratio = sample.rps / ceiling.rps
                        log(
                            f"[{release.name} {workers}w r{round_number + 1}] {label:<24}"
                            f" c={conns:<3} {sample.rps:8.0f} req/s  p50 {sample.p50_ms:6.1f} ms"
                            f"  p99 {sample.p99_ms:6.1f} ms  non-2xx {sample.non_2xx}"
                            f"  | pgbench {ceiling.rps:8.0f} tps  ratio {ratio:5.1%}"
                            f"  | backends {len(before)}->{len(after)}"
                            f" (+{len(after - before)} -{len(before - after)})"
                        )
                cells.extend(grid.values())
                if options.login_flood:
                    flood = login_flood(server.base_url, data, options, release.name, workers, log)
                    floods.append(flood)
        meta["login_flood"] = floods
        return cells, meta
    finally:
        drop_database(database)


def login_flood(
    base_url: str, data: Seed, options: Options, name: str, workers: int, log: Any
) -> dict[str, Any]:
    """The hot read's latency at low concurrency, alone and during a flood of logins."""
    read = functools.partial(
        load.wrk, base_url, mode="get", connections=FLOOD_READERS, seconds=options.duration,
        token=data.token, tenant_id=data.tenant_id, project_id=data.project_id, prefix="flood",
    )  # fmt: skip
    alone = read()
    with load.wrk_background(
        base_url,
        mode="login",
        connections=options.flood_connections,
        seconds=options.duration + 2,  # starts first, ends after the read
        email=data.email,
        password=PASSWORD,
    ) as flood:
        time.sleep(1)  # the flood reaches the hashing pool before the read starts
        during = read()
        logins = flood.result()
    factor = during.p50_ms / alone.p50_ms if during.p50_ms and alone.p50_ms else None
    result = {
        "flavour": name,
        "workers": workers,
        "readers": FLOOD_READERS,
        "flood_connections": options.flood_connections,
        "read_alone": asdict(alone),
        "read_during_flood": asdict(during),
        "logins": asdict(logins),
        "p50_factor": factor,
    }
    log(
        f"[{name} {workers}w] login flood (c={options.flood_connections}):"
        f" hot read p50 {alone.p50_ms:.1f} -> {during.p50_ms:.1f} ms"
        f" (x{factor or 0:.1f}), p99 {alone.p99_ms:.1f} -> {during.p99_ms:.1f} ms;"
        f" logins {logins.rps:.0f}/s, {logins.non_2xx} non-2xx of {logins.requests}"
    )
    return result


def pgbench_protocol(release: Release) -> str:
    """How pgbench sends the statements: as the service does. Under schema_per_tenant the
    service caches no statement (each is planned for its tenant's schema), and pgbench's
    prepared mode would parse a pipeline's reads before its first statement sets the path."""
    return "extended" if release.flavour.tenancy == "schema_per_tenant" else "prepared"


def _analyze(admin_url: str, database: str) -> None:
    """Fresh planner statistics for the seeded tables, for the service and pgbench alike
    (autovacuum would get there at a moment of its choosing, in the middle of a run)."""
    url = urlsplit(admin_url)._replace(path=f"/{database}").geturl()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def _server_version_num(admin_url: str) -> int:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    assert row is not None
    return int(row[0])


def _check_scripts(
    flavour: str, scripts: dict[str, list[Replay]], options: Options, work: Path, log: Any
) -> dict[str, str]:
    """Compare the captured scripts with the committed ones: "same", "drift" or "new"."""
    status = {}
    for endpoint, replays in scripts.items():
        for replay in replays:
            name = f"{endpoint}.{replay.part}" if replay.part else endpoint
            committed = statements.script_path(flavour, endpoint, replay.part)
            if committed.exists() and committed.read_text() == replay.script:
                status[name] = "same"
                continue
            status[name] = "drift" if committed.exists() else "new"
            if options.write_scripts:
                committed.parent.mkdir(parents=True, exist_ok=True)
                committed.write_text(replay.script)
                log(f"[{flavour}] wrote {committed.relative_to(BENCH_DIR.parent)}")
            else:
                (work / f"{flavour}-{name}.captured.sql").write_text(replay.script)
                where = committed.relative_to(BENCH_DIR.parent)
                log(
                    f"[{flavour}] {name}: the statements differ from {where} (run with "
                    "--write-scripts to update it); this run replays the captured ones"
                )
    return status


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> Options:
    available = list(releases())
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--flavours", default=",".join(available), help=f"default: {','.join(available)}"
    )
    parser.add_argument(
        "--workers", default="2", help="server worker processes, e.g. 1,2 (default 2)"
    )
    parser.add_argument(
        "--connections", default="8,32", help="wrk/pgbench connections (default 8,32)"
    )
    parser.add_argument(
        "--duration", type=float, default=6, help="seconds per load run (default 6)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds per cell; medians are reported (3)"
    )
    parser.add_argument(
        "--warmup", type=float, default=2, help="seconds of warm-up per endpoint (2)"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="1 round of 1 s at 8 connections, 1 worker"
    )
    parser.add_argument(
        "--write-scripts", action="store_true", help="update bench/pgbench/ from the capture"
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS_DIR, help="results directory (bench/results)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the rendered projects and logs")
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="also render each flavour from this git ref (a commit, or a version of "
        "releases.toml) and measure it in turns with the current tree; the report adds "
        "after/before ratios",
    )
    parser.add_argument(
        "--flood-connections", type=int, default=64, help="clients of the login flood (64)"
    )
    args = parser.parse_args(argv)
    flavours = [name.strip() for name in args.flavours.split(",") if name.strip()]
    unknown = sorted(set(flavours) - set(available))
    if unknown:
        parser.error(f"unknown flavours {unknown}; available: {available}")
    options = Options(
        flavours=flavours,
        workers=_int_list(args.workers),
        connections=_int_list(args.connections),
        duration=args.duration,
        rounds=args.rounds,
        warmup=args.warmup,
        write_scripts=args.write_scripts,
        out=args.out,
        keep=args.keep,
        flood_connections=args.flood_connections,
        baseline=args.baseline,
    )
    if args.smoke:
        options.workers, options.connections = [1], [8]
        options.duration, options.rounds, options.warmup = 1, 1, 0
        options.flood_connections = 8
    return options


def baseline_tree(ref: str, destination: Path) -> Path:
    """The template as it was at ref (a commit, or a version listed in releases.toml)."""
    from tests.harness.releases import load_releases

    known = {str(release.version): release.commit for release in load_releases().releases}
    commit = known.get(ref.removeprefix("v"), ref)
    destination.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit],
        cwd=BENCH_DIR.parent,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive.stdout, check=True)
    return destination


def _tool_version(command: list[str]) -> str:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "unavailable"
    return (
        (proc.stdout or proc.stderr).strip().splitlines()[0]
        if (proc.stdout or proc.stderr)
        else "?"
    )


def plan(
    options: Options, current: dict[str, Release], baseline: dict[str, Release] | None
) -> list[tuple[Release, Options, int | None]]:
    """What to measure, in order, with which options, and in which turn (None: no baseline).

    With a baseline, it and the current tree take turns, a round each (A B, B A, ...), each on
    a fresh server and database: the load of a shared machine drifts over a run, and measuring
    one side after the other turned that drift into a 20-35 % "regression" that an interleaved
    A/B of the same builds did not show. The login flood runs in the first turn only.
    """
    if baseline is None:
        return [(current[name], options, None) for name in options.flavours]
    runs: list[tuple[Release, Options, int | None]] = []
    for number in range(options.rounds):
        turn_options = replace(options, rounds=1, login_flood=number == 0)
        for name in options.flavours:
            pair = [baseline[name], current[name]]
            for release in pair if number % 2 == 0 else pair[::-1]:
                runs.append((release, turn_options, number + 1))
    return runs


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    load.require_wrk()

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    log(f"working in {work}; load average {os.getloadavg()}")
    all_cells: list[Cell] = []
    failed: list[str] = []
    meta: dict[str, Any] = {
        "started": stamp,
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()},
        "machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()},
        "wrk": _tool_version(["wrk", "--version"]),
        "flavours": {},
    }
    try:
        with throwaway_postgres() as pg:
            meta["postgres"] = pg.version
            meta["pgbench"] = _tool_version([load.pgbench_binary(pg.bindir), "--version"])
            baseline = None
            if options.baseline:
                tree = baseline_tree(options.baseline, work / "baseline-template")
                meta["baseline"] = options.baseline
                baseline = releases(tree, label=options.baseline)
            merged: dict[tuple[str, int, str, int], Cell] = {}
            for release, run_options, turn in plan(options, releases(), baseline):
                if release.name in failed:
                    continue
                run_work = work if turn is None else work / f"round-{turn}"
                run_work.mkdir(exist_ok=True)
                try:
                    cells, flavour_meta = bench_flavour(release, pg, run_options, run_work, log)
                except Exception as error:  # one broken flavour must not cost the others' results
                    log(f"[{release.name}] FAILED: {error}")
                    failed.append(release.name)
                    meta["flavours"][release.name] = {"error": str(error)[:4000]}
                    continue
                for cell in cells:
                    key = (cell.flavour, cell.workers, cell.endpoint, cell.connections)
                    if key not in merged:
                        merged[key] = cell
                        all_cells.append(cell)
                    else:  # another round of the same cell
                        merged[key].service += cell.service
                        merged[key].pgbench += cell.pgbench
                        merged[key].connections_seen += cell.connections_seen
                meta["flavours"].setdefault(release.name, flavour_meta)
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept {work}")
    meta["machine"]["load_after"] = os.getloadavg()
    summaries = [cell.summary() for cell in all_cells]
    outputs = report.write(options.out, stamp, meta, summaries, GOALS, P99_OVER_P50_MAX)
    print(report.markdown(meta, summaries, GOALS, P99_OVER_P50_MAX))
    log("wrote " + ", ".join(str(path) for path in outputs))
    return 1 if failed else 0
