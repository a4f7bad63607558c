"""If-Match follows RFC 9110 (strong comparison, lists, `*`, weak tags never match), and the
Location of a created project is a relative path, never built from the request's Host."""

from __future__ import annotations

import uuid

import pytest

from .client import Account, ApiClient, unique

pytestmark = pytest.mark.contract

PROJECTS = "/api/v1/projects"


@pytest.fixture(scope="module")
def owner(api: ApiClient) -> Account:
    return api.new_owner("preconditions")


@pytest.fixture(scope="module")
def tenant(api: ApiClient, owner: Account) -> str | None:
    return api.new_scope(owner)


@pytest.fixture
def tagged(api: ApiClient, owner: Account, tenant: str | None) -> tuple[str, str]:
    """(path, current ETag) of a fresh project."""
    created = api.create_project(owner, tenant)
    assert created.status_code == 201
    return f"{PROJECTS}/{created.json()['id']}", created.headers["etag"]


def patch(api: ApiClient, owner: Account, tenant: str | None, path: str, if_match: str):
    return api.patch(
        path,
        headers=owner.in_tenant(tenant) | {"If-Match": if_match},
        json={"name": unique("renamed")},
    )


def test_if_match_star_matches_the_current_representation(
    api: ApiClient, owner: Account, tenant: str | None, tagged: tuple[str, str]
) -> None:
    path, _ = tagged

    assert patch(api, owner, tenant, path, "*").status_code == 200


def test_if_match_star_on_a_missing_project_is_404(
    api: ApiClient, owner: Account, tenant: str
) -> None:
    response = patch(api, owner, tenant, f"{PROJECTS}/{uuid.uuid4()}", "*")

    assert response.status_code == 404


def test_a_list_matches_when_any_entry_matches(
    api: ApiClient, owner: Account, tenant: str | None, tagged: tuple[str, str]
) -> None:
    path, etag = tagged

    assert patch(api, owner, tenant, path, f'"other", {etag}, "another"').status_code == 200


def test_a_list_without_the_current_tag_is_412(
    api: ApiClient, owner: Account, tenant: str | None, tagged: tuple[str, str]
) -> None:
    path, _ = tagged

    assert patch(api, owner, tenant, path, '"other", "another"').status_code == 412


@pytest.mark.parametrize("form", ["alone", "in-a-list"])
def test_the_weak_form_of_the_current_tag_never_matches(
    api: ApiClient, owner: Account, tenant: str | None, tagged: tuple[str, str], form: str
) -> None:
    path, etag = tagged
    weak = f"W/{etag}" if form == "alone" else f'"other", W/{etag}'

    assert patch(api, owner, tenant, path, weak).status_code == 412


@pytest.mark.tenanted
def test_preconditions_of_another_tenants_project_are_not_evaluated(
    api: ApiClient, owner: Account, tagged: tuple[str, str]
) -> None:
    """404, not 412 or 200: the precondition must not reveal that the project exists."""
    path, etag = tagged
    stranger = api.new_account("stranger")
    elsewhere = api.new_tenant(stranger)["id"]

    assert patch(api, stranger, elsewhere, path, etag).status_code == 404
    assert patch(api, stranger, elsewhere, path, '"stale"').status_code == 404


# ---------------------------------------------------------------------------- Location
def test_location_is_the_relative_path_of_the_project(
    api: ApiClient, owner: Account, tenant: str
) -> None:
    created = api.create_project(owner, tenant)

    assert created.headers["location"] == f"{PROJECTS}/{created.json()['id']}"


def test_location_ignores_the_host_header(
    api: ApiClient, owner: Account, tenant: str | None
) -> None:
    created = api.create_project(owner, tenant, headers={"Host": "evil.example"})

    assert created.status_code == 201
    assert "evil.example" not in created.headers["location"]
    assert created.headers["location"] == f"{PROJECTS}/{created.json()['id']}"
