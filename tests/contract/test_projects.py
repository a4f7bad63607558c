"""Projects: create/read/update/delete, pagination, ETag + If-Match, Idempotency-Key, uniqueness."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from .client import Account, ApiClient, unique

pytestmark = pytest.mark.contract

PROJECTS = "/api/v1/projects"


@pytest.fixture(scope="module")
def owner(api: ApiClient) -> Account:
    """One owner for the module: each test has a scope of its own (`tenant`), and under
    tenancy=none an owner costs a run of the project's create-admin command."""
    return api.new_owner("projects")


@pytest.fixture
def tenant(api: ApiClient, owner: Account) -> str | None:
    """The test's own, empty tenant; under tenancy=none the organisation (None)."""
    return api.new_scope(owner)


def pointers(response) -> set[str]:
    return {error["pointer"] for error in response.json().get("errors", [])}


# ---------------------------------------------------------------------------- create / read
def test_create_answers_201_with_location_and_etag(
    api: ApiClient, owner: Account, tenant: str
) -> None:
    response = api.create_project(owner, tenant, "Apollo", description="to the moon")

    assert response.status_code == 201
    project = response.json()
    assert project["name"] == "Apollo"
    assert project["description"] == "to the moon"
    assert urlsplit(response.headers["location"]).path == f"{PROJECTS}/{project['id']}"
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"'), f"a strong, quoted ETag, got {etag!r}"


def test_location_leads_to_the_same_representation(
    api: ApiClient, owner: Account, tenant: str
) -> None:
    created = api.create_project(owner, tenant)

    fetched = api.get(urlsplit(created.headers["location"]).path, headers=owner.in_tenant(tenant))

    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    assert fetched.headers["etag"] == created.headers["etag"]


def test_description_is_optional_and_nullable(
    api: ApiClient, owner: Account, tenant: str | None
) -> None:
    assert api.create_project(owner, tenant).json()["description"] is None
    assert api.create_project(owner, tenant, description=None).json()["description"] is None
    assert api.create_project(owner, tenant, description="d" * 2000).status_code == 201


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        pytest.param({}, "/body/name", id="no-name"),
        pytest.param({"name": ""}, "/body/name", id="empty-name"),
        pytest.param({"name": "n" * 201}, "/body/name", id="long-name"),
        pytest.param({"name": 42}, "/body/name", id="name-not-string"),
        pytest.param(
            {"name": "ok", "description": "d" * 2001}, "/body/description", id="long-desc"
        ),
        pytest.param(
            {"name": "ok", "tenant_id": str(uuid.uuid4())}, "/body/tenant_id", id="tenant-id"
        ),
    ],
)
def test_create_rejects_invalid_bodies(
    api: ApiClient, owner: Account, tenant: str | None, body: dict, pointer: str
) -> None:
    response = api.post(PROJECTS, headers=owner.in_tenant(tenant), json=body)

    assert response.status_code == 422
    assert pointer in pointers(response)


def test_unknown_project_is_404(api: ApiClient, owner: Account, tenant: str | None) -> None:
    url = f"{PROJECTS}/01890000-0000-7000-8000-000000000000"

    assert api.get(url, headers=owner.in_tenant(tenant)).status_code == 404
    assert api.patch(url, headers=owner.in_tenant(tenant), json={"name": "x"}).status_code == 404
    assert api.delete(url, headers=owner.in_tenant(tenant)).status_code == 404


def test_malformed_project_id_is_422(api: ApiClient, owner: Account, tenant: str | None) -> None:
    response = api.get(f"{PROJECTS}/not-a-uuid", headers=owner.in_tenant(tenant))

    assert response.status_code == 422
    assert "/path/project_id" in pointers(response)


def test_delete_answers_204_then_the_project_is_gone(
    api: ApiClient, owner: Account, tenant: str
) -> None:
    project = api.new_project(owner, tenant)
    url = f"{PROJECTS}/{project['id']}"

    assert api.delete(url, headers=owner.in_tenant(tenant)).status_code == 204
    assert api.get(url, headers=owner.in_tenant(tenant)).status_code == 404
    assert api.delete(url, headers=owner.in_tenant(tenant)).status_code == 404
    assert api.list_all_projects(owner, tenant) == []


# ---------------------------------------------------------------------------- uniqueness
def test_duplicate_name_in_a_tenant_is_409(
    api: ApiClient, owner: Account, tenant: str | None
) -> None:
    api.new_project(owner, tenant, "Gemini")

    assert api.create_project(owner, tenant, "Gemini").status_code == 409
    assert len(api.list_all_projects(owner, tenant)) == 1


