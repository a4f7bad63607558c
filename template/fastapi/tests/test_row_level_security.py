"""Row-level security, tested underneath the API as the app role itself: no tenant set means
no rows, a tenant never outlives its transaction, and the service refuses to run as a role that
the policies would not bind."""

import secrets
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from .api import Account, Api, AppFactory, client_for, expect
from .database import ThrowawayDatabase, execute, fetch, scalar

# Control-plane tables carry a tenant_id but are shared by design: the service decides there
# who sees what (a user lists their memberships across tenants before choosing one).
CONTROL_PLANE_TABLES = {"memberships"}
CURRENT_TENANT = text("SELECT current_setting('app.tenant_id', true)")
SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")


@pytest.fixture
async def ada(api: Api) -> Account:
    return await api.sign_up("ada")


@pytest.fixture
async def tenants(api: Api, ada: Account) -> tuple[str, str]:
    """Two tenants with one project each."""
    first, second = await api.create_tenant(ada), await api.create_tenant(ada)
    await api.create_project(ada, first)
    await api.create_project(ada, second)
    return first, second


async def test_the_app_role_sees_only_the_tenant_set_in_its_transaction(
    app_db: AsyncEngine, tenants: tuple[str, str]
) -> None:
    first, _ = tenants
    async with app_db.connect() as conn:
        await conn.execute(SET_TENANT, {"tenant": first})
        visible = await conn.scalars(text("SELECT tenant_id::text FROM projects"))

        assert visible.all() == [first]


async def test_without_a_tenant_the_app_role_sees_no_rows(
    app_db: AsyncEngine, superuser_db: AsyncEngine, tenants: tuple[str, str]
) -> None:
    assert await scalar(superuser_db, "SELECT count(*) FROM projects") == 2

    assert await scalar(app_db, "SELECT count(*) FROM projects") == 0


async def test_a_rolled_back_tenant_leaves_no_tenant_on_the_connection(
    app_db: AsyncEngine, tenants: tuple[str, str]
) -> None:
    first, _ = tenants
    async with app_db.connect() as conn:
        await conn.execute(SET_TENANT, {"tenant": first})
        await conn.rollback()
        # The setting now exists on this connection, as '': that must still mean no tenant.
        leftover = await conn.scalar(CURRENT_TENANT)
        visible = await conn.scalar(text("SELECT count(*) FROM projects"))

    assert leftover in {None, ""}
    assert visible == 0


async def test_the_app_role_cannot_write_rows_of_another_tenant(
    app_db: AsyncEngine, tenants: tuple[str, str]
) -> None:
    first, second = tenants
    async with app_db.connect() as conn:
        await conn.execute(SET_TENANT, {"tenant": first})
        with pytest.raises(DBAPIError, match="row-level security"):
            await conn.execute(
                text(
                    "INSERT INTO projects (tenant_id, id, name) "
                    "VALUES (:tenant, gen_random_uuid(), 'Planted')"
                ),
                {"tenant": second},
            )


async def test_the_app_role_cannot_move_a_row_to_another_tenant(
    app_db: AsyncEngine, tenants: tuple[str, str]
) -> None:
    first, second = tenants
    async with app_db.connect() as conn:
        await conn.execute(SET_TENANT, {"tenant": first})
        with pytest.raises(DBAPIError, match="row-level security"):
            await conn.execute(text("UPDATE projects SET tenant_id = :tenant"), {"tenant": second})


async def test_a_pooled_connection_carries_no_tenant_into_the_next_use(
    start_app: AppFactory, ada: Account, tenants: tuple[str, str]
) -> None:
    first, _ = tenants
    backend_pid = text("SELECT pg_backend_pid()")

    # One connection in the pool: the request and the queries around it must share it.
    async with start_app(db_pool_size=1, db_max_overflow=0) as app:
        engine = app.state.database.engine
        async with engine.connect() as conn:
            pid_before = await conn.scalar(backend_pid)
        async with client_for(app) as client:
            page = expect(await client.get("/api/v1/projects", headers=ada.in_tenant(first)), 200)
        async with engine.connect() as conn:
            pid_after = await conn.scalar(backend_pid)
            leftover = await conn.scalar(CURRENT_TENANT)
            visible = await conn.scalar(text("SELECT count(*) FROM projects"))

    assert len(page["items"]) == 1, "the request saw its tenant's project"
    assert pid_before == pid_after, "the pool replaced its connection"
    assert leftover in {None, ""}
    assert visible == 0


