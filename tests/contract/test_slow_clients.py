"""Slow clients are dropped while others are served (headers within 5 s, then the body in 10 s).

A client trickles its request one byte per second; the server must give up on it (close the
connection, or answer it, e.g. 408) within the bounds below, which add slack to the server's
5 s and 15 s read timeouts. Meanwhile a normal request on another connection is served.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest

from .rawhttp import Trickle, connect, trickle
from .server import ServerProcess

pytestmark = [pytest.mark.contract, pytest.mark.direct_only, pytest.mark.tenancy_independent]

HEADER_BOUND = 10.0  # seconds; the server's header timeout is 5 s
BODY_BOUND = 20.0  # seconds; the server's whole-request timeout is 15 s
PATIENCE = 40.0  # seconds the trickle goes on before the test gives up on the server


def trickled_meanwhile(
    server: ServerProcess, start: Callable[[], Trickle]
) -> tuple[Trickle, httpx.Response]:
    """Run the trickle in a thread; once it is two bytes in, send a normal request."""
    outcome: list[Trickle] = []
    thread = threading.Thread(target=lambda: outcome.append(start()), daemon=True)
    thread.start()
    thread.join(timeout=2.5)
    normal = httpx.get(f"{server.base_url}/healthz", timeout=5)
    thread.join(timeout=PATIENCE + 10)
    assert outcome, "the trickle did not finish"
    return outcome[0], normal


def assert_given_up(ended: Trickle, bound: float) -> None:
    given_up = ended.closed or (ended.response is not None and ended.response.status >= 400)
    assert given_up, f"still connected after {ended.seconds:.1f}s"
    assert ended.seconds <= bound, f"the server waited {ended.seconds:.1f}s (bound {bound}s)"


def test_a_header_trickled_byte_by_byte_is_dropped(server: ServerProcess) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100 + b"\r\n\r\n"

    def start() -> Trickle:
        with connect(server.port) as sock:
            return trickle(sock, request, interval=1.0, limit=PATIENCE)

    ended, normal = trickled_meanwhile(server, start)

    assert normal.status_code == 200, "another client is served meanwhile"
    assert_given_up(ended, HEADER_BOUND)
    print(f"header trickle dropped after {ended.seconds:.1f}s")


def test_a_body_trickled_after_complete_headers_gets_408(server: ServerProcess) -> None:
    body = b'{"email": "slow@example.com", "password": "' + b"p" * 100 + b'"}'
    head = (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    )

    def start() -> Trickle:
        with connect(server.port) as sock:
            sock.sendall(head)
            return trickle(sock, body, interval=1.0, limit=PATIENCE)

    ended, normal = trickled_meanwhile(server, start)

    assert normal.status_code == 200, "another client is served meanwhile"
    assert_given_up(ended, BODY_BOUND)
    # Headers complete, the client is told why (the contract's 408) before the connection ends.
    assert ended.response is not None, "closed without an answer"
    assert ended.response.status == 408
    assert ended.response.headers["content-type"].startswith("application/problem+json")
    assert ended.response.headers.get("connection") == "close"
    print(f"body trickle answered 408 after {ended.seconds:.1f}s")
