"""Request bodies are capped (MAX_REQUEST_BODY_BYTES, 1 MiB by default) while they stream in.

A 2 MiB body answers 413 problem+json whether its size is announced (Content-Length) or not
(chunked), on an unauthenticated route and on an authenticated one. The server may answer before
the body is complete, so the requests go over a bare socket that keeps reading while it sends.
"""

from __future__ import annotations

import json

import pytest

from .client import ApiClient
from .conformance import PROBLEM_MEDIA_TYPE, PROBLEM_TITLES
from .rawhttp import RawResponse, chunked, send_while_reading
from .server import ServerProcess

pytestmark = [pytest.mark.contract, pytest.mark.direct_only, pytest.mark.tenancy_independent]

LIMIT = 1024 * 1024
OVERSIZED = 2 * 1024 * 1024
PIECE = 64 * 1024


def json_body(size: int) -> bytes:
    """A well-formed JSON login body of exactly `size` bytes."""
    skeleton = b'{"email": "a@example.com", "password": ""}'
    return skeleton[:-2] + b"p" * (size - len(skeleton)) + b'"}'


def pieces(body: bytes) -> list[bytes]:
    return [body[i : i + PIECE] for i in range(0, len(body), PIECE)]


def head(path: str, extra: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def assert_413(response: RawResponse | None) -> None:
    assert response is not None, "the connection closed without an answer"
    assert response.status == 413, response
    assert response.headers["content-type"].split(";")[0] == PROBLEM_MEDIA_TYPE
    problem = json.loads(response.body)
    assert (problem["status"], problem["title"]) == (413, PROBLEM_TITLES[413])


@pytest.fixture(scope="module")
def auth(api: ApiClient) -> dict[str, str]:
    owner = api.new_owner("bodies")
    return owner.in_tenant(api.new_scope(owner))


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/projects"])
def test_an_announced_oversized_body_is_413(
    server: ServerProcess, auth: dict[str, str], path: str
) -> None:
    body = json_body(OVERSIZED)

    response = send_while_reading(
        server.port, head(path, auth | {"Content-Length": str(len(body))}), pieces(body)
    )

    assert_413(response)


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/projects"])
def test_a_chunked_oversized_body_is_413(
    server: ServerProcess, auth: dict[str, str], path: str
) -> None:
    response = send_while_reading(
        server.port,
        head(path, auth | {"Transfer-Encoding": "chunked"}),
        chunked(pieces(json_body(OVERSIZED))),
    )

    assert_413(response)


def test_a_body_just_under_the_limit_is_read(server: ServerProcess) -> None:
    """Guards the two tests above: the cap is the limit, not any large body."""
    body = json_body(LIMIT - 1024)

    response = send_while_reading(
        server.port,
        head("/api/v1/auth/login", {"Content-Length": str(len(body))}),
        pieces(body),
    )

    assert response is not None, "the connection closed without an answer"
    # A password of a million characters: refused (422) or a failed login (401), never 413.
    assert response.status in (401, 422), response
