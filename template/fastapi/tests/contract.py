"""The committed OpenAPI contract, and a check of real responses against it."""

import functools
import re
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

CONTRACT_PATH = Path(__file__).resolve().parents[1] / "openapi.yaml"
_CONTRACT_URI = "urn:contract:openapi.yaml"
_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})

type Operation = tuple[str, str]
"""An operation as (METHOD, path template), e.g. ("GET", "/api/v1/projects/{project_id}")."""


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


class Contract:
    """openapi.yaml, with its components.schemas usable as JSON Schema 2020-12."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._registry: Registry[Any] = Registry().with_resource(
            _CONTRACT_URI, DRAFT202012.create_resource(document)
        )
        self.operations: frozenset[Operation] = frozenset(
            (method.upper(), path)
            for path, item in document["paths"].items()
            for method in item
            if method in _HTTP_METHODS
        )
        self._templates = [
            (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"), path)
            for path in document["paths"]
        ]

    def match(self, method: str, url_path: str) -> Operation | None:
        """The operation serving a concrete request, or None when the contract has none."""
        for pattern, template in self._templates:
            if pattern.match(url_path) and (method, template) in self.operations:
                return method, template
        return None

    def validator(self, pointer: str) -> Draft202012Validator:
        """A validator for the schema at a JSON pointer into the document."""
        return Draft202012Validator(
            {"$ref": f"{_CONTRACT_URI}#{pointer}"},
            registry=self._registry,
            format_checker=FormatChecker(),
        )

    def schema(self, name: str) -> Draft202012Validator:
        return self.validator(f"/components/schemas/{_escape(name)}")

    def check_response(self, response: httpx.Response) -> None:
        """Fail unless the response is one the contract declares for its operation.

        Responses to requests outside the contract (unknown routes, methods the path does not
        have) are left to the tests that provoke them.
        """
        operation = self.match(response.request.method, response.request.url.path)
        if operation is None:
            return
        method, template = operation
        pointer = f"/paths/{_escape(template)}/{method.lower()}/responses/{response.status_code}"
        declared = self._resolve(pointer)
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        if declared is None and response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR:
            # Any operation can fail unexpectedly; the answer is still a problem document.
            assert media_type == "application/problem+json", f"{method} {template}: {media_type}"
            self.schema("Problem").validate(response.json())
            return
        if declared is None:
            raise AssertionError(
                f"{method} {template} answered {response.status_code}, "
                f"which the contract does not declare: {response.text[:500]}"
            )
        pointer, spec = declared
        for header in spec.get("headers", {}):
            assert header in response.headers, f"{method} {template}: no {header} header"
        content = spec.get("content")
        if content is None:
            assert response.content == b"", f"{method} {template}: unexpected body"
            return
        assert media_type in content, (
            f"{method} {template} answered {response.status_code} as {media_type!r}, "
            f"the contract says {sorted(content)}"
        )
        self.validator(f"{pointer}/content/{_escape(media_type)}/schema").validate(response.json())

    def _resolve(self, pointer: str) -> tuple[str, dict[str, Any]] | None:
        """The node at a pointer, following local $refs; None when there is no such node."""
        node: Any = self.document
        for segment in pointer.lstrip("/").split("/"):
            key = segment.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            return self._resolve(node["$ref"].removeprefix("#"))
        return pointer, node


@functools.cache
def load_contract() -> Contract:
    return Contract(yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8")))
