"""Run one request from many threads at once, released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import httpx

T = TypeVar("T")
BARRIER_TIMEOUT = 30.0  # seconds for every thread to reach the start line
RACE_TIMEOUT = 120.0  # seconds for every request to finish


def race(
    n: int, make_client: Callable[[], httpx.Client], attempt: Callable[[httpx.Client, int], T]
) -> list[T]:
    """`attempt(client, i)` for i in range(n), each in its own thread with its own client (and
    so its own connection), all released at the same instant; results in order of i."""
    barrier = threading.Barrier(n, timeout=BARRIER_TIMEOUT)

    def run(i: int) -> T:
        with make_client() as client:
            # Connect first, so the race is between requests, not between TCP handshakes.
            client.get("/healthz")
            barrier.wait()
            return attempt(client, i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(run, i) for i in range(n)]
        return [future.result(timeout=RACE_TIMEOUT) for future in futures]
