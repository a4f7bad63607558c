"""Both flavours create the same database schema, for each tenancy model.

The schema of a tenancy model is written twice, as Alembic migrations (FastAPI) and as goose SQL
(Go), so this test holds them together: each flavour migrates a fresh database of its own, and
`pg_dump --schema-only` of the two must match once the names that differ by construction are
replaced (the database and its two roles) and the migration tools' own bookkeeping tables
(Alembic's `alembic_version`, goose's `goose_db_version`) are left out. Grants, policies,
constraint names and indexes all count: a difference there is a difference in what the app role
can do, or in what an error says. A model that keeps tables per tenant gets one tenant,
provisioned as the service provisions one, so the tenant's own schema is compared too; under
database_per_tenant, whose provisioning is each flavour's own code, the flavour's server
provisions it (POST /tenants), and the tenant's database is dumped next to the control database.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.harness.postgres import candidate_bindirs

from .conftest import PROJECT_DIR, installed_project
from .flavours import FLAVOURS, selected_flavours, tenancy_models
from .server import Database, app_settings, create_database, deployed, drop_database

BOOKKEEPING = ("public.alembic_version", "public.goose_db_version")


# A tenant with a fixed id, so its schema has the same name in every flavour's database.
TENANT_ID = "01960000-0000-7000-8000-000000000001"


@pytest.mark.parametrize("tenancy", tenancy_models())
def test_both_flavours_create_the_same_schema(
    tenancy: str, pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if sum(flavour.tenancy == tenancy for flavour in FLAVOURS.values()) < 2:
        pytest.skip(f"one framework offers tenancy={tenancy} so far: nothing to compare")
    names = [name for name in selected_flavours() if FLAVOURS[name].tenancy == tenancy]
    if PROJECT_DIR or len(names) < 2:
        pytest.skip("compares every flavour; CONTRACT_FLAVOURS or CONTRACT_PROJECT_DIR narrow it")
    dumps: dict[str, str] = {}
    for name in names:
        flavour = FLAVOURS[name]
        project = installed_project(flavour, tmp_path_factory)
        if tenancy == "database_per_tenant":
            log = tmp_path_factory.mktemp("parity") / f"{name}.log"
            with deployed(flavour, project, pg_admin_url, workers=1, log_path=log) as server:
                tenant_database = _provision_through(server.base_url)
                dumps[name] = _schema(server.database) + _schema(server.database, tenant_database)
            continue
        database = create_database(pg_admin_url)
        try:
            flavour.migrate(project, flavour.environment(app_settings(database)))
            if tenancy != "none":
                _add_tenant(database)
            dumps[name] = _schema(database)
        finally:
            drop_database(database)
    first, *others = names
    for other in others:
        diff = difflib.unified_diff(
            dumps[first].splitlines(keepends=True),
            dumps[other].splitlines(keepends=True),
            fromfile=f"{first} schema",
            tofile=f"{other} schema",
        )
        assert dumps[first] == dumps[other], "".join(diff)


def _add_tenant(database: Database) -> None:
    """One tenant, as the owner: its row, and its own schema where the model keeps one."""
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "INSERT INTO tenants (id, name, slug) VALUES (%s, 'Parity', 'parity')", (TENANT_ID,)
        )
        provision = conn.execute(
            "SELECT to_regprocedure('tenancy.provision_tenant(uuid)') IS NOT NULL"
        ).fetchone()
        if provision is not None and provision[0]:
            conn.execute("SELECT tenancy.provision_tenant(%s)", (TENANT_ID,))


def _provision_through(base_url: str) -> str:
    """A tenant created over HTTP by a new user; the name of the tenant's database."""
    credentials = {"email": "parity@example.com", "password": "correct horse battery staple"}
    with httpx.Client(base_url=f"{base_url}/api/v1", timeout=30) as client:
        client.post("/auth/register", json=credentials).raise_for_status()
        token = client.post("/auth/login", json=credentials).raise_for_status().json()
        created = client.post(
            "/tenants",
            headers={"Authorization": f"Bearer {token['access_token']}"},
            json={"name": "Parity", "slug": "parity"},
        ).raise_for_status()
    return "tenant_" + uuid.UUID(created.json()["id"]).hex


def _schema(database: Database, name: str | None = None) -> str:
    """The schema of the database (or of the server's database `name`) as pg_dump writes it,
    with the names that differ by construction replaced."""
    admin = database.admin_url.rsplit("/", 1)[0] + "/" + (name or database.name)
    excluded = [f"--exclude-table={table}" for table in BOOKKEEPING]
    dump = subprocess.run(
        [str(_pg_dump(admin)), "--schema-only", "--no-comments", *excluded, admin],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    lines = [
        line
        for line in dump.splitlines(keepends=True)
        # A random key per dump, and the versions of server and client.
        if not re.match(r"\\(un)?restrict |-- Dumped (from|by) ", line)
    ]
    text = "".join(lines)
    for actual, placeholder in (
        (database.app, "<app role>"),
        (database.owner, "<owner role>"),
        (database.provisioner, "<provisioning role>"),
        (database.name, "<database>"),
        *([(name, "<tenant database>")] if name else []),
    ):
        text = re.sub(rf"\b{re.escape(actual)}\b", placeholder, text)
    return text


def _pg_dump(url: str) -> Path:
    """A pg_dump at least as new as the server (an older one refuses to dump it)."""
    with psycopg.connect(url) as conn:
        server_major = int(str(conn.execute("SHOW server_version_num").fetchone()[0])) // 10000
    for bindir in candidate_bindirs():
        pg_dump = bindir / "pg_dump"
        if not pg_dump.exists():
            continue
        version = subprocess.run(
            [str(pg_dump), "--version"], capture_output=True, text=True, check=False
        ).stdout
        found = re.search(r"(\d+)\.", version)
        if found and int(found.group(1)) >= server_major:
            return pg_dump
    pytest.fail(f"no pg_dump of PostgreSQL {server_major} or newer (set PG_BINDIR)")
