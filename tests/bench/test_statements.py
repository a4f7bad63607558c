"""The pgbench script writer of the benchmark, on a log excerpt (no server needed)."""

from __future__ import annotations

import pytest

from bench.statements import CaptureError, for_server, parse_log, split_by_database, to_script

LOG = """\
2026-11-25 17:54:09.107 UTC [21583] db=acme vxid=3/7 LOG:  statement: BEGIN;
2026-11-25 17:54:09.108 UTC [21583] db=acme vxid=3/7 LOG:  execute __asyncpg_stmt_b__: SELECT role
\tFROM memberships
\tWHERE tenant_id = $1::UUID AND user_id = $2::UUID
2026-11-25 17:54:09.108 UTC [21583] db=acme vxid=3/7 DETAIL:  Parameters: $1 = 'T', $2 = 'U'
2026-11-25 17:54:09.110 UTC [21583] db=acme vxid=3/7 LOG:  execute <unnamed>: INSERT INTO projects \
(tenant_id, id, name, description) VALUES ($1::UUID, $2::UUID, $3::VARCHAR, $4::VARCHAR)
2026-11-25 17:54:09.110 UTC [21583] db=acme vxid=3/7 DETAIL:  Parameters: $1 = 'T', $2 = '{id}', \
$3 = '{name}', $4 = NULL
2026-11-25 17:54:09.110 UTC [21583] db=acme vxid=3/7 LOG:  statement: COMMIT;
"""


def capture(new_id: str, name: str) -> str:
    return LOG.format(id=new_id, name=name)


def test_ids_become_variables_and_per_request_values_fresh_ones() -> None:
    first = parse_log(capture("01a213d7-f723-7fb2-bb3f-e0116e5c6920", "one"))
    second = parse_log(capture("01a213d7-f723-7fb2-bb3f-e0116e5c6921", "two"))
    script = to_script("createProject", [first, second], {"tenant_id": "T", "user_id": "U"})

    assert script.splitlines()[2:] == [
        "BEGIN;",
        "SELECT role",
        "FROM memberships",
        "WHERE tenant_id = :tenant_id::UUID AND user_id = :user_id::UUID;",
        "INSERT INTO projects (tenant_id, id, name, description) VALUES (:tenant_id::UUID, "
        "uuidv7()::UUID, (uuidv7()::text)::VARCHAR, NULL::VARCHAR);",
        "COMMIT;",
    ]
    assert "gen_random_uuid()::UUID" in for_server(script, 170000)
    assert for_server(script, 180000) == script


def test_quoted_values_keep_their_quotes() -> None:
    (_, select, *_) = parse_log(capture("x", "it''s"))
    assert select.parameters == ("'T'", "'U'")
    (*_, insert, _) = parse_log(capture("x", "it''s"))
    assert insert.parameters[2] == "'it''s'"


BATCH = """\
2026-11-25 20:10:00.001 UTC [4242] db=acme vxid=5/90 LOG:  execute stmtcache_1: \
SELECT role, set_config('app.tenant_id', tenant_id::text, true) AS tenant
\tFROM memberships WHERE tenant_id = $1 AND user_id = $2
2026-11-25 20:10:00.001 UTC [4242] db=acme vxid=5/90 DETAIL:  Parameters: $1 = 'T', $2 = 'U'
2026-11-25 20:10:00.002 UTC [4242] db=acme vxid=5/90 LOG:  execute stmtcache_2: \
SELECT id FROM projects WHERE tenant_id = $1 AND id = $2
2026-11-25 20:10:00.002 UTC [4242] db=acme vxid=5/90 DETAIL:  Parameters: $1 = 'T', $2 = 'P'
2026-11-25 20:10:00.003 UTC [4242] db=acme vxid=5/91 LOG:  execute stmtcache_3: SELECT 1
2026-11-25 20:10:00.004 UTC [4242] db=acme vxid=5/92 LOG:  execute stmtcache_4: SELECT 2
"""


def test_a_transaction_without_begin_is_replayed_as_one_pipeline() -> None:
    """pgx sends a batch as one pipeline with one Sync: one implicit transaction, one round trip.
    Statements in transactions of their own (autocommit) stay separate round trips."""
    statements = parse_log(BATCH)
    script = to_script(
        "getProject",
        [statements, statements],
        {"tenant_id": "T", "user_id": "U", "project_id": "P"},
    )

    assert script.splitlines()[2:] == [
        "\\startpipeline",
        "SELECT role, set_config('app.tenant_id', tenant_id::text, true) AS tenant",
        "FROM memberships WHERE tenant_id = :tenant_id AND user_id = :user_id;",
        "SELECT id FROM projects WHERE tenant_id = :tenant_id AND id = :project_id;",
        "\\endpipeline",
        "SELECT 1;",
        "SELECT 2;",
    ]


def test_an_explicit_transaction_is_replayed_statement_by_statement() -> None:
    script = to_script("createProject", [parse_log(capture("a", "b"))] * 2, {"tenant_id": "T"})
    assert "pipeline" not in script


def test_a_log_without_the_transaction_prefix_is_refused() -> None:
    with pytest.raises(CaptureError, match="prefix"):
        parse_log("2026-11-25 17:54:09.107 UTC [21583] LOG:  statement: BEGIN;\n")


def test_a_request_over_two_databases_splits_into_a_script_per_database() -> None:
    # database_per_tenant: the membership in the control database, the rows in the tenant's.
    log = """\
2026-12-02 10:00:00.001 UTC [7] db=acme vxid=4/1 LOG:  execute s1: SELECT name FROM tenants \
WHERE id = $1::uuid
2026-12-02 10:00:00.001 UTC [7] db=acme vxid=4/1 DETAIL:  Parameters: $1 = 'T'
2026-12-02 10:00:00.002 UTC [8] db=tenant_0a vxid=5/1 LOG:  statement: BEGIN
2026-12-02 10:00:00.002 UTC [8] db=tenant_0a vxid=5/1 LOG:  execute s2: SELECT * FROM projects \
WHERE id = $1::uuid
2026-12-02 10:00:00.002 UTC [8] db=tenant_0a vxid=5/1 DETAIL:  Parameters: $1 = 'P'
2026-12-02 10:00:00.003 UTC [8] db=tenant_0a vxid=5/1 LOG:  statement: COMMIT
"""
    parts = split_by_database(parse_log(log))

    assert list(parts) == ["acme", "tenant_0a"]
    assert [s.sql for s in parts["acme"]] == ["SELECT name FROM tenants WHERE id = $1::uuid"]
    tenant = to_script("getProject", [parts["tenant_0a"]] * 2, {"project_id": "P"})
    assert "WHERE id = :project_id::uuid;" in tenant
    assert "tenants" not in tenant
