"""Every request-scoped dependency, declared once as an Annotated alias for route signatures."""

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from ..auth import service as auth
from ..auth.budget import HashingBudget
from ..auth.models import User
from ..auth.tokens import verify_access_token
from ..config import Settings
from ..db import Database
from ..errors import Unauthorized, UnprocessableContent
from ..isolation import IsolationModel
from ..rate_limits import RateLimits
from ..tenancy import TENANT_HEADER, TenantContext, enter_tenant


# Dependencies are coroutines even when they do not await: FastAPI runs a plain function in a
# worker thread, a hand-off that costs more than the function itself.
async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def _hashing(request: Request) -> HashingBudget:
    budget: HashingBudget = request.app.state.hashing
    return budget


async def _rate_limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits


async def _isolation(request: Request) -> IsolationModel:
    isolation: IsolationModel = request.app.state.isolation
    return isolation


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
HashingDep = Annotated[HashingBudget, Depends(_hashing)]
RateLimitsDep = Annotated[RateLimits, Depends(_rate_limits)]
IsolationDep = Annotated[IsolationModel, Depends(_isolation)]


async def limit_by_address(request: Request, limits: RateLimitsDep) -> None:
    await limits.check_address(request.scope)


def single_valued(*names: str) -> Callable[[Request], Coroutine[Any, Any, None]]:
    """A dependency refusing a repeated query parameter, which FastAPI would silently reduce to
    one of its values."""

    async def check(request: Request) -> None:
        for name in names:
            if len(request.query_params.getlist(name)) > 1:
                message = f"Send the {name} query parameter at most once."
                raise UnprocessableContent(
                    message, errors=[{"pointer": f"/query/{name}", "message": message}]
                )

    return check


async def _unit_of_work(database: DatabaseDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, rolled back when it
    raises (closing the session rolls back whatever was not committed)."""
    async with database.sessions() as session:
        yield session
        await session.commit()


# scope="function": the commit happens before the response is sent, so a client that got a
# 2xx can rely on its write, and a failing commit still becomes an error response.
SessionDep = Annotated[AsyncSession, Depends(_unit_of_work, scope="function")]

_bearer = HTTPBearer(auto_error=False)


async def _token_subject(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    settings: SettingsDep,
) -> UUID:
    """The user id of a valid access token (no database access)."""
    if credentials is None:
        raise Unauthorized("Send an access token in the Authorization header: Bearer <token>.")
    return verify_access_token(settings, credentials.credentials)


TokenSubject = Annotated[UUID, Depends(_token_subject)]


async def _current_user(user_id: TokenSubject, session: SessionDep) -> User:
    return await auth.authenticated_user(session, user_id)


CurrentUser = Annotated[User, Depends(_current_user)]


async def _tenant_scope(
    request: Request, user_id: TokenSubject, session: SessionDep, isolation: IsolationDep
) -> TenantContext:
    # Every value of the header, not the first: a repeated header is refused, never guessed at.
    scope = await enter_tenant(session, isolation, user_id, request.headers.getlist(TENANT_HEADER))
    request.state.tenant_id = str(scope.tenant_id)  # for the access log
    return scope


TenantScope = Annotated[TenantContext, Depends(_tenant_scope)]
"""The tenant unit of work: the caller's tenant (X-Tenant-ID), role and tenant-bound session."""
