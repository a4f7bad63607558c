"""UUIDv7 (RFC 9562): time-ordered ids, so new rows land at the end of the primary-key index.

Python 3.13's uuid module has no uuid7 yet.
"""

import os
import re
import threading
import time
from typing import Annotated
from uuid import UUID

from pydantic import BeforeValidator

_RANDOM_BITS = 74  # rand_a (12 bits) and rand_b (62 bits) side by side
_RAND_B_BITS = 62


class _Generator:
    """Strictly increasing within the process: ids created in the same millisecond still sort
    in creation order (RFC 9562 §6.2, method 2 with the whole random part as the counter)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self) -> UUID:
        with self._lock:
            timestamp_ms = time.time_ns() // 1_000_000
            random = int.from_bytes(os.urandom(10)) >> (80 - _RANDOM_BITS)
            packed = max((timestamp_ms << _RANDOM_BITS) | random, self._last + 1)
            self._last = packed
        timestamp_ms, random = packed >> _RANDOM_BITS, packed & ((1 << _RANDOM_BITS) - 1)
        rand_a, rand_b = random >> _RAND_B_BITS, random & ((1 << _RAND_B_BITS) - 1)
        return UUID(int=timestamp_ms << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b)


uuid7 = _Generator()


# The one spelling of a UUID this API accepts (either letter case). Python and pydantic also
# read "{...}", "urn:uuid:..." and 32 bare hex digits; accepting those would make one resource
# answer to several URLs, and the Go flavour refuses them.
_CANONICAL = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def parse_canonical_uuid(value: str) -> UUID | None:
    return UUID(value) if _CANONICAL.fullmatch(value) else None


def _canonical(value: object) -> object:
    if isinstance(value, str) and not _CANONICAL.fullmatch(value):
        msg = "Must be a UUID in its canonical form (8-4-4-4-12 hexadecimal digits)."
        raise ValueError(msg)
    return value


CanonicalUUID = Annotated[UUID, BeforeValidator(_canonical)]
"""A UUID path or body field that accepts only the canonical 8-4-4-4-12 form."""
