"""How long `migrate` takes to bring a fleet of tenants up to date: `uv run python -m bench.fleet`.

For each flavour of a model that keeps something per tenant (schema_per_tenant today), render the
default project, install it as the contract suite does, migrate a database on a throwaway
PostgreSQL, and provision N tenants (as the service provisions one: a row, then
tenancy.provision_tenant). Then add a tenant migration (a table and an index per tenant) and time
the project's own `migrate` command, which upgrades every tenant. Its baseline is the same
upgrade done in the same run by one SQL statement looping over the tenants in a single session
(`SELECT tenancy.upgrade_tenant(id) FROM tenants`): the server's own cost, serial and with no
client round trips. A second `migrate`, a no-op, is timed too, and so is provisioning (a tenant
per transaction, against inserting the tenant rows alone, which is all a shared_schema tenant is).

    uv run python -m bench.fleet                     # 50 and 1000 tenants, every such flavour
    uv run python -m bench.fleet --tenants 1000 --flavours go-schema_per_tenant
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

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


def fleet_flavours() -> list[str]:
    return [name for name, flavour in FLAVOURS.items() if flavour.tenancy == "schema_per_tenant"]


def provision(database: Database, tenants: int, *, schemas: bool = True) -> float:
    """Create the tenants, one transaction each; the seconds it took. schemas=False inserts the
    rows alone (all a shared_schema tenant is): the baseline of the provisioning cost."""
    with psycopg.connect(database.owner_url, autocommit=True) as conn:
        started = time.monotonic()
        for _ in range(tenants):
            tenant_id = uuid.uuid4()
            with conn.transaction():
                conn.execute(
                    "INSERT INTO tenants (id, name, slug) VALUES (%s, 'Fleet', %s)",
                    (tenant_id, f"fleet-{tenant_id.hex}"),
                )
                if schemas:
                    conn.execute("SELECT tenancy.provision_tenant(%s)", (tenant_id,))
        return time.monotonic() - started


def versions(database: Database) -> set[int]:
    """The newest tenant migration of each tenant, as a set (one value: the fleet agrees)."""
    with psycopg.connect(database.owner_url) as conn:
        schemas = [
            row[0]
            for row in conn.execute(
                "SELECT tenancy.schema_name(id) FROM tenants ORDER BY id"
            ).fetchall()
        ]
        return {
            conn.execute(f'SELECT max(version) FROM "{schema}".schema_version').fetchone()[0]
            for schema in schemas
        }


def timed_migrate(flavour: Flavour, project: Path, database: Database) -> float:
    started = time.monotonic()
    flavour.migrate(project, flavour.environment(app_settings(database)))
    return time.monotonic() - started


def baseline(database: Database) -> float:
    """The same upgrade as one statement in one session, on a database like the measured one."""
    with psycopg.connect(database.owner_url) as conn:
        conn.execute(
            "SELECT tenancy.record_migration(2, %s, %s)", (MIGRATION_NAME[:-4], ADD_INVOICES)
        )
        conn.commit()
        started = time.monotonic()
        conn.execute("SELECT count(tenancy.upgrade_tenant(id)) FROM tenants")
        conn.commit()
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
            provisioned = provision(measured, count)
            provision(reference, count)
            rows_only = provision(reference, count, schemas=False)
            with psycopg.connect(reference.owner_url) as conn:  # the baseline's rows go again
                conn.execute(
                    "DELETE FROM tenants "
                    "WHERE to_regnamespace(tenancy.schema_name(id)::text) IS NULL"
                )
            tenant_migration.write_text(ADD_INVOICES)
            flavour.install(project)
            fleet = timed_migrate(flavour, project, measured)
            again = timed_migrate(flavour, project, measured)
            serial = baseline(reference)
            agreed = versions(measured)
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
