"""Conditional writes under races: If-Match (RFC 9110), Idempotency-Key and the last owner.
Each race starts its requests at one barrier and must end with exactly one winner, no 5xx."""

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import Account, Api, Team, expect
from .database import scalar, tenant_rows, tenant_table

PROJECTS = "/api/v1/projects"
ROUNDS = 5


async def all_at_once(
    calls: Sequence[Callable[[], Awaitable[httpx.Response]]],
) -> list[httpx.Response]:
    barrier = asyncio.Barrier(len(calls))

    async def released(call: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        await barrier.wait()
        return await call()

    return await asyncio.gather(*(released(call) for call in calls))


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


async def create(api: Api, team: Team) -> tuple[str, str]:
    """A new project's URL and ETag."""
    response = await api.client.post(
        PROJECTS, headers=team.owner.in_tenant(team.tenant_id), json={"name": "Apollo"}
    )
    project = expect(response, 201)
    return f"{PROJECTS}/{project['id']}", response.headers["ETag"]


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ('"1"', 200),
        ('"7", "1"', 200),  # any entry of a list
        ('"7","1" ', 200),
        ("*", 200),  # any current representation
        ('W/"1"', 412),  # weak tags never match strongly
        ('"7"', 412),
        ("1", 412),  # not an entity tag
        ('"1", *', 412),  # "*" is not a list entry
    ],
)
async def test_if_match_follows_rfc_9110(api: Api, team: Team, if_match: str, status: int) -> None:
    url, etag = await create(api, team)
    assert etag == '"1"'
    headers = {**team.owner.in_tenant(team.tenant_id), "If-Match": if_match}

    response = await api.client.patch(url, headers=headers, json={"description": "changed"})

    expect(response, status)


async def test_preconditions_are_not_evaluated_for_a_missing_project(api: Api, team: Team) -> None:
    url, _ = await create(api, team)
    expect(await api.client.delete(url, headers=team.owner.in_tenant(team.tenant_id)), 204)
    headers = {**team.owner.in_tenant(team.tenant_id), "If-Match": "*"}

    expect(await api.client.patch(url, headers=headers, json={"name": "x"}), 404)


async def test_concurrent_updates_with_one_etag_have_one_winner(api: Api, team: Team) -> None:
    url, etag = await create(api, team)
    headers = {**team.owner.in_tenant(team.tenant_id), "If-Match": etag}
    for round_ in range(ROUNDS):
        calls = [
            partial(api.client.patch, url, headers=headers, json={"description": f"{round_}.{i}"})
            for i in range(6)
        ]
        responses = await all_at_once(calls)

        assert statuses(responses) == {200: 1, 412: 5}
        (winner,) = (response for response in responses if response.status_code == 200)
        current = await api.client.get(url, headers=team.owner.in_tenant(team.tenant_id))
        assert expect(current, 200)["description"] == winner.json()["description"]
        headers["If-Match"] = etag = current.headers["ETag"]


async def test_concurrent_repeats_of_an_idempotency_key_create_one_project(
    api: Api, team: Team, superuser_db: AsyncEngine
) -> None:
    for round_ in range(ROUNDS):
        headers = {**team.owner.in_tenant(team.tenant_id), "Idempotency-Key": f"key-{round_}"}
        body = {"name": f"Apollo {round_}"}

        responses = await all_at_once(
            [partial(api.client.post, PROJECTS, headers=headers, json=body)] * 6
        )

        assert statuses(responses) == {201: 6}
        assert len({response.json()["id"] for response in responses}) == 1
        assert len({response.headers["Location"] for response in responses}) == 1
    projects = tenant_table(team.tenant_id, "projects")
    async with tenant_rows(superuser_db, team.tenant_id) as tenant_db:
        count = await scalar(tenant_db, f"SELECT count(*) FROM {projects}")
    assert count == ROUNDS


@pytest.mark.parametrize("change", ["demote", "remove"])
async def test_two_last_owners_removing_each_other_leave_one_owner(
    api: Api, superuser_db: AsyncEngine, change: str
) -> None:
    for _ in range(ROUNDS):
        team = await api.create_team()
        members = f"/api/v1/tenants/{team.tenant_id}/members"
        promote = {"role": "owner"}
        expect(
            await api.client.patch(
                f"{members}/{team.admin.id}", headers=team.owner.auth, json=promote
            ),
            200,
        )

        def against(
            target: Account, by: Account, members: str = members
        ) -> Callable[[], Awaitable[httpx.Response]]:
            url = f"{members}/{target.id}"
            if change == "demote":
                return partial(api.client.patch, url, headers=by.auth, json={"role": "admin"})
            return partial(api.client.delete, url, headers=by.auth)

        responses = await all_at_once(
            [against(team.admin, by=team.owner), against(team.owner, by=team.admin)]
        )

        codes = statuses(responses)
        assert codes[200] + codes[204] == 1, codes  # one of them wins
        # The other is refused: last owner (409), or no longer owner (403) or member (404).
        assert codes[409] + codes[403] + codes[404] == 1, codes
        owners = await scalar(
            superuser_db,
            "SELECT count(*) FROM memberships WHERE tenant_id = :tenant AND role = 'owner'",
            tenant=uuid.UUID(team.tenant_id),
        )
        assert owners == 1
