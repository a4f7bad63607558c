"""Refresh-token reuse: a family is revoked when a rotated token comes back, except for the
benign race of two tabs within the grace window; concurrent refreshes have one winner."""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from functools import partial

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import Api, AppFactory, client_for, expect
from .database import execute

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": refresh_token})


async def rotate(client: httpx.AsyncClient, refresh_token: str) -> str:
    new_token: str = expect(await refresh(client, refresh_token), 200)["refresh_token"]
    return new_token


async def age_rotations(superuser_db: AsyncEngine, seconds: int) -> None:
    """Move every rotation this far into the past."""
    await execute(
        superuser_db,
        "UPDATE refresh_tokens SET used_at = used_at - make_interval(secs => :seconds) "
        "WHERE used_at IS NOT NULL",
        seconds=seconds,
    )


async def all_at_once[T](calls: list[Callable[[], Awaitable[T]]]) -> list[T]:
    """Start every call at the same moment (a barrier), and wait for all of them."""
    barrier = asyncio.Barrier(len(calls))

    async def released(call: Callable[[], Awaitable[T]]) -> T:
        await barrier.wait()
        return await call()

    return await asyncio.gather(*(released(call) for call in calls))


async def test_the_token_just_rotated_is_refused_without_ending_the_session(api: Api) -> None:
    first = (await api.login(await api.register("ada")))["refresh_token"]
    second = await rotate(api.client, first)

    late = await refresh(api.client, first)  # the other tab, a moment too late

    expect(late, 401)
    assert late.headers["WWW-Authenticate"] == "Bearer"
    expect(await refresh(api.client, second), 200)


async def test_a_rotated_token_reused_after_the_grace_window_revokes_its_family(
    api: Api, superuser_db: AsyncEngine
) -> None:
    email = await api.register("ada")
    stolen = (await api.login(email))["refresh_token"]
    other_session = (await api.login(email))["refresh_token"]
    newest = await rotate(api.client, stolen)
    await age_rotations(superuser_db, 11)

    expect(await refresh(api.client, stolen), 401)

    # The legitimate holder's newest token dies with the family: the thief's copy is worthless.
    expect(await refresh(api.client, newest), 401)
    # Other logins of the same user are other families and keep working.
    expect(await refresh(api.client, other_session), 200)


async def test_an_older_predecessor_revokes_its_family_even_within_the_window(api: Api) -> None:
    first = (await api.login(await api.register("ada")))["refresh_token"]
    second = await rotate(api.client, first)
    third = await rotate(api.client, second)

    expect(await refresh(api.client, first), 401)

    expect(await refresh(api.client, third), 401)


async def test_the_grace_ends_once_the_successor_is_used(api: Api) -> None:
    first = (await api.login(await api.register("ada")))["refresh_token"]
    second = await rotate(api.client, first)
    third = await rotate(api.client, second)

    expect(await refresh(api.client, second), 401)  # the predecessor of the newest: grace

    expect(await refresh(api.client, third), 200)


async def test_a_grace_of_zero_revokes_on_every_reuse(
    start_app: AppFactory, clean_database: None
) -> None:
    async with start_app(refresh_reuse_grace_seconds=0) as app, client_for(app) as client:
        api = Api(client)
        first = (await api.login(await api.register("ada")))["refresh_token"]
        second = await rotate(client, first)

        expect(await refresh(client, first), 401)

        expect(await refresh(client, second), 401)


async def test_concurrent_refreshes_of_one_token_have_exactly_one_winner(api: Api) -> None:
    token = (await api.login(await api.register("ada")))["refresh_token"]
    for _ in range(5):
        responses = await all_at_once([partial(refresh, api.client, token)] * 8)

        statuses = Counter(response.status_code for response in responses)
        assert statuses == {200: 1, 401: 7}, statuses
        # The losers were the benign race: the winner's new token keeps working.
        (winner,) = (response for response in responses if response.status_code == 200)
        token = winner.json()["refresh_token"]


async def test_without_grace_concurrent_refreshes_end_the_session(
    start_app: AppFactory, clean_database: None
) -> None:
    async with start_app(refresh_reuse_grace_seconds=0) as app, client_for(app) as client:
        token = (await Api(client).login(await Api(client).register("ada")))["refresh_token"]

        responses = await all_at_once([partial(refresh, client, token)] * 4)

        assert Counter(response.status_code for response in responses) == {200: 1, 401: 3}
        (winner,) = (response for response in responses if response.status_code == 200)
        expect(await refresh(client, winner.json()["refresh_token"]), 401)


async def test_concurrent_reuse_across_one_family_never_deadlocks(
    api: Api, superuser_db: AsyncEngine
) -> None:
    for _ in range(5):
        chain = [(await api.login(await api.register("ada")))["refresh_token"]]
        for _ in range(4):
            chain.append(await rotate(api.client, chain[-1]))
        await age_rotations(superuser_db, 11)

        # Three stale tokens of the family at once, with a refresh and a logout of the newest:
        # each request locks rows of the same family.
        calls: list[Callable[[], Awaitable[httpx.Response]]] = [
            *(partial(refresh, api.client, token) for token in [*chain[:3], chain[-1]]),
            partial(api.client.post, LOGOUT, json={"refresh_token": chain[-1]}),
        ]
        responses = await all_at_once(calls)

        assert all(response.status_code < 500 for response in responses), [
            response.text for response in responses
        ]
        expect(await refresh(api.client, chain[-1]), 401)  # the family ended
