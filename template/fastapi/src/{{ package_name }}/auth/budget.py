"""A bounded budget for password hashing, the most expensive thing an anonymous client can ask for.

Each argon2 hash holds ~19 MiB and a core for tens of milliseconds. Unbounded, a registration
flood exhausts memory; queued without limit, it turns into timeouts for everyone. So at most
`concurrency` hashes run at once (in threads of their own, so the event loop keeps serving), at
most `max_waiting` more wait for a slot, and anything past that is refused at once.
"""

import asyncio
import contextlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

ARGON2_MEMORY_KIB = 19_456

# cgroup v2, then v1: the limit a container runs under, if any.
_CGROUP_MEMORY_LIMITS = (
    Path("/sys/fs/cgroup/memory.max"),
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
)


class HashingBusy(Exception):
    """Every hashing slot is taken and the waiting line is full."""


def _memory_bytes() -> int:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in _CGROUP_MEMORY_LIMITS:
        try:
            limit = path.read_text().strip()
        except OSError:
            continue
        if limit.isdigit():
            # "No limit" reads as "max" (v2) or as a huge number (v1).
            return min(int(limit), physical)
    return physical


def default_hash_concurrency() -> int:
    """Hashes at once: no more than there are cores, and no more than a quarter of memory."""
    by_memory = _memory_bytes() // 4 // (ARGON2_MEMORY_KIB * 1024)
    return max(1, min(os.process_cpu_count() or 1, by_memory))


class HashingBudget:
    def __init__(self, concurrency: int, max_waiting: int) -> None:
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix="password-hash")
        self._slots = asyncio.Semaphore(concurrency)
        self._admitted = 0
        self._capacity = concurrency + max_waiting

    async def run[T](self, function: Callable[..., T], *args: object) -> T:
        """function(*args) in a hashing thread; HashingBusy when the budget is spent."""
        if self._admitted >= self._capacity:
            raise HashingBusy
        self._admitted += 1
        try:
            await self._slots.acquire()
        except BaseException:
            self._admitted -= 1
            raise
        loop = asyncio.get_running_loop()
        future: Future[T] = self._executor.submit(function, *args)

        def release() -> None:
            self._admitted -= 1
            self._slots.release()

        def done(_: Future[T]) -> None:
            # The slot frees when the hash is done, not when its caller stops waiting: a request
            # that timed out must not hand a slot on while its thread is still busy.
            with contextlib.suppress(RuntimeError):  # the loop is closed: shutting down
                loop.call_soon_threadsafe(release)

        future.add_done_callback(done)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
