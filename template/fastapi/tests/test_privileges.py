"""The app role has DML and nothing more, and the service refuses to run as a role that could
change the schema: checked at start-up and on every connection the pool opens."""

import secrets
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import AppFactory, client_for, expect
from .database import ThrowawayDatabase, execute, fetch

DML = "SELECT, INSERT, UPDATE, DELETE"


async def test_the_app_role_owns_nothing_and_may_create_nothing(
    superuser_db: AsyncEngine, migrated: ThrowawayDatabase
) -> None:
    (role,) = await fetch(
        superuser_db,
        "SELECT rolsuper, rolcreaterole, rolcreatedb, "
        "has_database_privilege(rolname, current_database(), 'CREATE') AS creates_schemas, "
        "has_schema_privilege(rolname, 'public', 'CREATE') AS creates_tables "
        "FROM pg_roles WHERE rolname = :name",
        name=migrated.app_role,
    )
    owned = await fetch(
        superuser_db,
        "SELECT relname FROM pg_class "
        "WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = :name)",
        name=migrated.app_role,
    )

    assert not role.rolsuper
    assert not role.rolcreaterole
    assert not role.rolcreatedb
    assert not role.creates_schemas
    assert not role.creates_tables
    assert owned == []


# A role with DML on the tables plus one more privilege, for the service to refuse.
EXCESS = {
    "superuser": "SUPERUSER",
    "createdb": "CREATEDB",
    "createrole": "CREATEROLE",
    "owner_member": "IN ROLE {owner}",
    "creates_schemas": "GRANT CREATE ON DATABASE {database} TO {role}",
    "creates_tables": "GRANT CREATE ON SCHEMA public TO {role}",
}


@pytest.fixture
async def privileged_role(
    request: pytest.FixtureRequest, migrated: ThrowawayDatabase, superuser_db: AsyncEngine
) -> AsyncIterator[str]:
    """The URL of a role that could change the schema."""
    kind: str = request.param
    if kind == "owner":
        yield migrated.owner_url.render_as_string(hide_password=False)
        return
    name, password = f"{migrated.name}_{kind}", secrets.token_hex(16)
    excess = EXCESS[kind].format(owner=migrated.owner_role, database=migrated.name, role=name)
    attributes = "" if excess.startswith("GRANT") else excess
    await execute(superuser_db, f"CREATE ROLE {name} LOGIN PASSWORD '{password}' {attributes}")
    await execute(superuser_db, f"GRANT {DML} ON ALL TABLES IN SCHEMA public TO {name}")
    if excess.startswith("GRANT"):
        await execute(superuser_db, excess)
    try:
        yield migrated.app_url.set(username=name, password=password).render_as_string(
            hide_password=False
        )
    finally:
        await execute(superuser_db, f"DROP OWNED BY {name}")
        await execute(superuser_db, f"DROP ROLE {name}")


@pytest.mark.parametrize("privileged_role", ["owner", *EXCESS], indirect=True)
async def test_the_service_refuses_to_start_as_a_role_that_could_change_the_schema(
    start_app: AppFactory, privileged_role: str
) -> None:
    with pytest.raises(RuntimeError, match="Refusing to serve"):
        async with start_app(database_url=privileged_role):
            pass


async def test_the_service_starts_as_the_app_role(start_app: AppFactory) -> None:
    async with start_app() as app, client_for(app) as client:
        expect(await client.get("/readyz"), 200)


async def test_a_role_that_gains_a_privilege_is_refused_on_its_next_connection(
    start_app: AppFactory, migrated: ThrowawayDatabase, superuser_db: AsyncEngine
) -> None:
    # The check runs per connection, not once at start-up: a worker that started while the
    # database was down, or a role altered since, is refused as well.
    name, password = f"{migrated.name}_later", secrets.token_hex(16)
    await execute(superuser_db, f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
    url = migrated.app_url.set(username=name, password=password)
    try:
        async with start_app(database_url=url.render_as_string(hide_password=False)) as app:
            async with client_for(app) as client:
                expect(await client.get("/readyz"), 200)
            await execute(superuser_db, f"GRANT CREATE ON SCHEMA public TO {name}")
            await app.state.database.engine.dispose()  # the next request opens a connection

            async with client_for(app, raise_app_exceptions=False) as client:
                expect(await client.get("/readyz"), 500)
                assert app.state.database.engine.pool.checkedout() == 0
    finally:
        await execute(superuser_db, f"DROP OWNED BY {name}")
        await execute(superuser_db, f"DROP ROLE {name}")
