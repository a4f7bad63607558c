"""Refresh-token reuse: a benign two-tab race keeps the session, every other reuse revokes it.

Presenting the token rotated within the last REFRESH_REUSE_GRACE_SECONDS (2 s for contract
servers), when it is the immediate predecessor of the family's newest live token, answers 401
and leaves the family alone. Any other reuse of a rotated token (an older one, or after the
window) revokes the whole family. REFRESH_REUSE_GRACE_SECONDS=0 disables the grace.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from .client import Account, ApiClient
from .conformance import Contract
from .conftest import Launch

pytestmark = [pytest.mark.contract, pytest.mark.tenancy_independent]

GRACE_SECONDS = 2  # server.app_settings


def rotate(api: ApiClient, token: str) -> str:
    response = api.refresh(token)
    assert response.status_code == 200, response.text
    return response.json()["refresh_token"]


@pytest.fixture
def account(api: ApiClient) -> Account:
    return api.new_account("grace")


def test_replaying_the_predecessor_within_the_grace_keeps_the_family(
    api: ApiClient, account: Account
) -> None:
    newest = rotate(api, account.refresh_token)

    assert api.refresh(account.refresh_token).status_code == 401, "the grace issues no token"

    assert api.refresh(newest).status_code == 200


def test_the_grace_covers_the_predecessor_of_a_later_rotation(
    api: ApiClient, account: Account
) -> None:
    middle = rotate(api, account.refresh_token)
    newest = rotate(api, middle)

    assert api.refresh(middle).status_code == 401

    assert api.refresh(newest).status_code == 200


def test_replaying_an_older_token_revokes_the_family_even_within_the_grace(
    api: ApiClient, account: Account
) -> None:
    newest = rotate(api, rotate(api, account.refresh_token))

    assert api.refresh(account.refresh_token).status_code == 401

    assert api.refresh(newest).status_code == 401


def test_replaying_the_predecessor_after_the_grace_revokes_the_family(
    api: ApiClient, account: Account
) -> None:
    newest = rotate(api, account.refresh_token)
    time.sleep(GRACE_SECONDS + 1)  # the window itself is what is tested: nothing to poll

    assert api.refresh(account.refresh_token).status_code == 401

    assert api.refresh(newest).status_code == 401


@pytest.fixture(scope="module")
def graceless(launch: Launch, contract: Contract) -> Iterator[ApiClient]:
    with (
        launch(REFRESH_REUSE_GRACE_SECONDS="0") as server,
        ApiClient(server.base_url, contract) as client,
    ):
        yield client


@pytest.mark.direct_only
def test_a_grace_of_zero_revokes_on_any_replay(graceless: ApiClient) -> None:
    account = graceless.new_account("graceless")
    newest = rotate(graceless, account.refresh_token)

    assert graceless.refresh(account.refresh_token).status_code == 401

    assert graceless.refresh(newest).status_code == 401
