"""How long `migrate` takes to bring a fleet of tenants up to date: `uv run python -m bench.fleet`.

For each flavour of a model that keeps something per tenant (schema_per_tenant,
database_per_tenant), render the default project, install it as the contract suite does, migrate
a database on a throwaway PostgreSQL, and provision N tenants as the service provisions one
(schema_per_tenant: a row, then tenancy.provision_tenant; database_per_tenant: a row, then the
provisioning role creates and builds the tenant's database). Then add a tenant migration (a table
and an index per tenant) and time the project's own `migrate` command, which upgrades every
tenant. Its baseline is the same upgrade done serially in the same run: for schema_per_tenant one
SQL statement looping over the tenants in a single session (`SELECT tenancy.upgrade_tenant(id)
FROM tenants`: the server's own cost, with no client round trips); for database_per_tenant one
client connecting to each tenant database in turn and calling tenancy.upgrade (a connection per
database is the least any client can do). A second `migrate`, a no-op, is timed too, and so is
provisioning (a tenant per transaction, against inserting the tenant rows alone, which is all a
shared_schema tenant is).

    uv run python -m bench.fleet                     # 50 and 1000 tenants, every such flavour
    uv run python -m bench.fleet --tenants 1000 --flavours go-schema_per_tenant
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import jinja2
import psycopg
from psycopg import sql

from tests.contract.flavours import FLAVOURS, Flavour
from tests.contract.server import Database, app_settings, create_database, drop_database
from tests.harness.postgres import throwaway_postgres

from .release import render

# The migration every tenant gets: a table and an index, as a typical release adds.
ADD_INVOICES = """CREATE TABLE invoices (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    total_cents bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_invoices PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ix_invoices_created_at ON invoices (created_at);
"""
MIGRATION_NAME = "0002_bench_invoices.sql"


FLEET_MODELS = ("schema_per_tenant", "database_per_tenant")
ROOT = Path(__file__).resolve().parents[1]


def fleet_flavours() -> list[str]:
    return [name for name, flavour in FLAVOURS.items() if flavour.tenancy in FLEET_MODELS]


def _tenant_database_sql() -> list[str]:
    """What the provisioning role runs in a new tenant database, one statement each."""
    loader = jinja2.FileSystemLoader(ROOT)
    text = jinja2.Environment(loader=loader).get_template(
        "includes/database_per_tenant/tenant-database.sql"
    )
    return [statement for statement in text.render().strip().split("\n\n") if statement]


def _database_url(url: str, database: str) -> str:
    return psycopg.conninfo.make_conninfo(url, dbname=database)


def provision(
    database: Database, tenancy: str, tenants: int, *, rows_only: bool = False
) -> tuple[float, list[uuid.UUID]]:
    """Create the tenants, one transaction each, as the service does: the seconds it took, and
    their ids. rows_only inserts the rows alone (all a shared_schema tenant is): the baseline of
    the provisioning cost."""
    statements = _tenant_database_sql() if tenancy == "database_per_tenant" else []
    with (
        psycopg.connect(database.owner_url, autocommit=True) as conn,
        psycopg.connect(database.provisioner_url, autocommit=True) as provisioner,
    ):
        started = time.monotonic()
        tenant_ids = [uuid.uuid4() for _ in range(tenants)]
        for tenant_id in tenant_ids:
            with conn.transaction():
                conn.execute(
                    "INSERT INTO tenants (id, name, slug) VALUES (%s, 'Fleet', %s)",
                    (tenant_id, f"fleet-{tenant_id.hex}"),
                )
                if rows_only:
                    continue
                if tenancy == "schema_per_tenant":
                    conn.execute("SELECT tenancy.provision_tenant(%s)", (tenant_id,))
                    continue
                name, migrations = conn.execute(
                    "SELECT tenancy.database_name(%s), tenancy.migration_list()::text",
                    (tenant_id,),
                ).fetchone()
                identifier = sql.Identifier(name)
                provisioner.execute(sql.SQL("CREATE DATABASE {}").format(identifier))
                provisioner.execute(
                    sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(identifier)
                )
                provisioner.execute(
                    sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                        identifier, sql.Identifier(database.app)
                    )
                )
                url = _database_url(database.provisioner_url, name)
                with psycopg.connect(url) as tenant:
                    for statement in statements:
                        tenant.execute(statement)
                    tenant.execute(
                        "SELECT tenancy.upgrade(%s::jsonb, %s)", (migrations, database.app)
                    )
        return time.monotonic() - started, tenant_ids


def tenant_names(database: Database, tenancy: str) -> list[str]:
    """The tenants' schemas or databases."""
    function = "schema_name" if tenancy == "schema_per_tenant" else "database_name"
    with psycopg.connect(database.owner_url) as conn:
        rows = conn.execute(f"SELECT tenancy.{function}(id) FROM tenants ORDER BY id").fetchall()
        return [row[0] for row in rows]


def versions(database: Database, tenancy: str) -> set[int]:
    """The newest tenant migration of each tenant, as a set (one value: the fleet agrees)."""
    names = tenant_names(database, tenancy)
    if tenancy == "schema_per_tenant":
        with psycopg.connect(database.owner_url) as conn:
            return {
                conn.execute(f'SELECT max(version) FROM "{name}".schema_version').fetchone()[0]
                for name in names
            }
    found = set()
    for name in names:
        with psycopg.connect(_database_url(database.provisioner_url, name)) as conn:
            found.add(conn.execute("SELECT max(version) FROM tenancy.schema_version").fetchone()[0])
    return found


def timed_migrate(flavour: Flavour, project: Path, database: Database) -> float:
    started = time.monotonic()
    flavour.migrate(project, flavour.environment(app_settings(database)))
    return time.monotonic() - started


def baseline(database: Database, tenancy: str) -> float:
    """The same upgrade done serially (see the module's docstring), on a database like the
    measured one."""
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "SELECT tenancy.record_migration(2, %s, %s)", (MIGRATION_NAME[:-4], ADD_INVOICES)
        )
        conn.commit()
        if tenancy == "schema_per_tenant":
            started = time.monotonic()
            conn.execute("SELECT count(tenancy.upgrade_tenant(id)) FROM tenants")
            conn.commit()
            return time.monotonic() - started
        migrations = conn.execute("SELECT tenancy.migration_list()").fetchone()[0]
    names = tenant_names(database, tenancy)
    started = time.monotonic()
    for name in names:
        with psycopg.connect(_database_url(database.provisioner_url, name)) as tenant:
            tenant.execute(
                "SELECT tenancy.upgrade(%s::jsonb, %s)", (json.dumps(migrations), database.app)
            )
    return time.monotonic() - started


