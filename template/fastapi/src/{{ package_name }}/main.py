from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .api.router import api_router
from .auth.budget import HashingBudget
from .config import Settings, get_settings
from .contract import contract_router, load_contract
from .db import connect
from .errors import exception_handlers
from .http_limits import RequestBodyLimitMiddleware, RequestTimeoutMiddleware
from .isolation import IsolationModel, verify_isolation
from .isolation.shared_schema import SharedSchema
from .logging import configure_logging
from .middleware import RequestIdMiddleware
from .rate_limits import RateLimits


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    contract = load_contract()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything bound to the event loop is made here, in the loop that serves requests.
        database = connect(settings)
        isolation: IsolationModel = SharedSchema()
        isolation.guard(database.engine)
        hashing = HashingBudget(
            settings.password_hash_concurrency, settings.password_hash_max_waiting
        )
        try:
            await verify_isolation(database.engine)
            app.state.database = database
            app.state.isolation = isolation
            app.state.hashing = hashing
            app.state.rate_limits = RateLimits(settings)
            yield
        finally:
            hashing.close()
            await database.engine.dispose()

    app = FastAPI(
        title=contract["info"]["title"],
        version=contract["info"]["version"],
        # The committed contract is served instead of a generated one (see contract.py).
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        exception_handlers=exception_handlers(),
    )
    app.state.settings = settings
    # The last added runs first: the request id exists before any limit can answer.
    app.add_middleware(
        RequestBodyLimitMiddleware,
        max_bytes=settings.max_request_body_bytes,
        read_timeout_seconds=settings.body_read_timeout_seconds,
    )
    app.add_middleware(RequestTimeoutMiddleware, seconds=settings.request_timeout_seconds)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(api_router)
    app.include_router(contract_router(contract, docs_enabled=settings.docs_enabled))
    return app
