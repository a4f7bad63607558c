"""Behind PgBouncer in pool_mode=transaction (no prepared statements survive a transaction),
with DATABASE_POOLER=transaction and two worker processes, every operation works and tenants
stay isolated. Skipped when pgbouncer is not installed."""

import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import URL

from .api import PASSWORD, unique
from .database import ThrowawayDatabase
from .pgbouncer import PGBOUNCER, running_pgbouncer
from .server import serving

pytestmark = pytest.mark.skipif(PGBOUNCER is None, reason="pgbouncer is not installed")


@pytest.fixture(scope="module")
def pgbouncer(
    migrated: ThrowawayDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[URL]:
    with running_pgbouncer(
        migrated.app_url, tmp_path_factory.mktemp("pgbouncer"), pool_size=3
    ) as url:
        yield url


def journey(base_url: str, round_: int) -> list[int]:
    """One user's way through the API; the statuses of the answers that are not 2xx."""
    failures: list[int] = []
    with (
        httpx.Client(base_url=f"{base_url}/api/v1", timeout=30) as client,
        contextlib.suppress(httpx.HTTPStatusError),
    ):

        def call(method: str, url: str, **kwargs: Any) -> httpx.Response:
            response = client.request(method, url, **kwargs)
            if response.status_code >= 300:
                failures.append(response.status_code)
                response.raise_for_status()  # the rest of the journey depends on this step
            return response

        email = f"{unique(f'pooled{round_}')}@example.com"
        call("POST", "/auth/register", json={"email": email, "password": PASSWORD})
        tokens = call("POST", "/auth/login", json={"email": email, "password": PASSWORD}).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        tenant = call("POST", "/tenants", headers=auth, json={"name": "T", "slug": unique("pool")})
        scoped = {**auth, "X-Tenant-ID": tenant.json()["id"]}
        created = call(
            "POST",
            "/projects",
            headers={**scoped, "Idempotency-Key": "once"},
            json={"name": "Mine"},
        )
        call(
            "POST",
            "/projects",
            headers={**scoped, "Idempotency-Key": "once"},
            json={"name": "Mine"},
        )
        project = f"/projects/{created.json()['id']}"
        call(
            "PATCH",
            project,
            headers={**scoped, "If-Match": created.headers["ETag"]},
            json={"description": "d"},
        )
        listed = call("GET", "/projects", headers=scoped).json()["items"]
        if [item["name"] for item in listed] != ["Mine"]:
            failures.append(0)  # another tenant's rows, or none: isolation broke
        call("GET", "/users/me", headers=auth)
        call("POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    return failures


def test_the_service_works_behind_a_transaction_pooler(
    pgbouncer: URL, migrated: ThrowawayDatabase, tmp_path: Path
) -> None:
    settings = migrated.service_environment() | {
        "DATABASE_URL": pgbouncer.render_as_string(hide_password=False),
        "DATABASE_POOLER": "transaction",
        "WEB_CONCURRENCY": "2",
        "JWT_SECRET": "pooled-" + "x" * 40,
        "RATE_LIMIT_PER_ADDRESS": "100000/minute",
        # 16 clients registering at once: what is tested here is the pooler, not the budget.
        "PASSWORD_HASH_MAX_WAITING": "64",
        "LOG_LEVEL": "WARNING",
    }
    with serving(settings, tmp_path) as base_url, ThreadPoolExecutor(16) as pool:
        failures = [
            status for result in pool.map(journey, [base_url] * 48, range(48)) for status in result
        ]

    assert failures == []
