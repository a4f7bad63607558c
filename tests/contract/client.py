"""An httpx client that checks every response against the contract, plus scenario helpers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .conformance import Contract

PASSWORD = "correct horse battery staple"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def unique_email(prefix: str = "user") -> str:
    return f"{unique(prefix)}@example.com"


@dataclass
class Account:
    id: str
    email: str
    password: str
    full_name: str | None
    access_token: str
    refresh_token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def in_tenant(self, tenant_id: str | None) -> dict[str, str]:
        """The headers of a request in a tenant; under tenancy=none (no tenant, None) the
        request acts in the one organisation and names no tenant."""
        if tenant_id is None:
            return self.auth
        return {**self.auth, "X-Tenant-ID": tenant_id}


Promote = Callable[[Account], None]


class ApiClient(httpx.Client):
    """Requests go to the server under test; `Contract.check` vets each response.

    Scenario helpers take a tenant id, or None under tenancy=none, where every request acts in
    the one organisation; `promote` (set by the suite's fixtures under none) makes an account an
    admin through the project's create-admin command.
    """

    def __init__(
        self,
        base_url: str,
        contract: Contract,
        *,
        keepalive: bool = False,
        promote: Promote | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            timeout=30,
            follow_redirects=False,
            # A fresh connection per request: after a 500 the server may drop a kept-alive one,
            # which would fail the next, innocent request with a connection reset. Race tests
            # keep theirs (keepalive=True), so that their requests start at the same instant.
            limits=httpx.Limits(max_keepalive_connections=None if keepalive else 0),
            event_hooks={"response": [contract.check]},
        )
        self.contract = contract
        self.promote = promote

    @property
    def tenanted(self) -> bool:
        """Whether the contract has tenants (every tenancy model but none)."""
        return "/api/v1/tenants" in self.contract.document["paths"]

    # ------------------------------------------------------------------ auth
    def register(self, email: str, password: str = PASSWORD, **extra: Any) -> httpx.Response:
        return self.post(
            "/api/v1/auth/register", json={"email": email, "password": password, **extra}
        )

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.post("/api/v1/auth/login", json={"email": email, "password": password})

    def refresh(self, refresh_token: str) -> httpx.Response:
        return self.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})

    def logout(self, refresh_token: str) -> httpx.Response:
        return self.post("/api/v1/auth/logout", json={"refresh_token": refresh_token})

    def new_account(self, prefix: str = "user", full_name: str | None = None) -> Account:
        email = unique_email(prefix)
        registered = self.register(email, full_name=full_name)
        assert registered.status_code == 201, registered.text
        logged_in = self.login(email)
        assert logged_in.status_code == 200, logged_in.text
        tokens = logged_in.json()
        return Account(
            id=registered.json()["id"],
            email=email,
            password=PASSWORD,
            full_name=full_name,
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
        )

    def new_owner(self, prefix: str = "owner") -> Account:
        """A fresh account that will hold every right in its scope (`new_scope`): a tenant's
        owner-to-be, or under tenancy=none an admin of the organisation."""
        account = self.new_account(prefix)
        if not self.tenanted:
            assert self.promote is not None, "promote is set under tenancy=none"
            self.promote(account)
        return account

    def new_scope(self, owner: Account) -> str | None:
        """Where a test's projects live, empty at first: a fresh tenant of `owner`; under
        tenancy=none the organisation (None), which `owner`, an admin, empties of projects
        (tests of a module share their server, and run one at a time)."""
        if self.tenanted:
            return str(self.new_tenant(owner)["id"])
        for project in self.list_all_projects(owner, None):
            deleted = self.delete(f"/api/v1/projects/{project['id']}", headers=owner.auth)
            assert deleted.status_code == 204, deleted.text
        return None

    # ------------------------------------------------------------------ tenants
    def new_tenant(self, owner: Account, name: str | None = None) -> dict[str, Any]:
        slug = unique("t")
        response = self.post(
            "/api/v1/tenants", headers=owner.auth, json={"name": name or slug, "slug": slug}
        )
        assert response.status_code == 201, response.text
        return response.json()

    def add_member(
        self, actor: Account, tenant_id: str, email: str, role: str = "member"
    ) -> httpx.Response:
        return self.post(
            f"/api/v1/tenants/{tenant_id}/members",
            headers=actor.auth,
            json={"email": email, "role": role},
        )

    def join(
        self, owner: Account, tenant_id: str | None, role: str, prefix: str | None = None
    ) -> Account:
        """A fresh account that is a `role` member of the tenant; under tenancy=none (None),
        of the organisation, where a registration is a member and create-admin makes an admin."""
        account = self.new_account(prefix or role)
        if tenant_id is not None:
            response = self.add_member(owner, tenant_id, account.email, role)
            assert response.status_code == 201, response.text
        elif role == "admin":
            assert self.promote is not None, "promote is set under tenancy=none"
            self.promote(account)
        else:
            assert role == "member", f"tenancy=none has no {role!r} role"
        return account

    # ------------------------------------------------------------------ projects
    def create_project(
        self, actor: Account, tenant_id: str | None, name: str | None = None, **extra: Any
    ) -> httpx.Response:
        headers = actor.in_tenant(tenant_id) | extra.pop("headers", {})
        body = {"name": name or unique("project"), **extra}
        return self.post("/api/v1/projects", headers=headers, json=body)

    def new_project(
        self, actor: Account, tenant_id: str | None, name: str | None = None
    ) -> dict[str, Any]:
        response = self.create_project(actor, tenant_id, name)
        assert response.status_code == 201, response.text
        return response.json()

    def list_all_projects(
        self, actor: Account, tenant_id: str | None, limit: int = 100
    ) -> list[dict]:
        items: list[dict] = []
        params: dict[str, Any] = {"limit": limit}
        while True:
            page = self.get("/api/v1/projects", headers=actor.in_tenant(tenant_id), params=params)
            assert page.status_code == 200, page.text
            items.extend(page.json()["items"])
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return items
            params = {"limit": limit, "cursor": cursor}