@pytest.mark.tenanted
def test_the_same_name_in_another_tenant_is_fine(
    api: ApiClient, owner: Account, tenant: str
) -> None:
    api.new_project(owner, tenant, "Mercury")
    stranger = api.new_account("stranger")
    other_tenant = api.new_tenant(stranger)["id"]

    assert api.create_project(stranger, other_tenant, "Mercury").status_code == 201
    assert api.create_project(owner, api.new_tenant(owner)["id"], "Mercury").status_code == 201


def test_renaming_onto_an_existing_name_is_409(
    api: ApiClient, owner: Account, tenant: str | None
) -> None:
    api.new_project(owner, tenant, "Vostok")
    other = api.new_project(owner, tenant, "Voskhod")

    response = api.patch(
        f"{PROJECTS}/{other['id']}", headers=owner.in_tenant(tenant), json={"name": "Vostok"}
    )

    assert response.status_code == 409


# ---------------------------------------------------------------------------- pagination
@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_pagination_walks_every_item_exactly_once(
    api: ApiClient, owner: Account, tenant: str | None, limit: int
) -> None:
    created = [api.new_project(owner, tenant, f"p{i}")["id"] for i in range(7)]

    seen: list[str] = []
    params: dict = {"limit": limit}
    for _ in range(20):
        page = api.get(PROJECTS, headers=owner.in_tenant(tenant), params=params)
        assert page.status_code == 200
        items = page.json()["items"]
        assert len(items) <= limit
        seen += [p["id"] for p in items]
        if page.json()["next_cursor"] is None:
            break
        params = {"limit": limit, "cursor": page.json()["next_cursor"]}
    else:
        pytest.fail("pagination did not terminate")

    assert seen == created, "every project exactly once, oldest first"


def test_default_page_size_is_20(api: ApiClient, owner: Account, tenant: str | None) -> None:
    for i in range(21):
        api.new_project(owner, tenant, f"p{i:02}")

    first = api.get(PROJECTS, headers=owner.in_tenant(tenant))

    assert len(first.json()["items"]) == 20
    assert first.json()["next_cursor"] is not None
    rest = api.get(
        PROJECTS, headers=owner.in_tenant(tenant), params={"cursor": first.json()["next_cursor"]}
    )
    assert [p["name"] for p in rest.json()["items"]] == ["p20"]
    assert rest.json()["next_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5"])
def test_limit_out_of_range_is_422(
    api: ApiClient, owner: Account, tenant: str | None, limit: str
) -> None:
    response = api.get(PROJECTS, headers=owner.in_tenant(tenant), params={"limit": limit})

    assert response.status_code == 422
    assert "/query/limit" in pointers(response)


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        base64.urlsafe_b64encode(b"not a cursor").decode(),
        base64.urlsafe_b64encode(b"{}").decode(),
    ],
    ids=["not-base64", "base64-garbage", "base64-json"],
)
def test_a_bad_cursor_is_422(
    api: ApiClient, owner: Account, tenant: str | None, cursor: str
) -> None:
    api.new_project(owner, tenant)

    response = api.get(PROJECTS, headers=owner.in_tenant(tenant), params={"cursor": cursor})

    assert response.status_code == 422


# ---------------------------------------------------------------------------- ETag / If-Match
def test_update_with_the_current_etag(api: ApiClient, owner: Account, tenant: str | None) -> None:
    created = api.create_project(owner, tenant, "Soyuz")
    url = f"{PROJECTS}/{created.json()['id']}"

    updated = api.patch(
        url,
        headers=owner.in_tenant(tenant) | {"If-Match": created.headers["etag"]},
        json={"description": "crew capsule"},
    )

    assert updated.status_code == 200
    assert updated.json()["description"] == "crew capsule"
    assert updated.json()["name"] == "Soyuz"
    assert updated.json()["created_at"] == created.json()["created_at"]
    assert updated.headers["etag"] != created.headers["etag"]
    fetched = api.get(url, headers=owner.in_tenant(tenant))
    assert fetched.headers["etag"] == updated.headers["etag"]
    assert fetched.json() == updated.json()


def test_update_with_a_stale_etag_is_412(
    api: ApiClient, owner: Account, tenant: str | None
) -> None:
    created = api.create_project(owner, tenant, "Shenzhou")
    url = f"{PROJECTS}/{created.json()['id']}"
    headers = owner.in_tenant(tenant)
    stale = created.headers["etag"]
    assert (
        api.patch(
            url, headers=headers | {"If-Match": stale}, json={"name": "Shenzhou 2"}
        ).status_code
        == 200
    )

    response = api.patch(url, headers=headers | {"If-Match": stale}, json={"name": "Shenzhou 3"})

    assert response.status_code == 412
    assert api.get(url, headers=headers).json()["name"] == "Shenzhou 2"


