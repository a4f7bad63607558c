"""The shape of errors (RFC 9457 problem details) and the request id on every response."""

from http import HTTPStatus
from typing import Any

import httpx
import pytest

from .api import Team, expect
from .contract import Contract

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "request_id"}


def assert_problem(response: httpx.Response, status: int, contract: Contract) -> dict[str, Any]:
    problem: dict[str, Any] = expect(response, status)
    assert response.headers["content-type"] == "application/problem+json"
    contract.schema("Problem").validate(problem)
    assert problem.keys() >= PROBLEM_FIELDS
    assert problem["type"] == "about:blank"
    assert problem["title"] == HTTPStatus(status).phrase
    assert problem["status"] == status
    assert problem["instance"] == response.request.url.path
    assert problem["request_id"] == response.headers["X-Request-ID"]
    assert problem["detail"]
    return problem


async def test_an_unknown_route_is_a_problem(client: httpx.AsyncClient, contract: Contract) -> None:
    assert_problem(await client.get("/api/v1/nothing-here"), 404, contract)


async def test_a_wrong_method_is_a_problem_with_allow(
    client: httpx.AsyncClient, contract: Contract
) -> None:
    response = await client.delete("/api/v1/tenants")

    assert_problem(response, 405, contract)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


async def test_invalid_json_is_a_validation_problem(
    client: httpx.AsyncClient, contract: Contract
) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": ',
        headers={"Content-Type": "application/json"},
    )

    problem = assert_problem(response, 422, contract)
    assert [error["pointer"] for error in problem["errors"]] == ["/body"]


async def test_each_invalid_field_gets_a_pointer_and_a_message(
    client: httpx.AsyncClient, contract: Contract
) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "not-an-email", "password": "short", "role": "admin"},
    )

    problem = assert_problem(response, 422, contract)
    pointers = sorted(error["pointer"] for error in problem["errors"])
    assert pointers == ["/body/email", "/body/password", "/body/role"]
    assert all(error["message"] for error in problem["errors"])


async def test_a_bad_request_names_the_header(
    client: httpx.AsyncClient, team: Team, contract: Contract
) -> None:
    response = await client.get("/api/v1/projects", headers=team.owner.auth)

    problem = assert_problem(response, 400, contract)
    assert problem["errors"][0]["pointer"] == "/header/x-tenant-id"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/healthz"),
        ("GET", "/api/v1/users/me"),
        ("GET", "/api/v1/nothing-here"),
        ("PUT", "/api/v1/tenants"),
        ("POST", "/api/v1/auth/login"),
        ("GET", "/api/v1/openapi.json"),
    ],
)
async def test_every_response_carries_a_request_id(
    client: httpx.AsyncClient, method: str, url: str
) -> None:
    first = await client.request(method, url)
    second = await client.request(method, url)

    assert first.headers["X-Request-ID"]
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


async def test_a_plain_incoming_request_id_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here", headers={"X-Request-ID": "abc-123.4:5"})

    assert response.headers["X-Request-ID"] == "abc-123.4:5"
    assert response.json()["request_id"] == "abc-123.4:5"


@pytest.mark.parametrize(
    "incoming", ["x" * 1000, "<script>alert(1)</script>", "a b"], ids=["long", "markup", "space"]
)
async def test_an_unsafe_incoming_request_id_is_replaced(
    client: httpx.AsyncClient, incoming: str
) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": incoming})

    assert response.headers["X-Request-ID"] not in {"", incoming}
