"""Register, login and refresh are rate-limited per client address and per account (429).

Two servers with low limits (RATE_LIMIT_PER_ADDRESS=5/minute, RATE_LIMIT_PER_ACCOUNT=3/minute):
one behind a trusted proxy (TRUSTED_PROXIES=127.0.0.1, so each test acts from its own
X-Forwarded-For address and the tests do not share buckets), one without TRUSTED_PROXIES, where
X-Forwarded-For must change nothing. The per-address bucket is shared by the three routes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from .client import PASSWORD, unique_email
from .conftest import Launch
from .problems import assert_problem, plain_client, retry_after
from .server import ServerProcess

pytestmark = [pytest.mark.contract, pytest.mark.direct_only, pytest.mark.tenancy_independent]

PER_ADDRESS = 5
PER_ACCOUNT = 3
LIMITS = {
    "RATE_LIMIT_PER_ADDRESS": f"{PER_ADDRESS}/minute",
    "RATE_LIMIT_PER_ACCOUNT": f"{PER_ACCOUNT}/minute",
}
_addresses = (f"203.0.113.{i}" for i in itertools.count(1))


def new_address() -> str:
    """A documentation address (RFC 5737) that no other test of the module uses."""
    return next(_addresses)


@pytest.fixture(scope="module")
def proxied(launch: Launch) -> Iterator[ServerProcess]:
    with launch(workers=1, TRUSTED_PROXIES="127.0.0.1", **LIMITS) as server:
        yield server


@pytest.fixture(scope="module")
def unproxied(launch: Launch) -> Iterator[ServerProcess]:
    with launch(workers=1, TRUSTED_PROXIES=None, **LIMITS) as server:
        yield server


@pytest.fixture
def client(proxied: ServerProcess) -> Iterator[httpx.Client]:
    with plain_client(proxied.base_url) as client:
        yield client


def register(client: httpx.Client, address: str, email: str | None = None) -> httpx.Response:
    return client.post(
        "/api/v1/auth/register",
        headers={"X-Forwarded-For": address},
        json={"email": email or unique_email("limited"), "password": PASSWORD},
    )


def login(client: httpx.Client, address: str, email: str) -> httpx.Response:
    return client.post(
        "/api/v1/auth/login",
        headers={"X-Forwarded-For": address},
        json={"email": email, "password": PASSWORD},
    )


def refresh(client: httpx.Client, address: str, token: str) -> httpx.Response:
    return client.post(
        "/api/v1/auth/refresh", headers={"X-Forwarded-For": address}, json={"refresh_token": token}
    )


def assert_429(response: httpx.Response) -> None:
    assert_problem(response, 429)
    assert retry_after(response) <= 60, "the window is a minute"


# ---------------------------------------------------------------------------- per address
def test_an_address_past_its_limit_gets_429_with_retry_after(client: httpx.Client) -> None:
    address = new_address()
    for _ in range(PER_ADDRESS):
        assert register(client, address).status_code == 201

    assert_429(register(client, address))


def test_register_login_and_refresh_share_the_address_bucket(client: httpx.Client) -> None:
    address, email = new_address(), unique_email("shared")
    assert register(client, address, email).status_code == 201
    tokens = login(client, address, email).json()
    assert refresh(client, address, tokens["refresh_token"]).status_code == 200
    assert login(client, address, email).status_code == 200
    assert register(client, address).status_code == 201  # the fifth

    assert_429(refresh(client, address, "any-token"))


def test_other_addresses_keep_their_own_budget(client: httpx.Client) -> None:
    exhausted = new_address()
    for _ in range(PER_ADDRESS):
        register(client, exhausted)
    assert register(client, exhausted).status_code == 429

    assert register(client, new_address()).status_code == 201


def test_the_right_most_untrusted_forwarded_address_is_the_client(client: httpx.Client) -> None:
    """Entries left of it are the client's own claims: changing them escapes nothing."""
    address = new_address()
    for i in range(PER_ADDRESS):
        assert register(client, f"198.51.100.{i}, {address}").status_code == 201

    assert register(client, f"198.51.100.99, {address}").status_code == 429


def test_forwarded_for_is_ignored_without_trusted_proxies(unproxied: ServerProcess) -> None:
    with plain_client(unproxied.base_url) as client:
        for _ in range(PER_ADDRESS):
            assert register(client, new_address()).status_code == 201

        assert_429(register(client, new_address()))


# ---------------------------------------------------------------------------- per account
def test_logins_to_one_account_are_limited_from_any_address(client: httpx.Client) -> None:
    email = unique_email("victim")
    assert register(client, new_address(), email).status_code == 201

    statuses = [login(client, new_address(), email).status_code for _ in range(PER_ACCOUNT + 1)]

    # Whether registering counted against the email's budget is the flavours' choice.
    assert statuses[: PER_ACCOUNT - 1] == [200] * (PER_ACCOUNT - 1)
    assert statuses[-1] == 429, statuses


def test_the_account_limit_ignores_the_email_case(client: httpx.Client) -> None:
    email = unique_email("cased")
    for _ in range(PER_ACCOUNT):
        assert login(client, new_address(), email).status_code == 401  # no such user

    assert_429(login(client, new_address(), email.upper()))


def test_one_account_past_its_limit_leaves_others_alone(client: httpx.Client) -> None:
    email = unique_email("flooded")
    for _ in range(PER_ACCOUNT):
        login(client, new_address(), email)
    assert login(client, new_address(), email).status_code == 429

    assert login(client, new_address(), unique_email("bystander")).status_code == 401


def test_refreshes_of_one_token_are_limited_from_any_address(client: httpx.Client) -> None:
    token = "a-refresh-token-someone-keeps-trying"
    for _ in range(PER_ACCOUNT):
        assert refresh(client, new_address(), token).status_code == 401

    assert_429(refresh(client, new_address(), token))
