from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..db import DuplicateError
from ..errors import Conflict, Unauthorized
from ..ids import uuid7
from . import passwords, repository, tokens
from .models import RefreshToken, User
from .schemas import RegisterRequest, TokenPair

USER_GONE = "The user of this access token no longer exists."


async def register(session: AsyncSession, payload: RegisterRequest) -> User:
    user = User(
        email=payload.email.lower(),
        password_hash=await passwords.hash_password(payload.password),
        full_name=payload.full_name,
    )
    try:
        await repository.add_user(session, user)
    except DuplicateError:
        raise Conflict("A user with this email address already exists.") from None
    return user


async def login(session: AsyncSession, settings: Settings, email: str, password: str) -> TokenPair:
    user = await repository.find_user_by_email(session, email.lower())
    # Unknown email or wrong password: the same answer after the same amount of work.
    password_hash = user.password_hash if user else passwords.UNKNOWN_USER_HASH
    if not await passwords.verify_password(password_hash, password) or user is None:
        raise Unauthorized("The email address or the password is wrong.")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash_password(password)
    return await _issue_tokens(session, settings, user.id, family_id=uuid7())


async def refresh(session: AsyncSession, settings: Settings, refresh_token: str) -> TokenPair:
    token_hash = tokens.hash_refresh_token(refresh_token)
    current = await repository.use_refresh_token(session, token_hash)
    if current is None:
        known = await repository.find_refresh_token(session, token_hash)
        if known is not None and (known.used_at is not None or known.revoked_at is not None):
            # A rotated or revoked token came back: someone else may hold its family. End the
            # whole family, and commit now, because the 401 below rolls the request back.
            await repository.revoke_family(session, known.family_id)
            await session.commit()
        raise Unauthorized("The refresh token is invalid, expired or revoked.")
    return await _issue_tokens(session, settings, current.user_id, family_id=current.family_id)


async def logout(session: AsyncSession, refresh_token: str) -> None:
    """End the session the refresh token belongs to; unknown tokens are ignored."""
    known = await repository.find_refresh_token(session, tokens.hash_refresh_token(refresh_token))
    if known is not None:
        await repository.revoke_family(session, known.family_id)


async def authenticated_user(session: AsyncSession, user_id: UUID) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise Unauthorized(USER_GONE)
    return user


async def _issue_tokens(
    session: AsyncSession, settings: Settings, user_id: UUID, *, family_id: UUID
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
