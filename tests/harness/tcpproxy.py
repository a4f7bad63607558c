"""A loopback TCP proxy that can be frozen: a database that hangs instead of failing.

`running_proxy(target_port)` forwards 127.0.0.1:<proxy.port> to 127.0.0.1:<target_port> from an
asyncio loop in a background thread. `proxy.freeze()` stops forwarding in both directions while
keeping every connection open and accepting new ones (whose bytes go nowhere either), as a hung
server or a silent network partition does; `proxy.thaw()` delivers what was held back and
forwards again. Nothing is ever dropped, so a thawed connection carries on where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

from tests.harness.postgres import free_port

CHUNK = 65536


class FreezableProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._flowing: asyncio.Event | None = None
        self._server: asyncio.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    # ------------------------------------------------------------------ control (any thread)
    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)

    def freeze(self) -> None:
        self._call(lambda: self._flowing.clear())  # type: ignore[union-attr]

    def thaw(self) -> None:
        self._call(lambda: self._flowing.set())  # type: ignore[union-attr]

    @property
    def frozen(self) -> bool:
        return self._flowing is not None and not self._flowing.is_set()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def _call(self, action) -> None:
        done = threading.Event()

        def run() -> None:
            action()
            done.set()

        self._loop.call_soon_threadsafe(run)
        assert done.wait(timeout=10), "the proxy's loop does not answer"

    # ------------------------------------------------------------------ the loop's side
    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _accept(self, client_reader, client_writer) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            client_writer.close()  # the target is down: as close to "refused" as a proxy gets
            return
        pumps = [
            asyncio.ensure_future(self._pump(client_reader, upstream_writer)),
            asyncio.ensure_future(self._pump(upstream_reader, client_writer)),
        ]
        try:
            # One side closing ends the pair: the other side is closed as well.
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            for writer in (client_writer, upstream_writer):
                writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._flowing is not None
        with contextlib.suppress(OSError):
            while data := await reader.read(CHUNK):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        # Every connection's handler and pumps, cancelled and awaited, so none is left pending.
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)


@contextlib.contextmanager
def running_proxy(target_port: int) -> Iterator[FreezableProxy]:
    proxy = FreezableProxy(target_port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
