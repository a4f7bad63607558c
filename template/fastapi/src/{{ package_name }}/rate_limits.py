"""Rate limits of the endpoints anyone can call (register, login, refresh), per client address
and per account, with the `limits` library.

A moving window, so a client cannot double its rate at a window boundary. The storage is this
process's memory by default; with several replicas (or WEB_CONCURRENCY > 1) each keeps its own
count unless RATE_LIMIT_STORAGE names a shared one, such as redis://host:6379.
"""

import ipaddress
import math
import time
from collections.abc import Sequence

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.types import Scope

from .config import Network, Settings
from .errors import ServiceUnavailable, TooManyRequests

_ADDRESS = "address"
_ACCOUNT = "account"
_REFRESH = "refresh"


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        uri = settings.rate_limit_storage
        # The asynchronous variant of the storage the URI names.
        storage = storage_from_string(
            uri if uri.startswith("async+") else f"async+{uri}",
            # Any storage failure (a shared store that is down) as one exception: see _hit.
            wrap_exceptions=True,
        )
        self._limiter = MovingWindowRateLimiter(storage)
        self._per_address = parse(settings.rate_limit_per_address)
        self._per_account = parse(settings.rate_limit_per_account)
        self._trusted_proxies = settings.trusted_proxies

    async def check_address(self, scope: Scope) -> None:
        """Count a request against its client address (one budget for the three endpoints)."""
        await self._hit(self._per_address, _ADDRESS, client_address(scope, self._trusted_proxies))

    async def check_account(self, email: str) -> None:
        """Count a login or registration against the account's (normalised) email address."""
        await self._hit(self._per_account, _ACCOUNT, email.lower())

    async def check_refresh_token(self, token_hash: str) -> None:
        await self._hit(self._per_account, _REFRESH, token_hash)

    async def _hit(self, limit: RateLimitItem, *identifiers: str) -> None:
        try:
            if await self._limiter.hit(limit, *identifiers):
                return
            stats = await self._limiter.get_window_stats(limit, *identifiers)
        except StorageError:
            # Closed, not open: without its counts the service cannot tell a flood from a user.
            raise ServiceUnavailable(
                "The rate limiter cannot be reached; retry in a moment."
            ) from None
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise TooManyRequests(
            "Too many attempts; retry after the number of seconds in Retry-After.",
            headers={"Retry-After": str(retry_after)},
        )


def client_address(scope: Scope, trusted_proxies: Sequence[Network]) -> str:
    """The address of the client: the peer, unless the peer is a trusted proxy; then the
    right-most X-Forwarded-For entry that is not a trusted proxy.

    Entries left of the first untrusted one were written by the client and prove nothing.
    """
    peer = scope.get("client")
    address = peer[0] if peer else ""
    if not _is_trusted(address, trusted_proxies):
        return address
    hops = [
        hop.strip()
        for header in Headers(scope=scope).getlist("x-forwarded-for")
        for hop in header.split(",")
    ]
    for hop in reversed(hops):
        if not _is_address(hop):
            break  # not something a proxy writes: the last trusted hop is all we know
        if not _is_trusted(hop, trusted_proxies):
            return hop
        address = hop
    return address


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted_proxies: Sequence[Network]) -> bool:
    if not trusted_proxies or not _is_address(address):
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in trusted_proxies)
