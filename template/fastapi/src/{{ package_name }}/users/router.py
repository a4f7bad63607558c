from fastapi import APIRouter

from ..api.deps import CurrentUser
from .schemas import UserPublic

router = APIRouter(prefix="/users")


@router.get("/me", name="getCurrentUser")
async def get_current_user(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)
