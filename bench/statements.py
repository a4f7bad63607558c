r"""What an endpoint sends to PostgreSQL, read from the server log, and its replay for pgbench.

The throwaway server logs every statement of the app role (`ALTER ROLE ... SET log_statement =
'all'`) while the harness sends each endpoint's request twice, one request at a time. The two
captures give the statements (the same text both times, or the endpoint is not deterministic)
and tell the parameters apart:

- a value that names the benchmark's tenant, user or project becomes a pgbench variable
  (`:tenant_id`, `:user_id`, `:project_id`, passed with `-D`);
- a value that is the same both times is a constant and is written as a literal;
- a value that differs (a new id, a unique name) is made fresh per transaction with `uuidv7()`.

The log line prefix carries the virtual transaction id (`LOG_LINE_PREFIX`), so the script keeps
the shape of the exchange as well: statements between BEGIN and COMMIT are replayed one round
trip each, as a driver sends them; several statements in one transaction without a BEGIN can only
have come as one pipeline ending in a single Sync (a pgx batch), so they are replayed as one
pipeline (`\startpipeline` ... `\endpipeline`), the same single round trip and implicit
transaction.

The log line prefix names the database too: under database_per_tenant one request runs in two
(its membership in the control database, its rows in the tenant's), and each database's share
becomes a script of its own (`split_by_database`), replayed against that database.

The resulting script is the endpoint's work as PostgreSQL sees it: the ceiling of the service.
Committed scripts (bench/pgbench/<flavour>/<endpoint>.sql) are compared with each run's
capture, so a change to the hot path cannot leave a stale ceiling behind unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SCRIPTS_DIR = Path(__file__).resolve().parent / "pgbench"

# "2026-11-25 17:54:09.108 UTC [21583] db=acme vxid=3/1042 LOG:  execute __asyncpg_stmt_b__: ..."
# (LOG_LINE_PREFIX: %d is the database, %v the virtual transaction id); continuation lines of a
# multi-line message start with a tab.
LOG_LINE_PREFIX = "%m [%p] db=%d vxid=%v "
_ENTRY = re.compile(
    r"\[(?P<pid>\d+)\] db=(?P<db>\S*) vxid=(?P<vxid>\S*) (?P<level>[A-Z]+):  (?P<message>.*)$"
)
_STATEMENT = re.compile(r"statement: (?P<sql>.*)", re.DOTALL)
_EXECUTE = re.compile(
    r"execute (?:fetch from )?(?P<name>[^:/]+)(?:/[^:]+)?: (?P<sql>.*)", re.DOTALL
)
_PARAMETER = re.compile(r"\$(?P<n>\d+) = (?P<value>NULL|'(?:[^']|'')*')")
_PLACEHOLDER = re.compile(r"\$(\d+)\b")
_UUID = re.compile(r"'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'")
_CAST_AFTER = re.compile(r"\s*::\s*(\w+)")
_BEGIN = re.compile(r"\s*(BEGIN|START\s+TRANSACTION)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: tuple[str, ...] = ()  # as logged: quoted literals or NULL
    transaction: str = ""  # the virtual transaction id it ran in
    database: str = ""


class CaptureError(RuntimeError):
    pass


def parse_log(text: str) -> list[Statement]:
    """The statements in a slice of the server log, in order (one client at a time)."""
    entries: list[tuple[str, str, str, str]] = []
    for line in text.splitlines():
        if line.startswith("\t") and entries:
            database, vxid, level, message = entries[-1]
            entries[-1] = (database, vxid, level, f"{message}\n{line[1:]}")
            continue
        if match := _ENTRY.search(line):
            entries.append((match["db"], match["vxid"], match["level"], match["message"]))
    if not entries and text.strip():
        raise CaptureError(f"no log line has the prefix {LOG_LINE_PREFIX!r}:\n{text[:500]}")
    statements: list[Statement] = []
    for database, vxid, level, message in entries:
        if level == "LOG" and (match := _STATEMENT.match(message) or _EXECUTE.match(message)):
            statements.append(Statement(match["sql"], transaction=vxid, database=database))
        elif level == "DETAIL" and message.startswith("Parameters: ") and statements:
            values = {int(m["n"]): m["value"] for m in _PARAMETER.finditer(message)}
            ordered = tuple(values[n] for n in sorted(values))
            last = statements[-1]
            statements[-1] = Statement(last.sql, ordered, last.transaction, last.database)
        elif level in {"ERROR", "FATAL"}:
            raise CaptureError(f"the server logged an error during the capture: {message}")
    return statements


def split_by_database(statements: Sequence[Statement]) -> dict[str, list[Statement]]:
    """A capture's statements by the database they ran in, in the order the databases were
    first used (the control database first under database_per_tenant)."""
    parts: dict[str, list[Statement]] = {}
    for statement in statements:
        parts.setdefault(statement.database, []).append(statement)
    return parts


def _fresh(sql: str, position: int, value: str) -> str:
    """An expression that yields a new value per transaction, of the parameter's type."""
    placeholder = re.search(rf"\${position}\b", sql)
    cast = _CAST_AFTER.match(sql, placeholder.end()) if placeholder else None
    if (cast and cast[1].lower() == "uuid") or (cast is None and _UUID.fullmatch(value)):
        return "uuidv7()"
    return "(uuidv7()::text)"


