"""Access-token verification, password storage, and what error responses must never reveal."""

import base64
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import PASSWORD, Account, Api, Team, client_for, expect
from .database import ThrowawayDatabase, execute, scalar, tenant_rows, tenant_table

ME = "/api/v1/users/me"
WRONG_SECRET = "another-secret-that-is-long-enough-for-hs256"

# What a database error, a constraint or a stack trace would leave in a response body.
INTERNALS = re.compile(
    r"traceback|\.py\b|sqlalchemy|asyncpg|psycopg|integrityerror|duplicate key|violates"
    r"|constraint|\b(uq|pk|fk|ck|ix)_\w+|select\s|insert\s+into|update\s+\w+\s+set"
    r"|delete\s+from|permission denied|relation\s",
    re.IGNORECASE,
)


def b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
async def account(api: Api) -> Account:
    return await api.sign_up("ada")


@pytest.fixture
def forge(app: FastAPI, account: Account) -> Callable[..., str]:
    """Mint an access token for `account`: valid unless the arguments spoil it.

    Claims given as None are left out; `secret` and `algorithm` change the signature.
    """
    settings = app.state.settings

    def mint(*, secret: str | None = None, algorithm: str = "HS256", **claims: object) -> str:
        now = datetime.now(UTC)
        payload = {
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "sub": account.id,
            "iat": now,
            "exp": now + timedelta(minutes=5),
            "jti": str(uuid.uuid4()),
            "typ": "access",
        } | claims
        payload = {name: value for name, value in payload.items() if value is not None}
        key = secret or settings.jwt_secret.get_secret_value()
        return jwt.encode(payload, key, algorithm=algorithm)

    return mint


async def test_a_correctly_forged_token_is_accepted(
    client: httpx.AsyncClient, forge: Callable[..., str]
) -> None:
    # The control for the cases below: each spoils exactly one thing of this token.
    expect(await client.get(ME, headers={"Authorization": f"Bearer {forge()}"}), 200)


@pytest.mark.parametrize(
    "spoil",
    [
        {"secret": WRONG_SECRET},
        {"algorithm": "HS512"},
        {"exp": datetime.now(UTC) - timedelta(seconds=5)},
        {"exp": None},
        {"aud": "another-api"},
        {"aud": None},
        {"iss": "someone-else"},
        {"iss": None},
        {"sub": None},
        {"sub": "not-a-uuid"},
        {"sub": str(uuid.uuid4())},
        {"typ": "refresh"},
        {"typ": None},
        {"iat": None},
        {"jti": None},
    ],
    ids=[
        "wrong signature",
        "algorithm not pinned",
        "expired",
        "no exp",
        "wrong aud",
        "no aud",
        "wrong iss",
        "no iss",
        "no sub",
        "sub not a user id",
        "sub of no user",
        "typ refresh",
        "no typ",
        "no iat",
        "no jti",
    ],
)
async def test_an_invalid_access_token_is_refused(
    client: httpx.AsyncClient, forge: Callable[..., str], spoil: dict[str, Any]
) -> None:
    response = await client.get(ME, headers={"Authorization": f"Bearer {forge(**spoil)}"})

    assert_unauthorized(response)


async def test_an_unsigned_token_is_refused(
    client: httpx.AsyncClient, forge: Callable[..., str]
) -> None:
    _, payload, _ = forge().split(".")
    unsigned = f"{b64url({'alg': 'none', 'typ': 'JWT'})}.{payload}."

    assert_unauthorized(await client.get(ME, headers={"Authorization": f"Bearer {unsigned}"}))


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer not.a.jwt", "Basic YWRhOnNlY3JldA==", "bearer"],
)
async def test_a_malformed_authorization_header_is_refused(
    client: httpx.AsyncClient, authorization: str
) -> None:
    assert_unauthorized(await client.get(ME, headers={"Authorization": authorization}))


async def test_a_refresh_token_is_not_an_access_token(
    client: httpx.AsyncClient, account: Account
) -> None:
    response = await client.get(ME, headers={"Authorization": f"Bearer {account.refresh_token}"})

    assert_unauthorized(response)


