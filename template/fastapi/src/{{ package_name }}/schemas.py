from pydantic import BaseModel, ConfigDict, field_validator


class RequestBody(BaseModel):
    # Unknown fields are an error, never silently dropped: no mass assignment, typos surface.
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul_characters(cls, value: object) -> object:
        # PostgreSQL text cannot store U+0000: refuse it as a validation error here rather
        # than fail at the database.
        if isinstance(value, str) and "\x00" in value:
            msg = "Must not contain the NUL character (U+0000)."
            raise ValueError(msg)
        return value


class ResponseBody(BaseModel):
    model_config = ConfigDict(from_attributes=True)
