from fastapi import APIRouter, Depends, Response, status

from ..api.deps import DatabaseDep, HashingDep, RateLimitsDep, SettingsDep, limit_by_address
from ..users.schemas import UserPublic
from . import service
from .schemas import LoginRequest, RefreshTokenRequest, RegisterRequest, TokenPair

router = APIRouter(prefix="/auth")
# Anyone may call these, and two of them cost a password hash: one budget per client address.
_address_limited = [Depends(limit_by_address)]


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    name="register",
    dependencies=_address_limited,
)
async def register(
    payload: RegisterRequest, database: DatabaseDep, budget: HashingDep, limits: RateLimitsDep
) -> UserPublic:
    return UserPublic.model_validate(await service.register(database, budget, limits, payload))


@router.post("/login", name="login", dependencies=_address_limited)
async def login(
    payload: LoginRequest,
    database: DatabaseDep,
    budget: HashingDep,
    limits: RateLimitsDep,
    settings: SettingsDep,
) -> TokenPair:
    return await service.login(database, budget, limits, settings, payload.email, payload.password)


@router.post("/refresh", name="refreshTokens", dependencies=_address_limited)
async def refresh_tokens(
    payload: RefreshTokenRequest,
    database: DatabaseDep,
    limits: RateLimitsDep,
    settings: SettingsDep,
) -> TokenPair:
    return await service.refresh(database, limits, settings, payload.refresh_token)


@router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, name="logout"
)
async def logout(payload: RefreshTokenRequest, database: DatabaseDep) -> None:
    await service.logout(database, payload.refresh_token)
