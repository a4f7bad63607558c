from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .api.router import api_router
from .config import Settings, get_settings
from .contract import contract_router, load_contract
from .db import connect
from .errors import exception_handlers
from .logging import configure_logging
from .middleware import RequestIdMiddleware
from .tenancy import verify_isolation


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    contract = load_contract()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = connect(settings)
        try:
            await verify_isolation(database.engine)
            app.state.database = database
            yield
        finally:
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
    app.add_middleware(RequestIdMiddleware)
    app.include_router(api_router)
    app.include_router(contract_router(contract, docs_enabled=settings.docs_enabled))
    return app