@pytest.mark.parametrize("if_match", ['"nope"', "garbage", 'W/"1"'])
def test_update_with_a_foreign_etag_is_412(
    api: ApiClient, owner: Account, tenant: str | None, if_match: str
) -> None:
    project = api.new_project(owner, tenant)

    response = api.patch(
        f"{PROJECTS}/{project['id']}",
        headers=owner.in_tenant(tenant) | {"If-Match": if_match},
        json={"name": "x"},
    )

    assert response.status_code == 412


def test_update_without_if_match_is_allowed(
    api: ApiClient, owner: Account, tenant: str | None
) -> None:
    project = api.new_project(owner, tenant)

    response = api.patch(
        f"{PROJECTS}/{project['id']}",
        headers=owner.in_tenant(tenant),
        json={"name": "renamed", "description": None},
    )

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"]) == ("renamed", None)
    updated_at = datetime.fromisoformat(response.json()["updated_at"])
    assert updated_at >= datetime.fromisoformat(project["updated_at"])


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": None}, {"name": "n" * 201}, {"version": 7}],
    ids=["empty", "empty-name", "null-name", "long-name", "unknown-field"],
)
def test_update_rejects_invalid_bodies(
    api: ApiClient, owner: Account, tenant: str | None, body: dict
) -> None:
    project = api.new_project(owner, tenant)

    response = api.patch(f"{PROJECTS}/{project['id']}", headers=owner.in_tenant(tenant), json=body)

    assert response.status_code == 422
    assert response.json()["errors"]


# ---------------------------------------------------------------------------- Idempotency-Key
def test_a_repeated_idempotent_create_replays_the_first_response(
    api: ApiClient, owner: Account, tenant: str
) -> None:
    key = {"headers": {"Idempotency-Key": unique("key")}}
    first = api.create_project(owner, tenant, "Artemis", description="again", **key)

    replay = api.create_project(owner, tenant, "Artemis", description="again", **key)

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["location"] == first.headers["location"]
    assert replay.headers["etag"] == first.headers["etag"]
    assert [p["id"] for p in api.list_all_projects(owner, tenant)] == [first.json()["id"]]


def test_the_same_key_with_another_body_is_422(
    api: ApiClient, owner: Account, tenant: str | None
) -> None:
    key = {"headers": {"Idempotency-Key": unique("key")}}
    assert api.create_project(owner, tenant, "Ariane", **key).status_code == 201

    response = api.create_project(owner, tenant, "Vega", **key)

    assert response.status_code == 422
    assert [p["name"] for p in api.list_all_projects(owner, tenant)] == ["Ariane"]


@pytest.mark.tenanted
def test_idempotency_keys_do_not_cross_tenants(
    api: ApiClient, owner: Account, tenant: str | None
) -> None:
    key = {"headers": {"Idempotency-Key": unique("key")}}
    other_tenant = api.new_tenant(owner)["id"]
    first = api.create_project(owner, tenant, "Hermes", **key)

    elsewhere = api.create_project(owner, other_tenant, "Hermes", **key)

    assert elsewhere.status_code == 201
    assert elsewhere.json()["id"] != first.json()["id"]


def test_an_over_long_idempotency_key_is_422(
    api: ApiClient, owner: Account, tenant: str | None
) -> None:
    response = api.create_project(owner, tenant, headers={"Idempotency-Key": "k" * 256})

    assert response.status_code == 422
    assert "/header/idempotency-key" in {p.lower() for p in pointers(response)}


# ---------------------------------------------------------------------------- hostile input
@pytest.mark.parametrize(
    "name",
    [
        "nul\x00byte",
        "lone \ud800 surrogate",
        "emoji 💥 ünïcödé",
        "'; DROP TABLE projects; --",
        "  ",
    ],
    ids=["nul", "lone-surrogate", "unicode", "sql", "blank"],
)
def test_hostile_names_are_stored_verbatim_or_rejected(
    api: ApiClient, owner: Account, tenant: str | None, name: str
) -> None:
    # json.dumps escapes what httpx could not encode (a lone surrogate travels as \\ud800).
    response = api.post(
        PROJECTS,
        headers=owner.in_tenant(tenant) | {"Content-Type": "application/json"},
        content=json.dumps({"name": name}),
    )

    assert response.status_code in (201, 422)
    if response.status_code == 201:
        fetched = api.get(f"{PROJECTS}/{response.json()['id']}", headers=owner.in_tenant(tenant))
        assert fetched.json()["name"] == name