def assert_unauthorized(response: httpx.Response) -> None:
    problem = expect(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["status"] == 401


async def test_passwords_are_stored_as_argon2id_with_owasp_parameters(
    api: Api, superuser_db: AsyncEngine
) -> None:
    await api.register("ada")

    stored: str = await scalar(superuser_db, "SELECT password_hash FROM users")

    match = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+", stored)
    assert match, f"not an argon2id hash: {stored[:20]}..."
    memory_kib, iterations, parallelism = map(int, match.groups())
    assert memory_kib >= 19_456
    assert iterations >= 2
    assert parallelism >= 1
    assert PASSWORD not in stored


async def test_conflicts_reveal_no_database_internals(api: Api, team: Team) -> None:
    client, owner = api.client, team.owner
    tenant = expect(await client.get(f"/api/v1/tenants/{team.tenant_id}", headers=owner.auth), 200)
    await api.create_project(owner, team.tenant_id, name="Apollo")

    conflicts = [
        await client.post(
            "/api/v1/auth/register", json={"email": team.member.email, "password": PASSWORD}
        ),
        await client.post(
            "/api/v1/tenants", headers=owner.auth, json={"name": "Copy", "slug": tenant["slug"]}
        ),
        await client.post(
            f"/api/v1/tenants/{team.tenant_id}/members",
            headers=owner.auth,
            json={"email": team.member.email, "role": "member"},
        ),
        await client.post(
            "/api/v1/projects", headers=owner.in_tenant(team.tenant_id), json={"name": "Apollo"}
        ),
    ]

    for response in conflicts:
        expect(response, 409)
        assert not INTERNALS.search(response.text), response.text


async def test_an_unexpected_error_reveals_nothing_but_its_request_id(
    app: FastAPI, team: Team, superuser_db: AsyncEngine, migrated: ThrowawayDatabase
) -> None:
    # Break the database under the service: the app role loses its grant on projects.
    projects = tenant_table(team.tenant_id, "projects")
    async with tenant_rows(superuser_db, team.tenant_id) as tenant_db:
        await execute(tenant_db, f"REVOKE SELECT ON {projects} FROM {migrated.app_role}")
        try:
            async with client_for(app, raise_app_exceptions=False) as client:
                response = await client.get(
                    "/api/v1/projects", headers=team.owner.in_tenant(team.tenant_id)
                )
        finally:
            await execute(tenant_db, f"GRANT SELECT ON {projects} TO {migrated.app_role}")

    problem = expect(response, 500)
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["request_id"] == response.headers["X-Request-ID"]
    assert not INTERNALS.search(response.text), response.text


async def test_a_duplicate_registration_logs_neither_the_email_nor_the_hash(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    email = await api.register("ada")
    caplog.set_level("DEBUG")

    again = await api.client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
    )

    expect(again, 409)
    assert email not in caplog.text
    assert "$argon2" not in caplog.text


async def test_a_database_error_is_logged_by_sqlstate_and_constraint_only(
    app: FastAPI, team: Team, superuser_db: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    # A rule the service does not know about, broken by a value the log must not repeat.
    projects = tenant_table(team.tenant_id, "projects")
    async with tenant_rows(superuser_db, team.tenant_id) as tenant_db:
        await execute(
            tenant_db,
            f"ALTER TABLE {projects} ADD CONSTRAINT ck_projects_not_secret "
            "CHECK (name <> 'top-secret')",
        )
        try:
            async with client_for(app, raise_app_exceptions=False) as client:
                response = await client.post(
                    "/api/v1/projects",
                    headers=team.owner.in_tenant(team.tenant_id),
                    json={"name": "top-secret", "description": "classified@example.com"},
                )
        finally:
            await execute(
                tenant_db, f"ALTER TABLE {projects} DROP CONSTRAINT ck_projects_not_secret"
            )

    expect(response, 500)
    (record,) = [record for record in caplog.records if record.getMessage() == "database error"]
    logged = vars(record)
    assert (logged["sqlstate"], logged["constraint"]) == ("23514", "ck_projects_not_secret")
    assert "top-secret" not in caplog.text
    assert "classified@example.com" not in caplog.text
