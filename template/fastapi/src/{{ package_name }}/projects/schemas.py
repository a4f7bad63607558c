from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from ..schemas import RequestBody, ResponseBody

Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str | None, Field(max_length=2000)]


class ProjectCreate(RequestBody):
    name: Name
    description: Description = None


class ProjectUpdate(RequestBody):
    """A partial update: only the fields sent change; description may be cleared with null."""

    name: Name | None = None
    description: Description = None

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, name: str | None) -> str | None:
        # Runs only for a name that was sent: an absent name keeps the current one.
        if name is None:
            msg = "name cannot be null"
            raise ValueError(msg)
        return name

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.model_fields_set:
            msg = "Send at least one of name and description."
            raise ValueError(msg)
        return self


class ProjectPublic(ResponseBody):
    id: UUID
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime


class ProjectPage(ResponseBody):
    items: list[ProjectPublic]
    next_cursor: str | None
