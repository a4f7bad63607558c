"""Registration, login, refresh-token rotation and logout."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import PASSWORD, Api, expect
from .database import execute

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": refresh_token})


async def test_register_returns_the_user_with_a_lower_cased_email(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        REGISTER, json={"email": "Ada@Example.COM", "password": PASSWORD, "full_name": "Ada"}
    )

    user = expect(response, 201)
    assert user["email"] == "ada@example.com"
    assert user["full_name"] == "Ada"
    assert PASSWORD not in response.text


async def test_an_email_registers_only_once_whatever_its_case(client: httpx.AsyncClient) -> None:
    expect(
        await client.post(REGISTER, json={"email": "ada@example.com", "password": PASSWORD}), 201
    )

    response = await client.post(REGISTER, json={"email": "ADA@example.com", "password": PASSWORD})

    assert expect(response, 409)["detail"]


@pytest.mark.parametrize(
    ("password", "reason"),
    [("a" * 11, "under 12 characters"), ("a" * 1025, "over 1024 characters")],
)
async def test_register_rejects_a_password_of_the_wrong_length(
    client: httpx.AsyncClient, password: str, reason: str
) -> None:
    response = await client.post(REGISTER, json={"email": "ada@example.com", "password": password})

    errors = expect(response, 422)["errors"]
    assert [error["pointer"] for error in errors] == ["/body/password"], reason


async def test_register_rejects_unknown_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(
        REGISTER, json={"email": "ada@example.com", "password": PASSWORD, "is_admin": True}
    )

    errors = expect(response, 422)["errors"]
    assert "/body/is_admin" in [error["pointer"] for error in errors]


async def test_login_returns_a_token_pair_that_authenticates(api: Api) -> None:
    email = await api.register("ada")

    tokens = await api.login(email)

    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 900
    me = expect(await api.client.get(ME, headers=bearer(tokens["access_token"])), 200)
    assert me["email"] == email


async def test_login_accepts_the_email_in_any_case(api: Api) -> None:
    email = await api.register("ada")

    tokens = await api.login(email.upper())

    assert tokens["access_token"]


async def test_login_does_not_reveal_whether_an_email_is_registered(api: Api) -> None:
    email = await api.register("ada")

    wrong_password = await api.client.post(
        LOGIN, json={"email": email, "password": "not the password"}
    )
    unknown_email = await api.client.post(
        LOGIN, json={"email": "nobody@example.com", "password": PASSWORD}
    )

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert expect(wrong_password, 401)["detail"] == expect(unknown_email, 401)["detail"]
    assert wrong_password.headers["WWW-Authenticate"] == "Bearer"


async def test_users_me_requires_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(ME)

    expect(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


async def test_refresh_rotates_the_token(api: Api) -> None:
    first = await api.login(await api.register("ada"))

    second = expect(await refresh(api.client, first["refresh_token"]), 200)

    assert second["refresh_token"] != first["refresh_token"]
    expect(await api.client.get(ME, headers=bearer(second["access_token"])), 200)
    expect(await refresh(api.client, first["refresh_token"]), 401)


async def test_an_expired_refresh_token_is_refused(api: Api, superuser_db: AsyncEngine) -> None:
    tokens = await api.login(await api.register("ada"))
    await execute(
        superuser_db, "UPDATE refresh_tokens SET expires_at = now() - interval '1 second'"
    )

    expect(await refresh(api.client, tokens["refresh_token"]), 401)


async def test_an_unknown_refresh_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await refresh(client, "not-a-token-we-issued")

    expect(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_logout_revokes_the_refresh_token(api: Api) -> None:
    tokens = await api.login(await api.register("ada"))

    expect(await api.client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]}), 204)

    expect(await refresh(api.client, tokens["refresh_token"]), 401)


async def test_logout_of_an_unknown_or_revoked_token_still_succeeds(api: Api) -> None:
    tokens = await api.login(await api.register("ada"))
    expect(await api.client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]}), 204)

    again = await api.client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]})
    unknown = await api.client.post(LOGOUT, json={"refresh_token": "never-issued"})

    assert again.status_code == unknown.status_code == 204


async def test_refresh_tokens_are_stored_only_as_hashes(
    api: Api, superuser_db: AsyncEngine
) -> None:
    tokens = await api.login(await api.register("ada"))

    async with superuser_db.connect() as conn:
        dump = str((await conn.exec_driver_sql("SELECT * FROM refresh_tokens")).all())

    assert tokens["refresh_token"] not in dump
