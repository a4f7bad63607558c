"""`create-admin EMAIL`: make EMAIL an admin of the organisation.

Promotes the existing account of that email, whose password is left alone (and none is asked
for), or else creates the account with the role admin. The password of a new account comes from
ADMIN_PASSWORD, or is asked twice on a terminal, under the rules of registering. Nobody becomes an
admin any other way.
"""

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable, Mapping
from typing import NoReturn

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import Boolean, literal_column, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError

from .auth import passwords
from .auth.budget import HashingBudget
from .auth.models import User
from .auth.schemas import Password
from .config import DatabaseSettings, describe
from .db import create_engine, is_unavailable, sqlstate
from .users.roles import Role

PASSWORD_VARIABLE = "ADMIN_PASSWORD"  # noqa: S105 - the name of the variable, no secret

_EMAIL: TypeAdapter[str] = TypeAdapter(EmailStr)
_PASSWORD: TypeAdapter[str] = TypeAdapter(Password)


class InvalidInput(ValueError):
    """The email address or the password cannot make an account; nothing was written."""


def parse_email(value: str) -> str:
    """The address as the users table keeps it: valid, lower-cased (as registering does)."""
    try:
        return _EMAIL.validate_python(value).lower()
    except ValidationError as error:
        raise InvalidInput(f"{value!r} is not an email address: {_reason(error)}") from None


def check_password(value: str) -> str:
    try:
        return _PASSWORD.validate_python(value)
    except ValidationError as error:
        raise InvalidInput(f"the password is not acceptable: {_reason(error)}") from None


def read_password(
    environ: Mapping[str, str],
    *,
    interactive: bool,
    prompt: Callable[[str], str] = getpass.getpass,
) -> str:
    """ADMIN_PASSWORD when set, else the password typed twice (interactive: on a terminal)."""
    if password := environ.get(PASSWORD_VARIABLE):
        return check_password(password)
    if not interactive:
        raise InvalidInput(f"no terminal to ask for the password on: set {PASSWORD_VARIABLE}")
    password = check_password(prompt("Password of the admin: "))
    if prompt("The same password again: ") != password:
        raise InvalidInput("the two passwords differ")
    return password


async def promote(settings: DatabaseSettings, email: str) -> bool:
    """Make the existing account of email an admin, its password untouched; False when no account
    has the address."""
    promotion = (
        update(User).where(User.email == parse_email(email)).values(role=Role.ADMIN)
    ).returning(User.id)
    engine = create_engine(settings.database_url, settings, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as connection:
            return await connection.scalar(promotion) is not None
    finally:
        await engine.dispose()


async def create_admin(settings: DatabaseSettings, email: str, password: str) -> bool:
    """Make email an admin: True when the account was created, False when an existing one was
    promoted (its password unchanged). InvalidInput, before anything is written, for an email or
    a password that registering would refuse."""
    email = parse_email(email)
    budget = HashingBudget(concurrency=1, max_waiting=0)
    try:
        # Hashed before connecting: no connection is held while the hash runs.
        password_hash = await passwords.hash_password(budget, check_password(password))
    finally:
        budget.close()
    # One statement, so a registration of the same address racing it still ends as one
    # account, an admin: whichever insert comes second meets the first one's row. xmax is 0
    # only in a row this statement inserted (an updated row carries the updater's id).
    upsert = (
        insert(User)
        .values(email=email, password_hash=password_hash, role=Role.ADMIN)
        .on_conflict_do_update(index_elements=[User.email], set_={"role": Role.ADMIN})
        .returning(literal_column("xmax = 0", Boolean))
    )
    # The app role's URL: it may write users, and needs no other secret than its password.
    engine = create_engine(settings.database_url, settings, pool_size=1, max_overflow=0)
    try:
        async with engine.begin() as connection:
            return bool(await connection.scalar(upsert))
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="create-admin", description=__doc__.split("\n")[0])
    parser.add_argument("email", help="the email address of the admin")
    email = parser.parse_args(argv).email
    try:
        settings = DatabaseSettings()
    except ValidationError as error:
        _fail(describe(error))
    try:
        email = parse_email(email)
        created = False
        if not asyncio.run(promote(settings, email)):
            password = read_password(os.environ, interactive=sys.stdin.isatty())
            # An account registered since the promotion found none is promoted here instead.
            created = asyncio.run(create_admin(settings, email, password))
    except InvalidInput as error:
        _fail(str(error))
    except (SQLAlchemyError, OSError) as error:
        # The driver's message may repeat the row's values: say what failed, not the message.
        if is_unavailable(error):
            _fail(f"cannot reach the database of DATABASE_URL ({type(error).__name__})")
        _fail(f"the database refused ({type(error).__name__}, SQLSTATE {sqlstate(error)})")
    if created:
        print(f"create-admin: created {email} as an admin")
    else:
        print(
            f"create-admin: {email} is an admin now "
            "(the account existed; its password is unchanged)"
        )


def _reason(error: ValidationError) -> str:
    return str(error.errors()[0]["msg"]).removeprefix("value is not a valid email address: ")


def _fail(message: str) -> NoReturn:
    print(f"create-admin: {message}", file=sys.stderr)
    raise SystemExit(1)
