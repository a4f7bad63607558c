from typing import Annotated, Literal

from pydantic import EmailStr, Field

from ..schemas import RequestBody, ResponseBody

Password = Annotated[str, Field(min_length=12, max_length=1024)]


class RegisterRequest(RequestBody):
    email: EmailStr
    password: Password
    full_name: Annotated[str | None, Field(max_length=200)] = None


class LoginRequest(RequestBody):
    email: EmailStr
    # Only the registration rules are strict: a login with a short password simply fails.
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class RefreshTokenRequest(RequestBody):
    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class TokenPair(ResponseBody):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth 2 token type, no secret
    expires_in: int
