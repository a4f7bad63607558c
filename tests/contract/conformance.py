"""Checks every response the suite receives against the contract (openapi.yaml).

`Contract.check(response)` is installed as an httpx response hook, so each test proves
conformance as a side effect: the status must be documented for the operation, the body must
match the documented media type and JSON Schema (2020-12, formats checked), declared headers
must be present, and every error must be a well-formed problem document.
"""

from __future__ import annotations

import http
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

PROBLEM_MEDIA_TYPE = "application/problem+json"
CONTRACT_URI = "urn:contract"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Problem titles are the RFC 9110 reason phrases, the same in both flavours (SPEC). Python's own
# table is older for two of them (3.11: "Request Entity Too Large", "Unprocessable Entity").
PROBLEM_TITLES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

# Fragments that only appear when internals leak into a response (stack traces, SQL, drivers).
LEAK_MARKERS = (
    "traceback (most recent call last)",
    "sqlalchemy",
    "asyncpg",
    "psycopg",
    "sqlstate",
    "duplicate key value",
    "violates unique constraint",
    "violates foreign key constraint",
    "violates check constraint",
    "violates not-null constraint",
    "_pkey",
    "_fkey",
)


def escape_pointer_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def status_titles(status: int) -> set[str]:
    if status in PROBLEM_TITLES:
        return {PROBLEM_TITLES[status]}
    try:
        return {http.HTTPStatus(status).phrase}
    except ValueError:
        return set()


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    operation_id: str
    pointer: str  # JSON pointer of the operation object in the contract


class ConformanceError(AssertionError):
    """A response that breaks the contract; the message names the request and the rule."""

    def __init__(self, request: str, status: int, problem: str, body: str) -> None:
        super().__init__(f"{request} -> {status}: {problem}\nresponse body: {body[:2000]}")
        self.problem = problem


class Contract:
    """The parsed openapi.yaml with lookups by method + path and cached schema validators."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        resource = Resource(contents=document, specification=DRAFT202012)
        self._registry: Registry = Registry().with_resource(CONTRACT_URI, resource)
        self._operations = self._index_operations()
        self._validators: dict[str, Draft202012Validator] = {}
        self.checked = 0  # number of responses checked; the suite asserts it is not idle

    def _index_operations(self) -> list[Operation]:
        operations = []
        for template, path_item in self.document["paths"].items():
            regex = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            for method in HTTP_METHODS:
                if method in path_item:
                    pointer = f"/paths/{escape_pointer_token(template)}/{method}"
                    operations.append(
                        Operation(
                            method=method.upper(),
                            template=template,
                            pattern=re.compile(regex),
                            operation_id=path_item[method]["operationId"],
                            pointer=pointer,
                        )
                    )
        # Literal paths win over templated ones.
        return sorted(operations, key=lambda op: op.template.count("{"))

    @property
    def operations(self) -> list[Operation]:
        return list(self._operations)

    def find_operation(self, method: str, path: str) -> Operation | None:
        for operation in self._operations:
            if operation.method == method.upper() and operation.pattern.match(path):
                return operation
        return None

    def resolve(self, pointer: str) -> tuple[str, Any]:
        """Follow `$ref`s starting at a JSON pointer; return the final pointer and its value."""
        node: Any = self.document
        for token in pointer.lstrip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), f"only local references are supported: {ref}"
            pointer = ref[1:]
            node = self.document
            for token in pointer.lstrip("/").split("/"):
                node = node[token.replace("~1", "/").replace("~0", "~")]
        return pointer, node

    def validator(self, schema_pointer: str) -> Draft202012Validator:
        """A validator for the schema at `schema_pointer`; `$ref`s resolve inside the contract."""
        if schema_pointer not in self._validators:
            self._validators[schema_pointer] = Draft202012Validator(
                {"$ref": f"{CONTRACT_URI}#{schema_pointer}"},
                registry=self._registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        return self._validators[schema_pointer]

    def documented_response(self, operation: Operation, status: int) -> tuple[str, dict] | None:
        responses = self.resolve(operation.pointer)[1]["responses"]
        for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
            if key in responses:
                return self.resolve(f"{operation.pointer}/responses/{key}")
        return None

    # ------------------------------------------------------------------ the response hook
    def check(self, response: httpx.Response) -> None:
        response.read()
        request = response.request
        label = f"{request.method} {request.url.raw_path.decode()}"
        self.checked += 1

        def fail(problem: str) -> None:
            raise ConformanceError(label, response.status_code, problem, response.text)

        if not response.headers.get("x-request-id"):
            fail("no X-Request-ID header")

        operation = self.find_operation(request.method, request.url.path)
        if operation is not None:
            self._check_operation_response(operation, response, fail)
        if response.status_code >= 400:
            self._check_problem(response, fail)

    def _check_operation_response(self, operation: Operation, response: httpx.Response, fail):
        documented = self.documented_response(operation, response.status_code)
        if documented is None:
            fail(f"status {response.status_code} is not documented for {operation.operation_id}")
            return
        response_pointer, response_object = documented
        for name in response_object.get("headers", {}):
            if name.lower() not in response.headers:
                fail(f"documented header {name} is missing")
        content = response_object.get("content")
        if not content:
            if response.content:
                fail("the contract documents no body for this response, but one was sent")
            return
        received = media_type(response)
        if received not in content:
            fail(f"Content-Type {received!r} is not one of {sorted(content)}")
        try:
            body = response.json()
        except json.JSONDecodeError:
            fail("the body is not JSON")
        schema_pointer = f"{response_pointer}/content/{escape_pointer_token(received)}/schema"
        error = best_match(self.validator(schema_pointer).iter_errors(body))
        if error is not None:
            where = "/" + "/".join(str(part) for part in error.absolute_path)
            fail(f"body does not match the contract at {where}: {error.message}")

    def _check_problem(self, response: httpx.Response, fail) -> None:
        if media_type(response) != PROBLEM_MEDIA_TYPE:
            fail(f"error responses must be {PROBLEM_MEDIA_TYPE}, got {media_type(response)!r}")
        try:
            problem = response.json()
        except json.JSONDecodeError:
            fail("the problem body is not JSON")
        error = best_match(self.validator("/components/schemas/Problem").iter_errors(problem))
        if error is not None:
            fail(f"not a Problem document: {error.message}")
        if problem["status"] != response.status_code:
            fail(f"problem status {problem['status']} differs from the HTTP status")
        if problem["type"] != "about:blank":
            fail(f"problem type must be 'about:blank', got {problem['type']!r}")
        titles = status_titles(response.status_code)
        if titles and problem["title"] not in titles:
            fail(f"problem title must be the status phrase {sorted(titles)}: {problem['title']!r}")
        if problem["instance"] != response.request.url.path:
            fail(f"problem instance {problem['instance']!r} is not the request path")
        if problem["request_id"] != response.headers.get("x-request-id"):
            fail("problem request_id differs from the X-Request-ID header")
        if not problem["detail"].strip():
            fail("problem detail is empty")
        lowered = response.text.lower()
        leaked = [marker for marker in LEAK_MARKERS if marker in lowered]
        if leaked:
            fail(f"the error leaks internals ({', '.join(leaked)})")
        if response.status_code == 401:
            challenge = response.headers.get("www-authenticate", "")
            if not challenge.lower().startswith("bearer"):
                fail(f"401 without 'WWW-Authenticate: Bearer' (got {challenge!r})")
