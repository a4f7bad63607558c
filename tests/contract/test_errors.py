"""Errors are RFC 9457 problem documents; routing errors, auth and validation behave uniformly.

The response hook already checks every error of the suite (problem+json, fields, status phrase,
instance, request_id, no leaked internals); these tests provoke each kind of error on purpose.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from .client import Account, ApiClient, unique, unique_email
from .conformance import PROBLEM_MEDIA_TYPE, ConformanceError, Contract

pytestmark = [pytest.mark.contract, pytest.mark.tenancy_independent]

POINTER_PREFIXES = ("/body", "/query", "/header", "/path")

# A valid body for each operation that takes one (every optional field set too), so that only
# the aspect under test is wrong.
VALID_BODIES = {
    "register": lambda: {
        "email": unique_email("body"),
        "password": "correct horse battery staple",
        "full_name": "Body Double",
    },
    "login": lambda: {"email": unique_email("body"), "password": "correct horse battery staple"},
    "refreshTokens": lambda: {"refresh_token": "some-token"},
    "logout": lambda: {"refresh_token": "some-token"},
    "createTenant": lambda: {"name": "Tenant", "slug": unique("t")},
    "addMember": lambda: {"email": unique_email("body"), "role": "member"},
    "updateMember": lambda: {"role": "admin"},
    "createProject": lambda: {"name": unique("project"), "description": "described"},
    "updateProject": lambda: {"name": unique("project"), "description": "described"},
}
TENANT_OPERATIONS = {"createTenant", "addMember", "updateMember"}  # absent under tenancy=none


@dataclass
class Scene:
    owner: Account
    tenant: str | None
    project: str
    member: Account

    def fill(self, template: str) -> str:
        return template.format(
            tenant_id=self.tenant, project_id=self.project, user_id=self.member.id
        )


@pytest.fixture(scope="module")
def scene(api: ApiClient) -> Scene:
    owner = api.new_owner("scene")
    tenant = api.new_scope(owner)
    return Scene(
        owner=owner,
        tenant=tenant,
        project=api.new_project(owner, tenant)["id"],
        member=api.join(owner, tenant, "member"),
    )


def operation_ids(contract_document: dict, predicate) -> list[str]:
    return [
        operation["operationId"]
        for path_item in contract_document["paths"].values()
        for method, operation in path_item.items()
        if isinstance(operation, dict) and "operationId" in operation and predicate(operation)
    ]


def operation(contract: Contract, operation_id: str):
    return next(op for op in contract.operations if op.operation_id == operation_id)


def request_for(
    api: ApiClient, contract: Contract, scene: Scene, operation_id: str, headers: dict, body=None
):
    op = operation(contract, operation_id)
    spec = contract.resolve(op.pointer)[1]
    if body is None and "requestBody" in spec:
        body = VALID_BODIES[operation_id]()
    return api.request(op.method, scene.fill(op.template), headers=headers, json=body)


def problem_fields(response) -> dict:
    assert response.headers["content-type"].split(";")[0] == PROBLEM_MEDIA_TYPE
    return response.json()


# ---------------------------------------------------------------------------- routing errors
@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/nope", "/api/v2/projects", "/api/v1/projects/x/y"]
)
def test_an_unknown_route_is_a_404_problem(api: ApiClient, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 404
    problem = problem_fields(response)
    assert problem["instance"] == path
    assert problem["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/auth/login"),
        ("GET", "/api/v1/auth/register"),
        ("PUT", "/api/v1/projects"),
        ("PUT", "/api/v1/projects/{project_id}"),
        ("POST", "/api/v1/users/me"),
        ("POST", "/healthz"),
    ],
)
def test_a_wrong_method_is_a_405_problem_with_allow(
    api: ApiClient, contract_document: dict, scene: Scene, method: str, path: str
) -> None:
    response = api.request(method, scene.fill(path), headers=scene.owner.in_tenant(scene.tenant))

    assert response.status_code == 405
    problem_fields(response)
    allowed = {m.strip().upper() for m in response.headers["allow"].split(",")}
    documented = {m.upper() for m in contract_document["paths"][path] if m != "parameters"}
    assert allowed - {"HEAD", "OPTIONS"} == documented


# ---------------------------------------------------------------------------- auth errors
def secured(op: dict) -> bool:
    return op.get("security") != []


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-a-token"], ids=["no-credentials", "bad-credentials"]
)
def test_every_secured_operation_requires_a_bearer_token(
    api: ApiClient,
    contract: Contract,
    contract_document: dict,
    scene: Scene,
    authorization: str | None,
) -> None:
    for operation_id in operation_ids(contract_document, secured):
        headers = {} if scene.tenant is None else {"X-Tenant-ID": scene.tenant}
        if authorization:
            headers["Authorization"] = authorization

        response = request_for(api, contract, scene, operation_id, headers)

        assert response.status_code == 401, operation_id
        assert response.headers["www-authenticate"].lower().startswith("bearer"), operation_id


# ---------------------------------------------------------------------------- validation errors
def test_validation_errors_point_at_each_invalid_field(api: ApiClient) -> None:
    response = api.post(
        "/api/v1/auth/register", json={"email": "not-an-email", "password": "short"}
    )

    assert response.status_code == 422
    errors = problem_fields(response)["errors"]
    assert {e["pointer"] for e in errors} >= {"/body/email", "/body/password"}
    assert all(e["message"].strip() for e in errors)


def test_operations_reject_unknown_body_fields(
    api: ApiClient, contract: Contract, contract_document: dict, scene: Scene
) -> None:
    with_body = operation_ids(contract_document, lambda op: "requestBody" in op)
    absent = set() if api.tenanted else TENANT_OPERATIONS
    assert set(with_body) == set(VALID_BODIES) - absent, (
        "VALID_BODIES must cover every operation with a body"
    )
    for operation_id in with_body:
        body = VALID_BODIES[operation_id]() | {"is_superuser": True}

        response = request_for(
            api, contract, scene, operation_id, scene.owner.in_tenant(scene.tenant), body
        )

        assert response.status_code == 422, operation_id
        assert "/body/is_superuser" in {e["pointer"] for e in response.json()["errors"]}, (
            operation_id
        )


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"[]", b'"text"', b"null", b'{"email": ', b"\xff\xfe{}", b'{"email": "\xe9"}'],
    ids=["empty", "truncated", "array", "string", "null", "half-object", "not-utf8", "latin1"],
)
def test_a_body_that_is_not_the_documented_object_is_422(api: ApiClient, content: bytes) -> None:
    response = api.post(
        "/api/v1/auth/login", content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert all(e["pointer"].startswith("/body") for e in problem_fields(response)["errors"])


@pytest.mark.parametrize(
    ("path", "params", "pointer"),
    [
        ("/api/v1/projects", {"limit": "0"}, "/query/limit"),
        ("/api/v1/projects/not-a-uuid", {}, "/path/project_id"),
        pytest.param(
            "/api/v1/tenants/not-a-uuid", {}, "/path/tenant_id", marks=pytest.mark.tenanted
        ),
    ],
)
def test_parameter_errors_point_at_the_parameter(
    api: ApiClient, scene: Scene, path: str, params: dict, pointer: str
) -> None:
    response = api.get(path, params=params, headers=scene.owner.in_tenant(scene.tenant))

    assert response.status_code == 422
    assert pointer in {e["pointer"] for e in problem_fields(response)["errors"]}


def test_every_pointer_names_a_part_of_the_request(api: ApiClient, scene: Scene) -> None:
    response = api.post(
        "/api/v1/projects",
        headers=scene.owner.in_tenant(scene.tenant) | {"Idempotency-Key": ""},
        json={"name": "", "description": 5, "extra": 1},
    )

    assert response.status_code == 422
    for error in problem_fields(response)["errors"]:
        assert error["pointer"].startswith(POINTER_PREFIXES), error


# ---------------------------------------------------------------------------- request ids
def test_every_response_carries_a_fresh_request_id(api: ApiClient) -> None:
    ids = {api.get("/healthz").headers["x-request-id"] for _ in range(5)}
    ids.add(api.get("/nope").headers["x-request-id"])

    assert len(ids) == 6


def test_a_sane_incoming_request_id_is_echoed(api: ApiClient) -> None:
    request_id = f"req-{uuid.uuid4()}"

    ok = api.get("/healthz", headers={"X-Request-ID": request_id})
    error = api.get("/nope", headers={"X-Request-ID": request_id})

    assert ok.headers["x-request-id"] == request_id
    assert error.headers["x-request-id"] == error.json()["request_id"] == request_id


@pytest.mark.parametrize(
    "request_id",
    ["x" * 500, "has spaces in it", "<script>", ""],
    ids=["huge", "spaces", "markup", "empty"],
)
def test_an_insane_incoming_request_id_is_replaced(api: ApiClient, request_id: str) -> None:
    response = api.get("/healthz", headers={"X-Request-ID": request_id})

    assert response.headers["x-request-id"] not in ("", request_id)


def test_a_nul_byte_in_any_string_field_is_never_a_server_error(
    api: ApiClient, contract: Contract, contract_document: dict, scene: Scene
) -> None:
    """PostgreSQL text cannot hold U+0000: the API must refuse it (or clean it), not crash."""
    failures = []
    for operation_id in operation_ids(contract_document, lambda op: "requestBody" in op):
        valid = VALID_BODIES[operation_id]()
        for field in [name for name, value in valid.items() if isinstance(value, str)]:
            body = valid | {field: f"nul\x00{valid[field]}"}
            headers = scene.owner.in_tenant(scene.tenant)
            try:
                request_for(api, contract, scene, operation_id, headers, body)
            except ConformanceError as exc:
                failures.append(f"{operation_id} /body/{field}: {exc.problem}")

    assert not failures, "\n".join(failures)
