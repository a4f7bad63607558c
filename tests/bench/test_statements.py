"""The pgbench script writer of the benchmark, on a log excerpt (no server needed)."""

from __future__ import annotations

from bench.statements import for_server, parse_log, to_script

LOG = """\
2026-11-25 17:54:09.107 UTC [21583] LOG:  statement: BEGIN;
2026-11-25 17:54:09.108 UTC [21583] LOG:  execute __asyncpg_stmt_b__: SELECT role
\tFROM memberships
\tWHERE tenant_id = $1::UUID AND user_id = $2::UUID
2026-11-25 17:54:09.108 UTC [21583] DETAIL:  Parameters: $1 = 'T', $2 = 'U'
2026-11-25 17:54:09.110 UTC [21583] LOG:  execute <unnamed>: INSERT INTO projects (tenant_id, id, \
name, description) VALUES ($1::UUID, $2::UUID, $3::VARCHAR, $4::VARCHAR)
2026-11-25 17:54:09.110 UTC [21583] DETAIL:  Parameters: $1 = 'T', $2 = '{id}', $3 = '{name}', \
$4 = NULL
2026-11-25 17:54:09.110 UTC [21583] LOG:  statement: COMMIT;
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
