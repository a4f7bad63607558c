"""A TCP proxy between the service and PostgreSQL that a test can break: refuse connections
(the database is down), or stop forwarding (the database hangs)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import URL

_CHUNK = 65_536


class DatabaseProxy:
    def __init__(self, target: URL) -> None:
        self._target_host = target.host or "127.0.0.1"
        self._target_port = target.port or 5432
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._forwarding = asyncio.Event()
        self._forwarding.set()
        self.port = 0

    def url(self, target: URL) -> URL:
        """The target URL, through the proxy."""
        return target.set(host="127.0.0.1", port=self.port)

    async def start(self) -> None:
        """Accept connections (again, on the same port)."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def go_down(self) -> None:
        """Refuse new connections and cut the open ones, as a stopped server does."""
        for writer in list(self._connections):
            writer.transport.abort()
        if self._server is not None:
            self._server.close()
            self._server.abort_clients()
            await self._server.wait_closed()  # which waits for the connections' handlers
            self._server = None

    def hang(self) -> None:
        """Keep every connection open but forward nothing, as a stuck server does."""
        self._forwarding.clear()

    def resume(self) -> None:
        self._forwarding.set()

    async def _accept(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        self._connections.add(client)
        try:
            await self._forwarding.wait()
            server_reader, server = await asyncio.open_connection(
                self._target_host, self._target_port
            )
        except OSError:
            client.transport.abort()
            self._connections.discard(client)
            return
        self._connections.add(server)
        try:
            await asyncio.gather(
                self._pipe(client_reader, server), self._pipe(server_reader, client)
            )
        finally:
            for writer in (client, server):
                writer.transport.abort()
                self._connections.discard(writer)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while chunk := await reader.read(_CHUNK):
                await self._forwarding.wait()
                writer.write(chunk)
                await writer.drain()
        writer.transport.abort()


@contextlib.asynccontextmanager
async def database_proxy(target: URL) -> AsyncIterator[DatabaseProxy]:
    proxy = DatabaseProxy(target)
    await proxy.start()
    try:
        yield proxy
    finally:
        proxy.resume()
        await proxy.go_down()
