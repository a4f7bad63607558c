"""Every conditional write is atomic: N requests released at once by a barrier, exactly one wins.

Each race runs a few rounds, since a non-atomic compare-and-set loses only some of them.
Every response is also checked against the contract, so a 5xx fails the race on the spot.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable

import pytest

from .client import Account, ApiClient, Promote, unique
from .conformance import Contract
from .conftest import Launch
from .races import race

pytestmark = pytest.mark.contract

RACERS = 8
ROUNDS = 3
PROJECTS = "/api/v1/projects"

NewClient = Callable[[], ApiClient]


@pytest.fixture(scope="module")
def owner(api: ApiClient) -> Account:
    return api.new_owner("racer")


@pytest.fixture(scope="module")
def tenant(api: ApiClient, owner: Account) -> str | None:
    return api.new_scope(owner)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_patches_with_one_etag_have_exactly_one_winner(
    api: ApiClient, new_client: NewClient, owner: Account, tenant: str | None, round_: int
) -> None:
    created = api.create_project(owner, tenant)
    path, etag = f"{PROJECTS}/{created.json()['id']}", created.headers["etag"]
    headers = owner.in_tenant(tenant) | {"If-Match": etag}

    responses = race(
        RACERS,
        new_client,
        lambda client, i: client.patch(path, headers=headers, json={"description": f"by {i}"}),
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 412: RACERS - 1}, statuses
    winner = next(r for r in responses if r.status_code == 200)
    current = api.get(path, headers=owner.in_tenant(tenant))
    assert current.json()["description"] == winner.json()["description"], "a lost update"
    assert current.headers["etag"] == winner.headers["etag"]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_refreshes_of_one_token_have_exactly_one_winner(
    api: ApiClient, new_client: NewClient, round_: int
) -> None:
    account = api.new_account("tabs")

    responses = race(RACERS, new_client, lambda client, i: client.refresh(account.refresh_token))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 401: RACERS - 1}, statuses
    winner = next(r for r in responses if r.status_code == 200).json()
    assert api.refresh(winner["refresh_token"]).status_code == 200, (
        "the losers of a race within the grace window must not revoke the winner's family"
    )


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_idempotent_creates_make_one_project(
    api: ApiClient, new_client: NewClient, owner: Account, round_: int
) -> None:
    target = api.new_scope(owner)
    key, name = unique("key"), unique("project")

    responses = race(
        RACERS,
        new_client,
        lambda client, i: client.create_project(
            owner, target, name, description="same", headers={"Idempotency-Key": key}
        ),
    )

    assert [r.status_code for r in responses] == [201] * RACERS
    assert len({r.json()["id"] for r in responses}) == 1
    assert len({(r.headers["location"], r.headers["etag"]) for r in responses}) == 1
    assert len(api.list_all_projects(owner, target)) == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_creates_of_one_name_make_one_project(
    api: ApiClient, new_client: NewClient, owner: Account, tenant: str | None, round_: int
) -> None:
    name = unique("project")

    responses = race(
        RACERS, new_client, lambda client, i: client.create_project(owner, tenant, name)
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: RACERS - 1}, statuses
    listed = [p["name"] for p in api.list_all_projects(owner, tenant)]
    assert listed.count(name) == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_deletes_of_one_project_have_one_winner(
    api: ApiClient, new_client: NewClient, owner: Account, tenant: str | None, round_: int
) -> None:
    path = f"{PROJECTS}/{api.new_project(owner, tenant)['id']}"

    responses = race(
        RACERS, new_client, lambda client, i: client.delete(path, headers=owner.in_tenant(tenant))
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {204: 1, 404: RACERS - 1}, statuses
    assert api.get(path, headers=owner.in_tenant(tenant)).status_code == 404


@pytest.mark.tenanted
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_creates_of_one_slug_make_one_tenant(
    api: ApiClient, new_client: NewClient, round_: int
) -> None:
    founders = [api.new_account("founder") for _ in range(RACERS)]
    slug = unique("t")

    responses = race(
        RACERS,
        new_client,
        lambda client, i: client.post(
            "/api/v1/tenants", headers=founders[i].auth, json={"name": slug, "slug": slug}
        ),
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: RACERS - 1}, statuses
    tenant = next(r for r in responses if r.status_code == 201).json()["id"]
    # A lost provisioning leaves nothing: no founder but the winner belongs to any tenant.
    belonging = [
        [t["id"] for t in api.get("/api/v1/tenants", headers=founder.auth).json()["items"]]
        for founder in founders
    ]
    assert sorted(belonging) == sorted([[tenant]] + [[]] * (RACERS - 1)), belonging


@pytest.mark.tenanted
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_adds_of_one_member_make_one_membership(
    api: ApiClient, new_client: NewClient, owner: Account, round_: int
) -> None:
    target = api.new_tenant(owner)["id"]
    newcomer = api.new_account("newcomer")

    responses = race(
        RACERS, new_client, lambda client, i: client.add_member(owner, target, newcomer.email)
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: RACERS - 1}, statuses
    listing = api.get(f"/api/v1/tenants/{target}/members", headers=owner.auth).json()["items"]
    assert [m["user_id"] for m in listing].count(newcomer.id) == 1


@pytest.mark.tenanted
def test_concurrent_tenant_creations_stop_at_the_cap_on_owned_tenants(
    launch: Launch, contract: Contract, promote: Promote
) -> None:
    cap = 3
    with (
        launch(MAX_OWNED_TENANTS=str(cap)) as server,
        ApiClient(server.base_url, contract, promote=promote) as capped,
    ):
        new_client = functools.partial(
            ApiClient, server.base_url, contract, keepalive=True, promote=promote
        )
        for _ in range(ROUNDS):
            founder = capped.new_account("founder")
            for _ in range(cap - 1):
                capped.new_tenant(founder)

            responses = race(
                RACERS,
                new_client,
                lambda client, i, auth=founder.auth: client.post(
                    "/api/v1/tenants", headers=auth, json={"name": "Racer", "slug": unique("t")}
                ),
            )

            statuses = Counter(r.status_code for r in responses)
            assert statuses == {201: 1, 409: RACERS - 1}, statuses
            refusals = {r.json()["detail"] for r in responses if r.status_code == 409}
            assert refusals == {"You already own the most tenants one account may own."}
            owned = capped.get("/api/v1/tenants", headers=founder.auth).json()["items"]
            assert [t["role"] for t in owned] == ["owner"] * cap


def members_url(tenant: str, account: Account) -> str:
    return f"/api/v1/tenants/{tenant}/members/{account.id}"


@pytest.mark.tenanted
@pytest.mark.parametrize("target", ["each-other", "themselves"])
@pytest.mark.parametrize("action", ["demote", "remove"])
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_the_last_two_owners_cannot_both_step_down_at_once(
    api: ApiClient, new_client: NewClient, action: str, target: str, round_: int
) -> None:
    first = api.new_account("owner")
    tenant = api.new_tenant(first)["id"]
    second = api.join(first, tenant, "owner")
    if target == "each-other":
        pairs = [(first, second), (second, first)]
    else:
        pairs = [(first, first), (second, second)]

    def step_down(client: ApiClient, i: int):
        actor, subject = pairs[i]
        url = members_url(tenant, subject)
        if action == "demote":
            return client.patch(url, headers=actor.auth, json={"role": "member"})
        return client.delete(url, headers=actor.auth)

    responses = race(2, new_client, step_down)

    statuses = sorted(r.status_code for r in responses)
    assert len([s for s in statuses if s in (200, 204)]) == 1, statuses
    # The loser is refused: the last owner (409), or no longer an owner or member (403, 404).
    assert statuses[1] in (403, 404, 409), statuses
    owners = [
        m["user_id"]
        for account in (first, second)
        if (
            listing := api.get(f"/api/v1/tenants/{tenant}/members", headers=account.auth)
        ).status_code
        == 200
        for m in listing.json()["items"]
        if m["role"] == "owner"
    ]
    assert owners, "a tenant without owners"
