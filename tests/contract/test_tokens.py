"""Forged and misused tokens are refused with 401 + WWW-Authenticate: Bearer.

The suite knows nothing of the server's secret: attacks are built from a genuine token (whose
claims anyone can read) and from a key the server never saw.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

import pytest

from .client import Account, ApiClient

pytestmark = [pytest.mark.contract, pytest.mark.tenancy_independent]

ME = "/api/v1/users/me"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: dict) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def sign_hs256(header: dict, claims: dict, key: bytes) -> str:
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


@pytest.fixture
def account(api: ApiClient) -> Account:
    return api.new_account("tokens")


def assert_refused(api: ApiClient, authorization: str) -> None:
    response = api.get(ME, headers={"Authorization": authorization})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].lower().startswith("bearer")


def test_a_genuine_access_token_works(api: ApiClient, account: Account) -> None:
    assert api.get(ME, headers=account.auth).status_code == 200


def test_the_access_token_carries_the_documented_claims(account: Account) -> None:
    claims = claims_of(account.access_token)

    assert {"iss", "aud", "sub", "exp", "iat", "jti", "typ"} <= claims.keys()
    assert claims["sub"] == account.id
    assert claims["typ"] == "access"
    assert claims["exp"] > claims["iat"]


def test_missing_authorization_is_401(api: ApiClient) -> None:
    response = api.get(ME)
    assert response.status_code == 401


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer", id="empty-bearer"),
        pytest.param("Bearer garbage", id="garbage"),
        pytest.param("Bearer a.b.c", id="three-garbage-segments"),
        pytest.param("Bearer " + "x" * 5000, id="huge"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
    ],
)
def test_malformed_credentials_are_401(api: ApiClient, authorization: str) -> None:
    assert_refused(api, authorization)


def test_alg_none_is_refused(api: ApiClient, account: Account) -> None:
    claims = claims_of(account.access_token)
    for alg in ("none", "None", "NONE"):
        forged = f"{b64url_json({'alg': alg, 'typ': 'JWT'})}.{b64url_json(claims)}."
        assert_refused(api, f"Bearer {forged}")


def test_a_token_signed_with_another_key_is_refused(api: ApiClient, account: Account) -> None:
    forged = sign_hs256(
        {"alg": "HS256", "typ": "JWT"}, claims_of(account.access_token), secrets.token_bytes(32)
    )
    assert_refused(api, f"Bearer {forged}")


def test_tampered_claims_break_the_signature(api: ApiClient, account: Account) -> None:
    other = api.new_account("victim")
    header, _, signature = account.access_token.split(".")
    claims = claims_of(account.access_token) | {"sub": other.id}

    assert_refused(api, f"Bearer {header}.{b64url_json(claims)}.{signature}")


def test_the_algorithm_comes_from_the_server_not_the_header(
    api: ApiClient, account: Account
) -> None:
    _, payload, signature = account.access_token.split(".")
    for alg in ("HS384", "HS512", "RS256"):
        assert_refused(
            api, f"Bearer {b64url_json({'alg': alg, 'typ': 'JWT'})}.{payload}.{signature}"
        )


def test_a_refresh_token_is_not_an_access_token(api: ApiClient, account: Account) -> None:
    assert_refused(api, f"Bearer {account.refresh_token}")


def test_an_access_token_is_not_a_refresh_token(api: ApiClient, account: Account) -> None:
    assert api.refresh(account.access_token).status_code == 401
