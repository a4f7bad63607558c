"""The service as its image runs it: the `serve` script (uvicorn) in a process of its own, for
what only a real HTTP server shows (slow clients, worker processes, a connection pooler)."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

SERVE = Path(sys.executable).with_name("serve")
READY_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(settings: Mapping[str, str]) -> dict[str, str]:
    """The test run's environment (PATH and the like) with the service's settings; none of the
    test run's own settings."""
    inherited = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    return inherited | dict(settings)


def run(
    settings: Mapping[str, str], cwd: Path, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run `serve` to its end (for start-up failures)."""
    return subprocess.run(  # noqa: S603 - our own script, arguments from the test
        [str(SERVE), "--host", "127.0.0.1", "--port", str(free_port())],
        env=environment(settings),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextlib.contextmanager
def serving(settings: Mapping[str, str], cwd: Path) -> Iterator[str]:
    """The base URL of a running server; stopped after the block. cwd holds no .env file."""
    port = free_port()
    log = (cwd / f"server-{port}.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own script, arguments from the test
        [str(SERVE), "--host", "127.0.0.1", "--port", str(port)],
        env=environment(settings),
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base_url, process, cwd / f"server-{port}.log")
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == httpx.codes.OK:
                return
        time.sleep(0.2)
    raise RuntimeError(f"serve did not become ready:\n{log.read_text()}")