def to_script(
    endpoint: str, captures: Sequence[Sequence[Statement]], variables: Mapping[str, str]
) -> str:
    """The pgbench script replaying one endpoint, from two captures of the same request."""
    first, second = captures
    if [s.sql for s in first] != [s.sql for s in second]:
        raise CaptureError(
            f"{endpoint}: two identical requests sent different statements:\n"
            + "\n---\n".join("\n".join(s.sql for s in capture) for capture in captures)
        )
    if not first:
        raise CaptureError(f"{endpoint}: no statements captured (is log_statement on?)")
    named = {f"'{value}'": name for name, value in variables.items()}
    lines = [
        f"-- {endpoint}: the statements one request sends, captured from the server log.",
        "-- Generated by `python -m bench --write-scripts`; variables: "
        + ", ".join(f":{name}" for name in variables),
    ]
    replayed: list[str] = []
    for one, other in zip(first, second, strict=True):
        sql = one.sql

        def substitute(match: re.Match[str], one: Statement = one, other: Statement = other) -> str:
            index = int(match[1]) - 1
            value = one.parameters[index]
            if value in named:
                return f":{named[value]}"
            if value == other.parameters[index]:
                return value
            return _fresh(one.sql, index + 1, value)

        sql = _PLACEHOLDER.sub(substitute, sql) if one.parameters else sql
        sql = "\n".join(line.rstrip() for line in sql.strip().splitlines())
        replayed.append(sql if sql.endswith(";") else f"{sql};")
    for start, end in _pipelines(first):
        replayed[start] = f"\\startpipeline\n{replayed[start]}"
        replayed[end - 1] = f"{replayed[end - 1]}\n\\endpipeline"
    return "\n".join(lines + replayed) + "\n"


def _pipelines(statements: Sequence[Statement]) -> list[tuple[int, int]]:
    """[start, end) of each run of statements sharing a transaction they did not BEGIN."""
    runs: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(statements) + 1):
        if (
            index < len(statements)
            and statements[index].transaction == statements[start].transaction
        ):
            continue
        if (
            index - start > 1
            and statements[start].transaction
            and not _BEGIN.match(statements[start].sql)
        ):
            runs.append((start, index))
        start = index
    return runs


def script_path(flavour: str, endpoint: str, part: str = "") -> Path:
    """bench/pgbench/<flavour>/<endpoint>.sql, or <endpoint>.<part>.sql for one database's share
    of a request that runs in several (part: "control", "tenant")."""
    return SCRIPTS_DIR / flavour / (f"{endpoint}.{part}.sql" if part else f"{endpoint}.sql")


def for_server(script: str, server_version_num: int) -> str:
    """uuidv7() is built in from PostgreSQL 18; older servers get random UUIDs instead."""
    return (
        script if server_version_num >= 180000 else script.replace("uuidv7()", "gen_random_uuid()")
    )
