"""Registration, login and the refresh token lifecycle.

Password hashing is slow on purpose, so it never runs inside a transaction or while this request
holds a pooled connection: a login flood must not starve everyone else of connections.
"""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..db import Database
from ..errors import Conflict, Unauthorized
from ..ids import uuid7
from ..rate_limits import RateLimits
from . import passwords, repository, tokens
from .budget import HashingBudget
from .models import RefreshToken, User
from .schemas import RegisterRequest, TokenPair

USER_GONE = "The user of this access token no longer exists."
_BAD_CREDENTIALS = "The email address or the password is wrong."
_REFRESH_REFUSED = "The refresh token is invalid, expired or revoked."


async def register(
    database: Database, budget: HashingBudget, limits: RateLimits, payload: RegisterRequest
) -> User:
    email = payload.email.lower()
    await limits.check_account(email)
    password_hash = await passwords.hash_password(budget, payload.password)
    async with database.sessions.begin() as session:
        user = await repository.insert_user(
            session, email=email, password_hash=password_hash, full_name=payload.full_name
        )
    if user is None:
        raise Conflict("A user with this email address already exists.")
    return user


async def login(
    database: Database,
    budget: HashingBudget,
    limits: RateLimits,
    settings: Settings,
    email: str,
    password: str,
) -> TokenPair:
    email = email.lower()
    await limits.check_account(email)
    async with database.sessions() as session:
        user = await repository.find_user_by_email(session, email)
    # Unknown email or wrong password: the same answer after the same amount of work.
    password_hash = user.password_hash if user else passwords.UNKNOWN_USER_HASH
    if not await passwords.verify_password(budget, password_hash, password) or user is None:
        raise Unauthorized(_BAD_CREDENTIALS)
    rehashed = None
    if passwords.needs_rehash(user.password_hash):
        rehashed = await passwords.hash_password(budget, password)
    async with database.sessions.begin() as session:
        if rehashed is not None:
            await repository.set_password_hash(session, user.id, rehashed)
        return await _issue_tokens(session, settings, user.id, family_id=uuid7())


async def refresh(
    database: Database, limits: RateLimits, settings: Settings, refresh_token: str
) -> TokenPair:
    """A new pair for a live refresh token, which is used up by it.

    A rotated token presented again means two clients hold the family, one perhaps a thief, so
    the family is revoked. One exception: the token rotated within the grace window, while the
    token that replaced it is still unused, is the loser of a benign race (two tabs refreshing
    at once). It gets a 401 but the family lives on, so the winner's new pair keeps working.
    """
    token_hash = tokens.hash_refresh_token(refresh_token)
    await limits.check_refresh_token(token_hash)
    # One transaction, committed also when the answer is 401: a revocation must stick.
    async with database.sessions.begin() as session:
        presented = await repository.lock_family(session, token_hash)
        # The time of the decision, after waiting for the lock: a concurrent winner's rotation
        # is then never "in the future".
        now = datetime.now(UTC)
        pair = await _use(session, settings, presented, now) if presented else None
    if pair is None:
        raise Unauthorized(_REFRESH_REFUSED)
    return pair


async def logout(database: Database, refresh_token: str) -> None:
    """End the session the refresh token belongs to; unknown tokens are ignored."""
    async with database.sessions.begin() as session:
        known = await repository.lock_family(session, tokens.hash_refresh_token(refresh_token))
        if known is not None:
            await repository.revoke_family(session, known.family_id)


async def authenticated_user(session: AsyncSession, user_id: UUID) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise Unauthorized(USER_GONE)
    return user


async def _use(
    session: AsyncSession, settings: Settings, presented: RefreshToken, now: datetime
) -> TokenPair | None:
    """Rotate a live token; for a token used or revoked before, revoke its family unless the
    grace applies. None means 401."""
    if presented.used_at is None and presented.revoked_at is None:
        if presented.expires_at <= now:
            return None  # expired: refused, and it ends nothing
        presented.used_at = now
        return await _issue_tokens(
            session, settings, presented.user_id, family_id=presented.family_id
        )
    if not await _within_grace(session, settings, presented, now):
        await repository.revoke_family(session, presented.family_id)
    return None


async def _within_grace(
    session: AsyncSession, settings: Settings, presented: RefreshToken, now: datetime
) -> bool:
    grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)
    return (
        settings.refresh_reuse_grace_seconds > 0
        and presented.revoked_at is None
        and presented.used_at is not None
        and presented.used_at > now - grace
        and await repository.replaced_by_live_token(session, presented, now)
    )


async def _issue_tokens(
    session: AsyncSession,
    settings: Settings,
    user_id: UUID,
    *,
    family_id: UUID,
) -> TokenPair:
    refresh_token = tokens.new_refresh_token()
    await repository.add_refresh_token(
        session,
        RefreshToken(
            user_id=user_id,
            family_id=family_id,
            token_hash=tokens.hash_refresh_token(refresh_token),
            expires_at=datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_seconds),
        ),
    )
    return TokenPair(
        access_token=tokens.issue_access_token(settings, user_id),
        refresh_token=refresh_token,
        expires_in=settings.access_token_ttl_seconds,
    )
