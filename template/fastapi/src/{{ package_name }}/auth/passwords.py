"""Password hashing with argon2id (OWASP's minimum: m=19 MiB, t=2, p=1).

Hashing costs tens of milliseconds of CPU on purpose, so it runs in a worker thread and never
blocks the event loop.
"""

import asyncio

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, type=Type.ID)

# A hash of a random, forgotten password: nothing verifies against it. Checking a login for an
# unknown email against it costs what a wrong password costs, so timing reveals no emails.
UNKNOWN_USER_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$"
    "lX2dR4YKJcA5q8yR1VTtqw$v40m4HU2dphJJXrFTPekLZn7U98zXyHEuirmvt8DR7k"
)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(_hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(password_hash)
