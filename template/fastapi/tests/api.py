"""Steps of the HTTP API that many tests need, so that each test reads as its own story."""

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from .contract import load_contract

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)

type AppFactory = Callable[..., AbstractAsyncContextManager[FastAPI]]
"""Starts another instance of the service with settings overrides (see conftest.start_app)."""


def unique(prefix: str) -> str:
    """A value no other call returns in this test run (emails, slugs, names)."""
    return f"{prefix}-{next(_sequence)}"


def expect(response: httpx.Response, status: int) -> Any:
    """The JSON body of a response that must have the given status."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url.path}: "
        f"expected {status}, got {response.status_code}: {response.text}"
    )
    return response.json() if response.content else None


@dataclass(frozen=True)
class Account:
    """A registered, logged-in user."""

    id: str
    email: str
    access_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def in_tenant(self, tenant_id: str) -> dict[str, str]:
        return {**self.auth, "X-Tenant-ID": tenant_id}


@dataclass(frozen=True)
class Team:
    """A tenant with one user of each role."""

    tenant_id: str
    owner: Account
    admin: Account
    member: Account


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def create_user(self, name: str = "user") -> dict[str, Any]:
        """Register a new user; returns the User the API answered with."""
        response = await self.client.post(
            "/api/v1/auth/register",
            json={"email": f"{unique(name)}@example.com", "password": PASSWORD},
        )
        user: dict[str, Any] = expect(response, 201)
        return user

    async def register(self, name: str = "user") -> str:
        """Register a new user and return the email address."""
        email: str = (await self.create_user(name))["email"]
        return email

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        """A fresh token pair."""
        response = await self.client.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        tokens: dict[str, Any] = expect(response, 200)
        return tokens

    async def sign_up(self, name: str = "user") -> Account:
        """A new user, logged in."""
        user = await self.create_user(name)
        tokens = await self.login(user["email"])
        return Account(
            id=user["id"],
            email=user["email"],
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
        )

    async def create_tenant(self, owner: Account, name: str = "Tenant") -> str:
        """Create a tenant owned by `owner` and return its id."""
        response = await self.client.post(
            "/api/v1/tenants", headers=owner.auth, json={"name": name, "slug": unique("tenant")}
        )
        tenant_id: str = expect(response, 201)["id"]
        return tenant_id

    async def add_member(self, tenant_id: str, *, by: Account, user: Account, role: str) -> None:
        response = await self.client.post(
            f"/api/v1/tenants/{tenant_id}/members",
            headers=by.auth,
            json={"email": user.email, "role": role},
        )
        expect(response, 201)

    async def create_team(self) -> Team:
        owner = await self.sign_up("owner")
        tenant_id = await self.create_tenant(owner)
        admin = await self.sign_up("admin")
        member = await self.sign_up("member")
        await self.add_member(tenant_id, by=owner, user=admin, role="admin")
        await self.add_member(tenant_id, by=owner, user=member, role="member")
        return Team(tenant_id=tenant_id, owner=owner, admin=admin, member=member)

    async def create_project(
        self, account: Account, tenant_id: str, name: str | None = None
    ) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/projects",
            headers=account.in_tenant(tenant_id),
            json={"name": name or unique("project"), "description": "A project"},
        )
        project: dict[str, Any] = expect(response, 201)
        return project


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app with its lifespan (engine, start-up checks) running, as a server would run it."""
    async with app.router.lifespan_context(app):
        yield app


def client_for(app: FastAPI, *, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    """An HTTP client of the app that fails any response the contract does not declare."""
    contract = load_contract()

    async def check(response: httpx.Response) -> None:
        await response.aread()
        contract.check_response(response)

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions),
        base_url="http://testserver",
        event_hooks={"response": [check]},
    )
