from fastapi import APIRouter, Response, status

from ..api.deps import SessionDep, SettingsDep
from ..users.schemas import UserPublic
from . import service
from .schemas import LoginRequest, RefreshTokenRequest, RegisterRequest, TokenPair

router = APIRouter(prefix="/auth")


@router.post("/register", status_code=status.HTTP_201_CREATED, name="register")
async def register(payload: RegisterRequest, session: SessionDep) -> UserPublic:
    return UserPublic.model_validate(await service.register(session, payload))


@router.post("/login", name="login")
async def login(payload: LoginRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return await service.login(session, settings, payload.email, payload.password)


@router.post("/refresh", name="refreshTokens")
async def refresh_tokens(
    payload: RefreshTokenRequest, session: SessionDep, settings: SettingsDep
) -> TokenPair:
    return await service.refresh(session, settings, payload.refresh_token)


@router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, name="logout"
)
async def logout(payload: RefreshTokenRequest, session: SessionDep) -> None:
    await service.logout(session, payload.refresh_token)
