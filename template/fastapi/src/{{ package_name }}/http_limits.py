"""Bounds on what one request may cost: the size of its body, how long the client may take to
send it, and how long the service may take to answer it.

Pure ASGI middleware: the body is counted as it streams in, never buffered here.
"""

import asyncio
from http import HTTPStatus

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import RETRY_AFTER_SECONDS, problem

# The body stays unread: the connection cannot be reused for another request.
_CLOSE = {"Connection": "close"}


class RequestBodyLimitMiddleware:
    """413 for a body over max_bytes (by its Content-Length up front, else while it streams in),
    408 for a body that takes longer than read_timeout_seconds to arrive (counted from the end
    of the headers, which the server bounds: server.py)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, read_timeout_seconds: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout_seconds = read_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            response = problem(
                Request(scope),
                HTTPStatus.CONTENT_TOO_LARGE,
                self._too_large,
                headers=_CLOSE,
            )
            await response(scope, receive, send)
            return

        deadline = asyncio.get_running_loop().time() + self.read_timeout_seconds
        received = 0
        complete = False

        async def receive_within_limits() -> Message:
            nonlocal received, complete
            if complete:
                return await receive()  # only http.disconnect is left to wait for
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                detail = "The request body arrived too slowly."
                raise HTTPException(HTTPStatus.REQUEST_TIMEOUT, detail, headers=_CLOSE) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise HTTPException(
                        HTTPStatus.CONTENT_TOO_LARGE, self._too_large, headers=_CLOSE
                    )
            return message

        await self.app(scope, receive_within_limits, send)

    @property
    def _too_large(self) -> str:
        return f"The request body is larger than {self.max_bytes} bytes."


class RequestTimeoutMiddleware:
    """503 with Retry-After for a request whose handling takes longer than `seconds`: whatever
    it waits for (a hung database, a full pool) is cancelled, so its resources come back."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        timeout = asyncio.timeout(self.seconds)
        try:
            async with timeout:
                await self.app(scope, receive, send_tracking_start)
        except TimeoutError:
            if started or not timeout.expired():
                raise  # too late for another answer (the server drops the connection), or not ours
            response = problem(
                Request(scope),
                HTTPStatus.SERVICE_UNAVAILABLE,
                "The request took too long to handle; retry in a moment.",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
            await response(scope, receive, send)
