"""Password hashing with argon2id (OWASP's minimum: m=19 MiB, t=2, p=1).

Every hash runs through the hashing budget (see budget.py): in a thread of its own, bounded in
number, never while the caller holds a database connection.
"""

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from .budget import ARGON2_MEMORY_KIB, HashingBudget

_hasher = PasswordHasher(time_cost=2, memory_cost=ARGON2_MEMORY_KIB, parallelism=1, type=Type.ID)

# A hash of a random, forgotten password: nothing verifies against it. Checking a login for an
# unknown email against it costs what a wrong password costs, so timing reveals no emails.
UNKNOWN_USER_HASH = (
    "$argon2id$v=19$m=19456,t=2,p=1$"
    "lX2dR4YKJcA5q8yR1VTtqw$v40m4HU2dphJJXrFTPekLZn7U98zXyHEuirmvt8DR7k"
)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(budget: HashingBudget, password: str) -> str:
    return await budget.run(_hasher.hash, password)


async def verify_password(budget: HashingBudget, password_hash: str, password: str) -> bool:
    return await budget.run(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(password_hash)
