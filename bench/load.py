"""The two load generators: wrk against the service, pgbench against PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk" / "api.lua"
INSTALL_HINT = (
    "wrk is not installed. Debian/Ubuntu: `sudo apt-get install -y wrk`; macOS: `brew install wrk`."
)


class LoadError(RuntimeError):
    pass


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise LoadError(INSTALL_HINT)
    return wrk


def pgbench_binary(server_bindir: Path) -> str:
    """The server's own pgbench when it ships one (the embedded wheel does), else PATH's."""
    own = server_bindir / "pgbench"
    if own.exists():
        return str(own)
    found = shutil.which("pgbench")
    if found is None:
        raise LoadError("pgbench is not installed (Debian: `apt-get install postgresql-client`).")
    return found


@dataclass(frozen=True)
class Sample:
    """One load run: throughput, latency and failures."""

    rps: float
    p50_ms: float | None
    p99_ms: float | None
    non_2xx: int
    requests: int
    errors: int = 0  # socket errors and timeouts (wrk), failed transactions (pgbench)


def in_sequence(parts: list[Sample]) -> Sample:
    """The ceiling of a request whose parts run one after the other, each measured alone at the
    same concurrency (under database_per_tenant: the control database's, then the tenant's). A
    request takes the sum of the parts' times, so its rate is the harmonic sum of their rates;
    the percentiles are the sums of the parts' (an upper bound for p99)."""
    if len(parts) == 1:
        return parts[0]

    def total(values: list[float | None]) -> float | None:
        return None if any(value is None for value in values) else sum(v or 0.0 for v in values)

    return Sample(
        rps=1 / sum(1 / part.rps for part in parts),
        p50_ms=total([part.p50_ms for part in parts]),
        p99_ms=total([part.p99_ms for part in parts]),
        non_2xx=sum(part.non_2xx for part in parts),
        requests=min(part.requests for part in parts),
        errors=sum(part.errors for part in parts),
    )


def threads_for(connections: int) -> int:
    return max(1, min(2, connections))


def _wrk_command(base_url: str, connections: int, seconds: float) -> list[str]:
    return [
        require_wrk(),
        f"-t{threads_for(connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        base_url,
    ]


def wrk(
    base_url: str,
    *,
    mode: str,
    connections: int,
    seconds: float,
    token: str,
    tenant_id: str | None,
    project_id: str,
    prefix: str,
) -> Sample:
    env = os.environ | {
        "BENCH_MODE": mode,
        "BENCH_TOKEN": token,
        "BENCH_PROJECT": project_id,
        "BENCH_PREFIX": prefix,
    }
    env.pop("BENCH_TENANT", None)
    if tenant_id is not None:  # tenancy=none: requests name no tenant
        env["BENCH_TENANT"] = tenant_id
    command = _wrk_command(base_url, connections, seconds)
    proc = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    return _wrk_sample(command, proc.returncode, proc.stdout, proc.stderr)


class BackgroundLoad:
    """A wrk run in its own process; result() waits for it and reads its summary."""

    def __init__(self, command: list[str], env: dict[str, str], seconds: float) -> None:
        self._command = command
        self._timeout = seconds + 60
        self._process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def result(self) -> Sample:
        stdout, stderr = self._process.communicate(timeout=self._timeout)
        return _wrk_sample(self._command, self._process.returncode, stdout, stderr)

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.communicate()


@contextlib.contextmanager
def wrk_background(
    base_url: str, *, mode: str, connections: int, seconds: float, email: str, password: str
) -> Iterator[BackgroundLoad]:
    """wrk in "login" mode (or another) while the block runs; killed if the block fails."""
    env = os.environ | {"BENCH_MODE": mode, "BENCH_EMAIL": email, "BENCH_PASSWORD": password}
    load = BackgroundLoad(_wrk_command(base_url, connections, seconds), env, seconds)
    try:
        yield load
    finally:
        load.stop()


def _wrk_sample(command: list[str], returncode: int, stdout: str, stderr: str) -> Sample:
    line = next(
        (x for x in stdout.splitlines() if x.startswith("BENCH_RESULT ")),
        None,
    )
    if returncode != 0 or line is None:
        raise LoadError(f"{' '.join(command)} failed:\n{stdout}\n{stderr}")
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    errors = result["errors"]
    latency = result["latency_us"]
    socket_errors = errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
    return Sample(
        rps=result["requests"] / (result["duration_us"] / 1e6),
        p50_ms=latency["p50"] / 1000,
        p99_ms=latency["p99"] / 1000,
        non_2xx=errors["status"],
        requests=result["requests"],
        errors=socket_errors,
    )


_TPS = re.compile(r"^tps = ([\d.]+)", re.M)
_FAILED = re.compile(r"number of failed transactions: (\d+)")
_PROCESSED = re.compile(r"number of transactions actually processed: (\d+)")


def pgbench(
    binary: str,
    *,
    script: Path,
    connections: int,
    seconds: float,
    host: str,
    port: int,
    user: str,
    password: str,
    database: str,
    variables: dict[str, str],
    protocol: str = "prepared",
) -> Sample:
    """protocol: "prepared" (named, cached statements, as the drivers do by default), or
    "extended" (unnamed ones, parsed per execution) for a service that caches none."""
    command = [
        binary,
        "--no-vacuum",
        f"--protocol={protocol}",
        f"--client={connections}",
        f"--jobs={threads_for(connections)}",
        f"--time={max(1, round(seconds))}",
        f"--file={script}",
        f"--host={host}",
        f"--port={port}",
        f"--username={user}",
        *(f"--define={name}={value}" for name, value in variables.items()),
        database,
    ]
    env = os.environ | {"PGPASSWORD": password}
    proc = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    tps = _TPS.search(proc.stdout)
    if proc.returncode != 0 or tps is None:
        raise LoadError(f"{' '.join(command)} failed:\n{proc.stdout}\n{proc.stderr}")
    failed = _FAILED.search(proc.stdout)
    processed = _PROCESSED.search(proc.stdout)
    return Sample(
        rps=float(tps[1]),
        p50_ms=None,
        p99_ms=None,
        non_2xx=0,
        requests=int(processed[1]) if processed else 0,
        errors=int(failed[1]) if failed else 0,
    )
