"""Checks of problem documents for statuses the contract hook cannot vouch for.

413, 429 and 503 can answer any operation (a body cap, a rate limit, a database outage), so the
tests that provoke them use a client without the contract hook and check the answer here.
"""

from __future__ import annotations

import httpx

from .conformance import PROBLEM_MEDIA_TYPE, PROBLEM_TITLES


def assert_problem(response: httpx.Response, status: int) -> dict:
    """`response` is a problem+json document for `status` with its RFC 9110 title."""
    assert response.status_code == status, (
        f"expected {status}: {response.status_code} {response.text[:500]}"
    )
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    assert media_type == PROBLEM_MEDIA_TYPE, (
        f"{status} must be {PROBLEM_MEDIA_TYPE}: {media_type!r}"
    )
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"] == PROBLEM_TITLES[status]
    assert problem["detail"].strip()
    return problem


def retry_after(response: httpx.Response) -> int:
    """The Retry-After header, which must be a positive number of seconds."""
    value = response.headers.get("retry-after")
    assert value is not None, f"{response.status_code} without Retry-After"
    assert value.isdigit() and int(value) > 0, f"Retry-After must be positive seconds: {value!r}"
    return int(value)


def plain_client(base_url: str, **kwargs) -> httpx.Client:
    """A client without the contract hook, one connection per request (see ApiClient)."""
    return httpx.Client(
        base_url=base_url,
        timeout=kwargs.pop("timeout", 30),
        limits=httpx.Limits(max_keepalive_connections=0),
        **kwargs,
    )
