"""The service serves exactly the committed contract (openapi.yaml), and answers as it says.

Every response of every test is also checked against the contract by the `client` fixture;
the tests here make sure that check covers every operation and cannot pass vacuously.
"""

import re

import httpx
import jsonschema
import pytest
from fastapi import FastAPI

from .api import Api, AppFactory, client_for, expect
from .contract import Contract, Operation


def mounted_operations(app: FastAPI) -> set[Operation]:
    """What the app routes, read from the description FastAPI generates of its own routes.

    The app serves the committed contract instead, so this is the independent second opinion.
    Routes kept out of that description (the contract itself, /docs) are not operations.
    """
    generated = app.openapi()
    return {
        (method.upper(), path)
        for path, item in generated["paths"].items()
        for method in item
        if method != "parameters"
    }


def test_the_app_mounts_exactly_the_operations_of_the_contract(
    app: FastAPI, contract: Contract
) -> None:
    mounted = mounted_operations(app)

    assert mounted, "no routes found"
    assert sorted(mounted - contract.operations) == [], "routes missing from openapi.yaml"
    assert sorted(contract.operations - mounted) == [], "operations the app does not serve"


def test_route_names_are_the_operation_ids(app: FastAPI, contract: Contract) -> None:
    for path, item in contract.document["paths"].items():
        # Path templates such as {tenant_id}: fill each parameter with its own placeholder.
        parameters = {match[1:-1]: match for match in re.findall(r"\{\w+\}", path)}
        for method, operation in item.items():
            if method != "parameters":
                assert app.url_path_for(operation["operationId"], **parameters) == path


async def test_the_served_description_is_the_committed_contract(
    client: httpx.AsyncClient, contract: Contract
) -> None:
    response = await client.get("/api/v1/openapi.json")

    assert expect(response, 200) == contract.document
    assert response.headers["content-type"] == "application/json"


async def test_the_docs_page_renders_the_contract(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")

    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.text


async def test_the_docs_page_can_be_switched_off(start_app: AppFactory) -> None:
    async with start_app(docs_enabled=False) as app, client_for(app) as client:
        expect(await client.get("/docs"), 404)
        expect(await client.get("/api/v1/openapi.json"), 200)


async def test_production_serves_no_docs_page_unless_asked(start_app: AppFactory) -> None:
    async with start_app(environment="production") as app, client_for(app) as client:
        expect(await client.get("/docs"), 404)
    async with (
        start_app(environment="production", docs_enabled=True) as app,
        client_for(app) as client,
    ):
        assert (await client.get("/docs")).status_code == 200


async def test_every_operation_answers_as_the_contract_says(api: Api, contract: Contract) -> None:
    client = api.client
    answered: set[Operation] = set()

    async def record(response: httpx.Response) -> None:
        operation = contract.match(response.request.method, response.request.url.path)
        if operation is not None and response.is_success:
            answered.add(operation)

    client.event_hooks["response"].append(record)

    owner, colleague = await api.sign_up("owner"), await api.sign_up("colleague")
    tokens = await api.login(owner.email)
    refreshed = expect(
        await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
        200,
    )
    expect(await client.get("/api/v1/users/me", headers=owner.auth), 200)
    tenant_id = await api.create_tenant(owner)
    tenant = f"/api/v1/tenants/{tenant_id}"
    expect(await client.get("/api/v1/tenants", headers=owner.auth), 200)
    expect(await client.get(tenant, headers=owner.auth), 200)
    await api.add_member(tenant_id, by=owner, user=colleague, role="member")
    expect(await client.get(f"{tenant}/members", headers=owner.auth), 200)
    member = f"{tenant}/members/{colleague.id}"
    expect(await client.patch(member, headers=owner.auth, json={"role": "admin"}), 200)
    project = await api.create_project(owner, tenant_id)
    headers = owner.in_tenant(tenant_id)
    expect(await client.get("/api/v1/projects", headers=headers), 200)
    url = f"/api/v1/projects/{project['id']}"
    expect(await client.get(url, headers=headers), 200)
    expect(await client.patch(url, headers=headers, json={"description": "Updated"}), 200)
    expect(await client.delete(url, headers=headers), 204)
    expect(await client.delete(member, headers=owner.auth), 204)
    logout = {"refresh_token": refreshed["refresh_token"]}
    expect(await client.post("/api/v1/auth/logout", json=logout), 204)
    expect(await client.get("/healthz"), 200)
    expect(await client.get("/readyz"), 200)

    assert sorted(contract.operations - answered) == []


@pytest.mark.parametrize(
    ("schema", "sample"),
    [
        (
            "User",
            {
                "id": "not-a-uuid",
                "email": "a@b.co",
                "full_name": None,
                "created_at": "2025-01-01T00:00:00Z",
            },
        ),
        ("User", {"id": "0190a4b8-2c7e-7000-8000-000000000000", "email": "a@b.co"}),
        (
            "Project",
            {
                "id": "0190a4b8-2c7e-7000-8000-000000000000",
                "name": "A",
                "description": None,
                "created_at": "2025-01-01T00:00:00Z",
                "updated_at": "2025-01-01T00:00:00Z",
                "tenant_id": "0190a4b8-2c7e-7000-8000-000000000000",
            },
        ),
        (
            "TokenPair",
            {"access_token": "a", "refresh_token": "r", "token_type": "mac", "expires_in": 1},
        ),
        ("Problem", {"type": "about:blank", "title": "Not Found", "status": 404}),
    ],
    ids=["malformed id", "missing fields", "extra field", "wrong const", "problem without detail"],
)
def test_the_contract_check_rejects_what_the_contract_forbids(
    contract: Contract, schema: str, sample: dict[str, object]
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        contract.schema(schema).validate(sample)
