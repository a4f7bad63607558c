"""The response hook itself: it must reject what the contract forbids (no server needed)."""

from __future__ import annotations

import json

import httpx
import pytest

from .conformance import ConformanceError, Contract

pytestmark = pytest.mark.contract

USER = {
    "id": "01890000-0000-7000-8000-000000000000",
    "email": "ada@example.com",
    "full_name": None,
    "created_at": "2025-01-01T00:00:00Z",
}


def problem(http_status: int, path: str, **fields) -> dict:
    titles = {401: "Unauthorized", 404: "Not Found", 409: "Conflict"}
    return {
        "type": "about:blank",
        "title": titles[http_status],
        "status": http_status,
        "detail": "What went wrong, in words.",
        "instance": path,
        "request_id": "rid",
        **fields,
    }


def response(status: int, method: str, path: str, body=None, **headers) -> httpx.Response:
    headers = {"X-Request-ID": "rid", **headers}
    content = b""
    if body is not None:
        headers.setdefault("Content-Type", "application/json")
        content = json.dumps(body).encode()
    return httpx.Response(
        status, headers=headers, content=content, request=httpx.Request(method, f"http://t{path}")
    )


def problem_response(http_status: int, path: str, method: str = "GET", **fields) -> httpx.Response:
    body = problem(http_status, path, **fields)
    return response(http_status, method, path, body, **{"Content-Type": "application/problem+json"})


REGISTER = "/api/v1/auth/register"
LEAKY_DETAIL = 'duplicate key value violates unique constraint "users_email_key"'


def test_a_conforming_response_passes(contract: Contract) -> None:
    # Under tenancy=none a user has a role in the organisation.
    user_schema = contract.document["components"]["schemas"]["User"]
    user = USER | ({"role": "member"} if "role" in user_schema["required"] else {})
    contract.check(response(201, "POST", REGISTER, user))
    contract.check(problem_response(404, "/nope"))


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (response(201, "POST", REGISTER, USER | {"password_hash": "x"}), "does not match"),
        (response(201, "POST", REGISTER, {"id": USER["id"]}), "does not match"),
        (response(201, "POST", REGISTER, USER | {"id": "1"}), "does not match"),
        (response(200, "POST", REGISTER, USER), "not documented"),
        (response(204, "POST", "/api/v1/auth/logout", {"ok": True}), "no body"),
        (response(404, "GET", "/nope", problem(404, "/nope")), "problem\\+json"),
        (problem_response(404, "/nope", instance="/elsewhere"), "instance"),
        (problem_response(404, "/nope", type="https://example.com/x"), "about:blank"),
        (problem_response(404, "/nope", title="Gone"), "title"),
        (problem_response(404, "/nope", status=400), "status"),
        (problem_response(409, REGISTER, "POST", detail=LEAKY_DETAIL), "leaks"),
        (problem_response(401, "/api/v1/users/me"), "WWW-Authenticate"),
    ],
    ids=[
        "extra-field",
        "missing-fields",
        "bad-uuid",
        "undocumented-status",
        "body-on-204",
        "json-not-problem-json",
        "instance",
        "type",
        "title",
        "status",
        "leak",
        "401-without-challenge",
    ],
)
def test_violations_are_caught(contract: Contract, bad: httpx.Response, reason: str) -> None:
    with pytest.raises(ConformanceError, match=reason):
        contract.check(bad)


def test_a_response_without_request_id_is_caught(contract: Contract) -> None:
    bare = httpx.Response(
        200, json={"status": "ok"}, request=httpx.Request("GET", "http://test/healthz")
    )

    with pytest.raises(ConformanceError, match="X-Request-ID"):
        contract.check(bare)
