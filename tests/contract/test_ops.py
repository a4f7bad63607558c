"""Operational endpoints and the served contract."""

from __future__ import annotations

import pytest

from .client import ApiClient

pytestmark = [pytest.mark.contract, pytest.mark.tenancy_independent]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_ok_without_credentials(api: ApiClient, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_served_contract_is_the_committed_openapi_yaml(
    api: ApiClient, contract_document: dict
) -> None:
    response = api.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/json"
    assert response.json() == contract_document


def test_the_docs_page_renders(api: ApiClient) -> None:
    response = api.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_the_suite_checked_responses_against_the_contract(api: ApiClient) -> None:
    """Guards the guard: the response hook really runs on this client."""
    before = api.contract.checked
    api.get("/healthz")
    assert api.contract.checked == before + 1
