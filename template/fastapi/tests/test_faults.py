"""The database failing under the service: down, hung, out of connections, or restarted. The
service answers 503 with Retry-After in bounded time, survives, and recovers by itself."""

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import Account, Api, AppFactory, client_for, expect
from .database import ThrowawayDatabase, execute
from .faults import DatabaseProxy, database_proxy

ME = "/api/v1/users/me"
TIMEOUT = 1.0  # the connect and statement timeouts of the service under test
SLACK = 1.5  # scheduling, the cancel request, the response


@dataclass
class Proxied:
    app: FastAPI
    proxy: DatabaseProxy
    client: httpx.AsyncClient
    account: Account


@pytest.fixture
async def proxied(
    start_app: AppFactory, migrated: ThrowawayDatabase, clean_database: None
) -> AsyncIterator[Proxied]:
    """The service reaching its database through a proxy the test can break."""
    async with database_proxy(migrated.app_url) as proxy:
        url = proxy.url(migrated.app_url).render_as_string(hide_password=False)
        async with (
            start_app(
                database_url=url,
                db_connect_timeout_seconds=TIMEOUT,
                db_statement_timeout_seconds=TIMEOUT,
            ) as app,
            client_for(app) as client,
        ):
            account = await Api(client).sign_up()
            yield Proxied(app, proxy, client, account)


def assert_unavailable(response: httpx.Response) -> None:
    problem = expect(response, 503)
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["title"] == "Service Unavailable"
    assert int(response.headers["Retry-After"]) >= 1


async def test_a_database_that_is_down_gets_503_and_the_service_recovers(
    proxied: Proxied,
) -> None:
    await proxied.proxy.go_down()

    assert_unavailable(await proxied.client.get(ME, headers=proxied.account.auth))
    assert_unavailable(await proxied.client.get("/readyz"))
    assert_unavailable(
        await proxied.client.post(
            "/api/v1/auth/login", json={"email": proxied.account.email, "password": "x" * 12}
        )
    )

    await proxied.proxy.start()
    # The first request after the database is back already succeeds.
    expect(await proxied.client.get(ME, headers=proxied.account.auth), 200)
    expect(await proxied.client.get("/readyz"), 200)


async def test_the_service_starts_while_its_database_is_down_and_serves_once_it_is_up(
    start_app: AppFactory, migrated: ThrowawayDatabase
) -> None:
    # A worker restarted during an outage must come up: uvicorn stops every worker when one
    # fails its start-up.
    async with database_proxy(migrated.app_url) as proxy:
        url = proxy.url(migrated.app_url).render_as_string(hide_password=False)
        await proxy.go_down()
        async with (
            start_app(database_url=url, db_connect_timeout_seconds=TIMEOUT) as app,
            client_for(app) as client,
        ):
            expect(await client.get("/healthz"), 200)
            assert_unavailable(await client.get("/readyz"))

            await proxy.start()
            expect(await client.get("/readyz"), 200)


async def test_a_hung_database_gets_503_within_the_statement_timeout(proxied: Proxied) -> None:
    proxied.proxy.hang()

    started = time.monotonic()
    response = await proxied.client.get(ME, headers=proxied.account.auth)
    elapsed = time.monotonic() - started

    assert_unavailable(response)
    assert elapsed < TIMEOUT + SLACK
    proxied.proxy.resume()
    for _ in range(3):
        expect(await proxied.client.get(ME, headers=proxied.account.auth), 200)


async def test_a_database_that_accepts_but_never_answers_times_out_connecting(
    proxied: Proxied,
) -> None:
    # Connections opened from now on hang in their start-up; the pooled ones are gone.
    await proxied.app.state.database.engine.dispose()
    proxied.proxy.hang()

    started = time.monotonic()
    response = await proxied.client.get(ME, headers=proxied.account.auth)

    assert_unavailable(response)
    assert time.monotonic() - started < TIMEOUT + SLACK


async def test_an_exhausted_pool_gets_503_within_the_pool_timeout(
    start_app: AppFactory, superuser_db: AsyncEngine, clean_database: None
) -> None:
    async with (
        start_app(db_pool_size=1, db_pool_timeout_seconds=0.3) as app,
        client_for(app) as client,
    ):
        account = await Api(client).sign_up()
        # The one pooled connection waits for a row lock the test holds.
        async with superuser_db.connect() as locker:
            await locker.exec_driver_sql("BEGIN")
            await locker.exec_driver_sql("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            blocked = asyncio.create_task(client.get(ME, headers=account.auth))
            await asyncio.sleep(0.2)

            started = time.monotonic()
            response = await client.get(ME, headers=account.auth)
            elapsed = time.monotonic() - started
            await locker.exec_driver_sql("ROLLBACK")
        expect(await blocked, 200)

    assert_unavailable(response)
    assert elapsed < 0.3 + SLACK


async def test_a_request_that_takes_too_long_gets_503(
    start_app: AppFactory, superuser_db: AsyncEngine, clean_database: None
) -> None:
    async with start_app(request_timeout_seconds=0.5) as app, client_for(app) as client:
        account = await Api(client).sign_up()
        async with superuser_db.connect() as locker:
            await locker.exec_driver_sql("BEGIN")
            await locker.exec_driver_sql("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            response = await client.get(ME, headers=account.auth)
            elapsed = time.monotonic() - started
            await locker.exec_driver_sql("ROLLBACK")

        assert_unavailable(response)
        assert elapsed < 0.5 + SLACK
        expect(await client.get(ME, headers=account.auth), 200)  # and the service is fine


@pytest.mark.parametrize("idle", [0.0, 1.5], ids=["busy", "idle"])
async def test_connections_the_server_closed_are_replaced_before_use(
    api: Api, superuser_db: AsyncEngine, migrated: ThrowawayDatabase, idle: float
) -> None:
    account = await api.sign_up()
    responses = await asyncio.gather(*(api.client.get(ME, headers=account.auth) for _ in range(5)))
    assert {response.status_code for response in responses} == {200}

    # What a PostgreSQL restart does to every pooled connection.
    await execute(
        superuser_db,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :role",
        role=migrated.app_role,
    )
    await asyncio.sleep(idle + 0.1)

    responses = await asyncio.gather(*(api.client.get(ME, headers=account.auth) for _ in range(8)))
    assert [response.status_code for response in responses] == [200] * 8
