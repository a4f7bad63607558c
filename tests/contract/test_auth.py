"""Registration, login, refresh-token rotation with reuse detection, logout, /users/me."""

from __future__ import annotations

import pytest

from .client import PASSWORD, ApiClient, unique_email

pytestmark = [pytest.mark.contract, pytest.mark.tenancy_independent]


def pointers(response) -> set[str]:
    return {error["pointer"] for error in response.json().get("errors", [])}


# ---------------------------------------------------------------------------- register
def test_register_returns_the_new_user(api: ApiClient) -> None:
    email = unique_email("register")

    response = api.register(email, full_name="Ada Lovelace")

    assert response.status_code == 201
    user = response.json()
    assert user["email"] == email
    assert user["full_name"] == "Ada Lovelace"


def test_register_without_full_name_stores_null(api: ApiClient) -> None:
    response = api.post(
        "/api/v1/auth/register", json={"email": unique_email("noname"), "password": PASSWORD}
    )

    assert response.status_code == 201
    assert response.json()["full_name"] is None


def test_register_duplicate_email_is_409(api: ApiClient) -> None:
    email = unique_email("dup")
    assert api.register(email).status_code == 201

    response = api.register(email, password="another password entirely")

    assert response.status_code == 409


def test_emails_are_case_insensitive(api: ApiClient) -> None:
    email = unique_email("case")
    assert api.register(email).status_code == 201

    assert api.register(email.upper()).status_code == 409
    assert api.login(email.upper()).status_code == 200


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        pytest.param("x" * 11, False, id="11-chars"),
        pytest.param("x" * 12, True, id="12-chars"),
        pytest.param("x" * 1024, True, id="1024-chars"),
        pytest.param("x" * 1025, False, id="1025-chars"),
    ],
)
def test_register_password_length_bounds(api: ApiClient, password: str, accepted: bool) -> None:
    response = api.register(unique_email("pw"), password=password)

    if accepted:
        assert response.status_code == 201
    else:
        assert response.status_code == 422
        assert "/body/password" in pointers(response)


VALID = {"email": "valid@example.com", "password": PASSWORD}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"password": PASSWORD}, id="no-email"),
        pytest.param(VALID | {"email": "not-an-email"}, id="bad-email"),
        pytest.param({"email": VALID["email"]}, id="no-password"),
        pytest.param(VALID | {"password": 123456789012345}, id="password-not-string"),
        pytest.param(VALID | {"full_name": "x" * 201}, id="long-name"),
        pytest.param(VALID | {"is_admin": True}, id="unknown-field"),
    ],
)
def test_register_rejects_invalid_bodies(api: ApiClient, body: dict) -> None:
    response = api.post("/api/v1/auth/register", json=body)

    assert response.status_code == 422
    assert response.json()["errors"], "a validation problem lists what is wrong"


# ---------------------------------------------------------------------------- login
def test_login_returns_a_bearer_token_pair(api: ApiClient) -> None:
    email = unique_email("login")
    api.register(email)

    response = api.login(email)

    assert response.status_code == 200
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] > 0
    assert tokens["access_token"] != tokens["refresh_token"]
    me = api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200


def test_login_failure_does_not_reveal_whether_the_email_exists(api: ApiClient) -> None:
    email = unique_email("known")
    api.register(email)

    wrong_password = api.login(email, password="definitely not the password")
    unknown_email = api.login(unique_email("unknown"))

    assert wrong_password.status_code == unknown_email.status_code == 401
    comparable = ("type", "title", "status", "detail", "instance")
    assert {k: wrong_password.json()[k] for k in comparable} == {
        k: unknown_email.json()[k] for k in comparable
    }
    assert wrong_password.headers["www-authenticate"] == unknown_email.headers["www-authenticate"]


# ---------------------------------------------------------------------------- refresh
def test_refresh_rotates_the_pair_and_retires_the_old_token(api: ApiClient) -> None:
    account = api.new_account("rotate")

    rotated = api.refresh(account.refresh_token)

    assert rotated.status_code == 200
    pair = rotated.json()
    assert pair["refresh_token"] != account.refresh_token
    assert (
        api.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
        ).status_code
        == 200
    )
    assert api.refresh(account.refresh_token).status_code == 401


def test_reusing_a_rotated_token_revokes_the_whole_family(api: ApiClient) -> None:
    account = api.new_account("reuse")
    second = api.refresh(account.refresh_token).json()["refresh_token"]
    third = api.refresh(second).json()["refresh_token"]

    assert api.refresh(account.refresh_token).status_code == 401  # reuse of a rotated token

    assert api.refresh(third).status_code == 401, "the newest token of the family is revoked too"


def test_reuse_in_one_family_leaves_other_sessions_alone(api: ApiClient) -> None:
    account = api.new_account("families")
    other_session = api.login(account.email).json()["refresh_token"]
    api.refresh(account.refresh_token)

    assert api.refresh(account.refresh_token).status_code == 401

    assert api.refresh(other_session).status_code == 200


@pytest.mark.parametrize(
    "token", ["unknown-refresh-token", "x" * 512], ids=["unknown", "max-length"]
)
def test_refresh_with_an_unknown_token_is_401(api: ApiClient, token: str) -> None:
    assert api.refresh(token).status_code == 401


def test_refresh_rejects_an_empty_token(api: ApiClient) -> None:
    response = api.refresh("")

    assert response.status_code == 422
    assert "/body/refresh_token" in pointers(response)


# ---------------------------------------------------------------------------- logout
def test_logout_revokes_the_refresh_token(api: ApiClient) -> None:
    account = api.new_account("logout")

    response = api.logout(account.refresh_token)

    assert response.status_code == 204
    assert response.content == b""
    assert api.refresh(account.refresh_token).status_code == 401


def test_logout_of_an_unknown_token_is_still_204(api: ApiClient) -> None:
    assert api.logout("never-issued-token").status_code == 204


# ---------------------------------------------------------------------------- users/me
def test_me_returns_the_authenticated_user(api: ApiClient) -> None:
    account = api.new_account("me", full_name="Grace Hopper")

    response = api.get("/api/v1/users/me", headers=account.auth)

    assert response.status_code == 200
    assert response.json()["id"] == account.id
    assert response.json()["email"] == account.email
    assert response.json()["full_name"] == "Grace Hopper"


def test_me_without_credentials_is_401(api: ApiClient) -> None:
    response = api.get("/api/v1/users/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"].lower().startswith("bearer")
