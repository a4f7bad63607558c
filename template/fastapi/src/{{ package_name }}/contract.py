"""The committed API contract (openapi.yaml), which the service serves as its own description.

FastAPI's generated schema is switched off: clients and docs see exactly the reviewed document.
The docs page is a static file with its scripts pinned by Subresource Integrity (see docs.html).
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
DOCS_PAGE_PATH = Path(__file__).with_name("docs.html")
OPENAPI_URL = "/api/v1/openapi.json"


@cache
def load_contract() -> dict[str, Any]:
    with CONTRACT_PATH.open(encoding="utf-8") as file:
        document: dict[str, Any] = yaml.safe_load(file)
    return document


def contract_router(contract: dict[str, Any], *, docs_enabled: bool) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    body = json.dumps(contract).encode()

    @router.get(OPENAPI_URL, name="openapi")
    async def openapi() -> Response:
        return Response(body, media_type="application/json")

    if docs_enabled:
        page = DOCS_PAGE_PATH.read_text(encoding="utf-8")

        @router.get("/docs", name="docs")
        async def docs() -> HTMLResponse:
            return HTMLResponse(page)

    return router
