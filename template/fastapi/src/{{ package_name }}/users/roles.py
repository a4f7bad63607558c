"""A user's role in the organisation, held on the user's row and read from it on every request
(never from the access token), so a promotion or a demotion takes effect at once."""

from enum import StrEnum

from sqlalchemy import Dialect, Text, TypeDecorator


class Role(StrEnum):
    """Members read, create and change projects; admins also delete them. Registering makes a
    member; only `create-admin` makes an admin."""

    ADMIN = "admin"
    MEMBER = "member"


class RoleText(TypeDecorator[Role]):
    """A Role as plain text; the migration's CHECK constraint limits the values."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Role | None, dialect: Dialect) -> str | None:
        return None if value is None else value.value

    def process_result_value(self, value: str | None, dialect: Dialect) -> Role | None:
        return None if value is None else Role(value)