def bench(flavour: Flavour, pg_url: str, counts: list[int], work: Path) -> list[str]:
    project = render(flavour, work / f"{flavour.name}-project")
    flavour.install(project)
    rows = []
    for count in counts:
        measured, reference = create_database(pg_url), create_database(pg_url)
        try:
            tenant_migration = project / "migrations" / "tenant" / MIGRATION_NAME
            tenant_migration.unlink(missing_ok=True)
            flavour.install(project)  # the Go binary embeds its migrations
            for database in (measured, reference):
                timed_migrate(flavour, project, database)
            tenancy = flavour.tenancy
            provisioned, _ = provision(measured, tenancy, count)
            provision(reference, tenancy, count)
            rows_only, bare = provision(reference, tenancy, count, rows_only=True)
            with psycopg.connect(reference.owner_url) as conn:  # the bare rows go again
                conn.execute("DELETE FROM tenants WHERE id = ANY(%s)", (bare,))
            tenant_migration.write_text(ADD_INVOICES)
            flavour.install(project)
            fleet = timed_migrate(flavour, project, measured)
            again = timed_migrate(flavour, project, measured)
            serial = baseline(reference, tenancy)
            agreed = versions(measured, tenancy)
            if agreed != {2}:
                sys.exit(f"{flavour.name}: tenants at versions {sorted(agreed)} after migrate")
            rows.append(
                f"| {flavour.name} | {count} | {fleet:.1f} s | {again:.1f} s | {serial:.1f} s "
                f"| {fleet / serial:.2f} | {provisioned / count * 1000:.1f} ms "
                f"| {provisioned / rows_only:.0f} |"
            )
            print(rows[-1], flush=True)
        finally:
            drop_database(measured)
            drop_database(reference)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__)
    parser.add_argument("--tenants", default="50,1000", help="fleet sizes (default 50,1000)")
    parser.add_argument(
        "--flavours", default=",".join(fleet_flavours()), help="default: every such flavour"
    )
    options = parser.parse_args(argv)
    counts = [int(part) for part in options.tenants.split(",")]
    header = [
        "| flavour | tenants | migrate | again (no-op) | one SQL loop (baseline) | ratio "
        "| provisioning, per tenant | ratio to the row alone |",
        "|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(header), flush=True)
    rows = []
    with throwaway_postgres() as pg, tempfile.TemporaryDirectory() as work:
        for name in options.flavours.split(","):
            rows += bench(FLAVOURS[name], pg.url, counts, Path(work))
    print("\n".join([*header, *rows]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
