"""Access tokens (short-lived JWTs) and refresh tokens (opaque, stored only as hashes)."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from ..config import Settings
from ..errors import Unauthorized
from ..ids import uuid7

ALGORITHM = "HS256"
ACCESS_TYP = "access"
_REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti", "typ"]


def issue_access_token(settings: Settings, user_id: UUID) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user_id),
        "iat": now,
        "exp": now + timedelta(seconds=settings.access_token_ttl_seconds),
        "jti": str(uuid7()),
        "typ": ACCESS_TYP,
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm=ALGORITHM)


def verify_access_token(settings: Settings, token: str) -> UUID:
    """The user id of a valid access token; Unauthorized for anything else.

    The algorithm is pinned (never taken from the token header), every claim is required, and a
    token of another type (such as a refresh token in JWT form) is refused.
    """
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": _REQUIRED_CLAIMS},
        )
        user_id = UUID(claims["sub"])
    except (jwt.InvalidTokenError, ValueError) as error:
        raise Unauthorized("The access token is invalid or has expired.") from error
    if claims["typ"] != ACCESS_TYP:
        raise Unauthorized("The token is not an access token.")
    return user_id


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    # A fast hash is enough: the token is 256 random bits, not a guessable password.
    return hashlib.sha256(token.encode()).hexdigest()
