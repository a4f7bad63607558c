from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from .models import RefreshToken, User


async def get_user(session: AsyncSession, user_id: UUID) -> User | None:
    return await session.get(User, user_id)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def insert_user(
    session: AsyncSession, *, email: str, password_hash: str, full_name: str | None
) -> User | None:
    """The new user; None when the email is taken.

    ON CONFLICT rather than a caught unique violation: a taken email is an everyday answer, not
    a database error for the server log (whose detail would repeat the email).
    """
    return await session.scalar(
        insert(User)
        .values(email=email, password_hash=password_hash, full_name=full_name)
        .on_conflict_do_nothing(index_elements=[User.email])
        .returning(User)
    )


async def set_password_hash(session: AsyncSession, user_id: UUID, password_hash: str) -> None:
    await session.execute(
        update(User).where(User.id == user_id).values(password_hash=password_hash)
    )


async def add_refresh_token(session: AsyncSession, token: RefreshToken) -> None:
    session.add(token)
    await session.flush()


async def lock_family(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """The token with this hash, locked, after locking its family; None if it is unknown.

    Every change to a family starts by locking the family's first token, so two requests that
    present different tokens of one family (a reuse and a rotation, two reuses, a logout) take
    their locks in the same order and cannot deadlock. The presented token's own lock then
    makes concurrent presentations of one token decide one after another.
    """
    family = select(RefreshToken.family_id).where(RefreshToken.token_hash == token_hash)
    first = (
        select(RefreshToken.id)
        .where(RefreshToken.family_id == family.scalar_subquery())
        .order_by(RefreshToken.id)
        .limit(1)
    )
    await session.execute(
        select(RefreshToken.id).where(RefreshToken.id == first.scalar_subquery()).with_for_update()
    )
    return await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    )


async def replaced_by_live_token(session: AsyncSession, token: RefreshToken, now: datetime) -> bool:
    """Whether the token that replaced this one is the family's live token, still unused.

    No column links a token to its successor; none is needed. Callers hold the family lock, so
    a family rotates one token at a time and its live token replaced the token used last.
    """
    used_last = (
        select(RefreshToken.id)
        .where(RefreshToken.family_id == token.family_id, RefreshToken.used_at.is_not(None))
        .order_by(RefreshToken.used_at.desc(), RefreshToken.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    live = exists().where(
        RefreshToken.family_id == token.family_id,
        RefreshToken.used_at.is_(None),
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > now,
    )
    return bool(await session.scalar(select(and_(used_last == token.id, live))))


async def revoke_family(session: AsyncSession, family_id: UUID) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
