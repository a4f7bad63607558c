"""The HTTP server as deployed: slow clients are dropped within the read timeouts while others
are served, bodies are capped on the wire, and bad settings stop it at start-up.

The server runs with shorter read timeouts than its defaults (5 s and 10 s, test_config.py), so
that waiting them out takes seconds, not half a minute: the same code, given other values.
"""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .database import ThrowawayDatabase
from .server import run, serving

HEADERS_WITHIN = 1.0  # seconds a client has for its request headers
BODY_WITHIN = 2.0  # seconds for the body, once the headers are in
SLACK = 1.5


@pytest.fixture(scope="module")
def settings(migrated: ThrowawayDatabase) -> dict[str, str]:
    return migrated.service_environment() | {
        "JWT_SECRET": "server-test-" + "x" * 40,
        "LOG_LEVEL": "WARNING",
        "HEADER_READ_TIMEOUT_SECONDS": str(HEADERS_WITHIN),
        "BODY_READ_TIMEOUT_SECONDS": str(BODY_WITHIN),
    }


@pytest.fixture(scope="module")
def server(settings: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(settings, tmp_path_factory.mktemp("server")) as base_url:
        yield base_url


def connect(base_url: str) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def seconds_until_closed(
    sock: socket.socket, trickle: bytes, started: float
) -> tuple[float, bytes]:
    """Send one byte of `trickle` every 0.5 s until the server answers or hangs up."""
    sock.settimeout(0.5)
    answer = b""
    for byte in trickle:
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            break
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
        if not chunk:
            break
        answer += chunk
    return time.monotonic() - started, answer


def healthy_meanwhile(base_url: str, stop: threading.Event, latencies: list[float]) -> None:
    with httpx.Client(base_url=base_url, timeout=5) as client:
        while not stop.is_set():
            started = time.monotonic()
            assert client.get("/healthz").status_code == httpx.codes.OK
            latencies.append(time.monotonic() - started)
            time.sleep(0.2)


def test_slow_headers_are_cut_off_while_others_are_served(server: str) -> None:
    stop, latencies = threading.Event(), list[float]()
    other_client = threading.Thread(target=healthy_meanwhile, args=(server, stop, latencies))
    other_client.start()
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
        elapsed, _ = seconds_until_closed(sock, b"X-Slow: " + b"a" * 100, started)
    stop.set()
    other_client.join()

    assert HEADERS_WITHIN - 0.5 <= elapsed <= HEADERS_WITHIN + SLACK
    assert latencies
    assert max(latencies) < HEADERS_WITHIN / 2  # served all along, not after the timeout


def test_slow_headers_of_a_next_request_are_cut_off(server: str) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        first = sock.recv(65536)
        started = time.monotonic()
        # Blank lines first: they begin no request, but they are not idleness either.
        elapsed, _ = seconds_until_closed(
            sock, b"\r\n\r\nGET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: " + b"a" * 100, started
        )

    assert first.startswith(b"HTTP/1.1 200 ")
    assert HEADERS_WITHIN - 0.5 <= elapsed <= HEADERS_WITHIN + SLACK


def test_many_slow_clients_lock_nobody_out(server: str) -> None:
    # More than a usual per-worker connection limit (1024): slow connections must not fill it
    # until they time out.
    slow = [connect(server) for _ in range(1500)]
    for sock in slow:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
    started = time.monotonic()
    latencies = []
    with httpx.Client(base_url=server, timeout=10) as client:
        while time.monotonic() - started < HEADERS_WITHIN + SLACK:
            before = time.monotonic()
            assert client.get("/healthz").status_code == httpx.codes.OK
            latencies.append(time.monotonic() - before)
            time.sleep(0.2)
    still_open = 0
    for sock in slow:
        sock.settimeout(0.1)
        try:
            still_open += bool(sock.recv(1))
        except TimeoutError:
            still_open += 1
        except OSError:
            pass
        sock.close()

    assert max(latencies) < HEADERS_WITHIN / 2  # served all along, not after the timeout
    assert still_open == 0


def test_a_slow_body_is_cut_off_within_the_body_timeout(server: str) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n"
        )
        elapsed, answer = seconds_until_closed(sock, b"{" + b" " * 199, started)

    assert BODY_WITHIN - 0.5 <= elapsed <= BODY_WITHIN + SLACK
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_large_body_is_refused_by_its_length_before_it_is_sent(server: str) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: test\r\n"
            b"Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n"
        )
        answer = sock.recv(65536)

    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"application/problem+json" in answer


def test_a_large_chunked_body_is_refused_while_it_streams(server: str) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(64):
            yield b" " * 65536  # 4 MiB in all

    response = httpx.post(
        f"{server}/api/v1/auth/login",
        content=body(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )

    assert response.status_code == httpx.codes.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["title"] == "Content Too Large"


def test_the_server_refuses_to_start_without_a_strong_jwt_secret(
    settings: dict[str, str], tmp_path: Path
) -> None:
    for weak in ({}, {"JWT_SECRET": "short"}):
        without = {key: value for key, value in settings.items() if key != "JWT_SECRET"}
        result = run(without | weak, tmp_path)

        assert result.returncode != 0
        assert result.stderr.strip().splitlines() == [
            "JWT_SECRET must be set to at least 32 random bytes; generate one with: "
            'python -c "import secrets; print(secrets.token_urlsafe(48))"'
        ]
