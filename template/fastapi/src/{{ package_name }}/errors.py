"""The error vocabulary of the service and its rendering as RFC 9457 problem details.

Every 4xx and 5xx response, whoever produced it (a service rule, request validation, the router
or an unexpected exception), leaves through one of the handlers below as application/problem+json.
"""

import logging
import traceback
from collections.abc import Callable, Coroutine, Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar, TypedDict

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Scope

from . import db
from .auth.budget import HashingBusy
from .middleware import REQUEST_ID_HEADER

logger = logging.getLogger(__name__)


class FieldError(TypedDict):
    pointer: str
    """JSON pointer into the request: /body/name, /query/limit, /header/idempotency-key."""
    message: str


# Clients should come back soon, but not in a tight loop.
RETRY_AFTER_SECONDS = "1"


class AppError(Exception):
    status_code: ClassVar[HTTPStatus]
    default_headers: ClassVar[Mapping[str, str]] = {}

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = {**self.default_headers, **(headers or {})}


class BadRequest(AppError):
    status_code = HTTPStatus.BAD_REQUEST


class Unauthorized(AppError):
    status_code = HTTPStatus.UNAUTHORIZED
    default_headers: ClassVar[Mapping[str, str]] = {"WWW-Authenticate": "Bearer"}


class Forbidden(AppError):
    status_code = HTTPStatus.FORBIDDEN


class NotFound(AppError):
    status_code = HTTPStatus.NOT_FOUND


class Conflict(AppError):
    status_code = HTTPStatus.CONFLICT


class PreconditionFailed(AppError):
    status_code = HTTPStatus.PRECONDITION_FAILED


class UnprocessableContent(AppError):
    status_code = HTTPStatus.UNPROCESSABLE_CONTENT


class TooManyRequests(AppError):
    status_code = HTTPStatus.TOO_MANY_REQUESTS


class ServiceUnavailable(AppError):
    status_code = HTTPStatus.SERVICE_UNAVAILABLE
    default_headers: ClassVar[Mapping[str, str]] = {"Retry-After": RETRY_AFTER_SECONDS}


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


def problem(
    request: Request,
    status_code: int,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    errors: Sequence[FieldError] = (),
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request.state.request_id,
    }
    if errors:
        body["errors"] = list(errors)
    return ProblemResponse(body, status_code=status_code, headers=headers)


type ExceptionHandler = Callable[[Request, Any], Coroutine[Any, Any, Response]]


def exception_handlers() -> dict[int | type[Exception], ExceptionHandler]:
    return {
        AppError: _app_error,
        RequestValidationError: _validation_error,
        HTTPException: _http_error,
        HashingBusy: _hashing_busy,
        SQLAlchemyError: _database_error,
        OSError: _database_error,
        Exception: _unexpected_error,
    }


async def _app_error(request: Request, exc: AppError) -> ProblemResponse:
    return problem(request, exc.status_code, exc.detail, headers=exc.headers, errors=exc.errors)


async def _validation_error(request: Request, exc: RequestValidationError) -> ProblemResponse:
    errors = [_field_error(error) for error in exc.errors()]
    detail = "The request does not match the API contract; see errors for each invalid part."
    return problem(request, HTTPStatus.UNPROCESSABLE_CONTENT, detail, errors=errors)


# Starlette raises these for requests no route accepts.
_ROUTING_DETAILS = {
    HTTPStatus.NOT_FOUND: "Nothing is served at this URL.",
    HTTPStatus.METHOD_NOT_ALLOWED: "This URL does not accept the method; see the Allow header.",
}


async def _http_error(request: Request, exc: HTTPException) -> ProblemResponse:
    if exc.status_code == HTTPStatus.BAD_REQUEST:
        # FastAPI's answer to a body it cannot decode (not UTF-8, say): for the client that is
        # the same mistake as malformed JSON, which request validation reports as 422.
        detail = "The request body is not valid JSON text."
        errors: list[FieldError] = [{"pointer": "/body", "message": detail}]
        return problem(request, HTTPStatus.UNPROCESSABLE_CONTENT, detail, errors=errors)
    detail = _ROUTING_DETAILS.get(HTTPStatus(exc.status_code), exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem(request, exc.status_code, detail, headers=headers)


async def _hashing_busy(request: Request, exc: HashingBusy) -> ProblemResponse:
    detail = "The server is busy checking other passwords; retry in a moment."
    headers = {"Retry-After": RETRY_AFTER_SECONDS}
    return problem(request, HTTPStatus.SERVICE_UNAVAILABLE, detail, headers=headers)


async def _database_error(request: Request, exc: Exception) -> ProblemResponse:
    """Errors of the database (or of reaching it: sockets, timeouts).

    Logged by SQLSTATE and constraint, with the stack but without the message: the driver's
    message repeats the offending values ("Key (email)=(...) already exists"), which are
    personal data or secrets. Handled here rather than left to the catch-all, whose exception
    the server would log again, message included.
    """
    unavailable = db.is_unavailable(exc)
    logger.log(
        logging.WARNING if unavailable else logging.ERROR,
        "database unavailable" if unavailable else "database error",
        extra={
            "error": type(exc).__name__,
            "sqlstate": db.sqlstate(exc),
            "constraint": db.constraint_name(exc),
            "stack": "".join(traceback.format_tb(exc.__traceback__)),
        },
    )
    if unavailable:
        detail = "The database cannot be reached right now; retry in a moment."
        headers = {"Retry-After": RETRY_AFTER_SECONDS}
        return problem(request, HTTPStatus.SERVICE_UNAVAILABLE, detail, headers=headers)
    return problem(request, HTTPStatus.INTERNAL_SERVER_ERROR, _FAILED)


_FAILED = "The server failed to handle the request. Report the request_id if this persists."


async def _unexpected_error(request: Request, exc: Exception) -> ProblemResponse:
    # Runs outside every middleware (in Starlette's ServerErrorMiddleware), so the request id
    # header is set here. The client learns nothing about the failure beyond the id to report.
    request_id = request.state.request_id
    logger.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
    return problem(
        request, HTTPStatus.INTERNAL_SERVER_ERROR, _FAILED, headers={REQUEST_ID_HEADER: request_id}
    )


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts at this URL. (The router's own Allow header names only
    the methods of the first route matching the path, and GET and POST are separate routes.)"""
    probe: Scope = {"type": "http", "path": request.scope["path"], "root_path": ""}
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**probe, "method": method})[0] == Match.FULL
            for route in request.app.router.routes
        )
    ]


def _field_error(error: Mapping[str, Any]) -> FieldError:
    location = [str(part) for part in error["loc"]]
    if error["type"] == "json_invalid":
        location = location[:1]  # the rest is a character offset, not a field
    if location[0] == "header":
        location[1:] = [part.lower() for part in location[1:]]
    pointer = "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in location)
    # Messages of our own validators come without pydantic's "Value error, " prefix.
    return {"pointer": pointer, "message": error["msg"].removeprefix("Value error, ")}
