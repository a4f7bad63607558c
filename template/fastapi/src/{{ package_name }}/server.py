"""The HTTP server of the service: `serve [--host H] [--port P]`, workers from WEB_CONCURRENCY.

Uvicorn, with one addition: a client has HEADER_READ_TIMEOUT_SECONDS (5 s) to send its request
headers (uvicorn has no such bound of its own), so a client trickling bytes cannot hold a
connection forever. The body then has BODY_READ_TIMEOUT_SECONDS (10 s; http_limits.py).
"""

import argparse
import asyncio
import os
from pathlib import Path

import uvicorn
from pydantic import ValidationError
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import describe, get_settings
from .logging import server_logging_config

# A connection still sending its headers costs little, and it is dropped within the header
# timeout: allow many per worker (past the limit uvicorn answers 503), and a deep accept queue
# (the kernel caps it at net.core.somaxconn). Requests that do reach the app meet its own
# bounds: the hashing budget, the pool timeout, REQUEST_TIMEOUT_SECONDS.
BACKLOG = 4096
MAX_CONNECTIONS_PER_WORKER = 16384
# An idle keep-alive connection is closed after this long.
KEEP_ALIVE_SECONDS = 5


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """Uvicorn's HTTP/1.1 protocol, closing a connection whose request headers are not complete
    within HEADER_READ_TIMEOUT_SECONDS of its first byte (or of the connection, for the first
    request). Between requests, uvicorn's keep-alive timeout closes idle connections.

    Uvicorn creates it by itself in each worker process, so it reads the setting there: the
    same environment as main's, and get_settings() is cached per process."""

    _headers_due: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_headers()

    def data_received(self, data: bytes) -> None:
        # Bytes between requests start the next request's headers (blank lines included, which
        # the parser skips without beginning a message).
        if self._headers_due is None and (self.cycle is None or self.cycle.response_complete):
            self._expect_headers()
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._headers_arrived()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        super().connection_lost(exc)

    def _expect_headers(self) -> None:
        timeout = get_settings().header_read_timeout_seconds
        self._headers_due = self.loop.call_later(timeout, self._headers_late)

    def _headers_arrived(self) -> None:
        if self._headers_due is not None:
            self._headers_due.cancel()
            self._headers_due = None

    def _headers_late(self) -> None:
        self._headers_due = None
        self.transport.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a container's port is its interface
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    args = parser.parse_args()
    try:
        # Once here, before the workers start: a bad setting is one clear message and exit 1,
        # not a traceback per worker.
        settings = get_settings()
    except ValidationError as error:
        raise SystemExit(describe(error)) from None

    uvicorn.run(
        # An import string, which each worker process imports for itself.
        f"{__package__}.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=int(os.environ.get("WEB_CONCURRENCY", "1")),
        loop="uvloop",
        # HTTP/1.1 only. TLS and HTTP/2 belong to the proxy or load balancer in front.
        http=HeaderTimeoutProtocol,
        ws="none",
        lifespan="on",
        backlog=BACKLOG,
        limit_concurrency=MAX_CONNECTIONS_PER_WORKER,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # The client address is the app's to decide (TRUSTED_PROXIES), from the peer address.
        proxy_headers=False,
        server_header=False,
        # The app writes one access line per request (middleware.py).
        access_log=False,
        log_config=server_logging_config(settings.log_level),
        reload=args.reload,
        reload_dirs=[str(Path(__file__).parent)] if args.reload else None,
    )
