from datetime import datetime
from uuid import UUID

from ..schemas import ResponseBody


class UserPublic(ResponseBody):
    id: UUID
    email: str
    full_name: str | None
    created_at: datetime