async def test_every_tenant_table_has_row_level_security_enabled_and_forced(
    superuser_db: AsyncEngine,
) -> None:
    rows = await fetch(
        superuser_db,
        """
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
          AND EXISTS (
              SELECT FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
          )
        """,
    )
    tenant_tables = {row.relname: row for row in rows if row.relname not in CONTROL_PLANE_TABLES}

    assert {"projects", "idempotency_keys"} <= tenant_tables.keys()
    unprotected = [
        name
        for name, row in tenant_tables.items()
        if not (row.relrowsecurity and row.relforcerowsecurity)
    ]
    assert unprotected == [], "tables with tenant_id but without ENABLE + FORCE RLS"


async def test_every_tenant_table_has_a_policy_on_the_tenant_setting(
    superuser_db: AsyncEngine,
) -> None:
    policies = {
        row.tablename: row
        for row in await fetch(
            superuser_db,
            "SELECT tablename, cmd, permissive, qual, with_check FROM pg_policies "
            "WHERE schemaname = 'public'",
        )
    }
    protected = await fetch(
        superuser_db,
        "SELECT relname FROM pg_class "
        "WHERE relrowsecurity AND relnamespace = 'public'::regnamespace",
    )

    for (table,) in protected:
        policy = policies.get(table)
        assert policy is not None, f"{table} has RLS but no policy"
        assert policy.cmd == "ALL"
        assert "app.tenant_id" in policy.qual
        assert "app.tenant_id" in policy.with_check


async def test_the_app_role_is_neither_superuser_nor_bypassrls_nor_an_owner(
    superuser_db: AsyncEngine, migrated: ThrowawayDatabase
) -> None:
    (role,) = await fetch(
        superuser_db,
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
        "WHERE rolname = :name",
        name=migrated.app_role,
    )
    owned = await fetch(
        superuser_db,
        "SELECT relname FROM pg_class "
        "WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = :name)",
        name=migrated.app_role,
    )

    assert not role.rolsuper
    assert not role.rolbypassrls
    assert not role.rolcreaterole
    assert not role.rolcreatedb
    assert owned == []


@pytest.fixture
async def bypassing_role(
    request: pytest.FixtureRequest, migrated: ThrowawayDatabase, superuser_db: AsyncEngine
) -> AsyncIterator[str]:
    """The URL of a role that could read across tenants, for the service to refuse."""
    kind: str = request.param
    if kind == "superuser":
        yield migrated.superuser_url.render_as_string(hide_password=False)
        return
    if kind == "owner":
        yield migrated.owner_url.render_as_string(hide_password=False)
        return
    name, password = f"{migrated.name}_{kind}", secrets.token_hex(16)
    attributes = {
        "bypassrls": "BYPASSRLS",
        "owner_member": f"IN ROLE {migrated.owner_role}",
    }[kind]
    await execute(superuser_db, f"CREATE ROLE {name} LOGIN PASSWORD '{password}' {attributes}")
    await execute(superuser_db, f"GRANT SELECT, INSERT, UPDATE, DELETE ON projects TO {name}")
    try:
        yield migrated.app_url.set(username=name, password=password).render_as_string(
            hide_password=False
        )
    finally:
        await execute(superuser_db, f"DROP OWNED BY {name}")
        await execute(superuser_db, f"DROP ROLE {name}")


@pytest.mark.parametrize(
    "bypassing_role",
    ["superuser", "owner", "bypassrls", "owner_member"],
    indirect=True,
)
async def test_the_service_refuses_to_start_as_a_role_that_bypasses_rls(
    start_app: AppFactory, bypassing_role: str
) -> None:
    with pytest.raises(RuntimeError, match="Refusing to serve"):
        async with start_app(database_url=bypassing_role):
            pass


async def test_the_service_starts_as_the_app_role(start_app: AppFactory) -> None:
    async with start_app() as app, client_for(app) as client:
        expect(await client.get("/readyz"), 200)


async def test_a_role_that_gains_bypassrls_is_refused_on_its_next_connection(
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
            await execute(superuser_db, f"ALTER ROLE {name} BYPASSRLS")
            await app.state.database.engine.dispose()  # the next request opens a connection

            async with client_for(app, raise_app_exceptions=False) as client:
                expect(await client.get("/readyz"), 500)
                assert app.state.database.engine.pool.checkedout() == 0
    finally:
        await execute(superuser_db, f"DROP ROLE {name}")
