"""What a user typically does to a rendered project between two template updates, per framework.

`EDITS[framework](project, answers)` changes the project in place and returns the (file, snippet)
pairs that must survive an update. The edits are written the way the project's own tools want
them (ruff-formatted, lint-clean, strictly typed), so the updated project's checks still pass.
Applied to a fresh render of the new release, the same edits must give exactly the updated
project: that is how "differs only by the user's edits" is tested.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.harness.update import insert, replace_once

VERSION_INIT = '"""The version of the deployed service (added by the user)."""\n'

VERSION_ROUTER = """from fastapi import APIRouter
from pydantic import BaseModel

SERVICE_VERSION = "2025.1"

router = APIRouter()


class ServiceVersion(BaseModel):
    version: str


@router.get("/version", name="service_version")
async def service_version() -> ServiceVersion:
    return ServiceVersion(version=SERVICE_VERSION)
"""

VERSION_TEST = """import httpx

from .api import expect


async def test_the_version_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/version")

    assert expect(response, 200) == {"version": "2025.1"}
"""

VERSION_CONTRACT = """  /version:
    get:
      tags: [operations]
      operationId: service_version
      summary: The version of the deployed service
      security: []
      responses:
        "200":
          description: The version
          content:
            application/json:
              schema:
                type: object
                required: [version]
                additionalProperties: false
                properties:
                  version:
                    type: string
"""

RLS_NOTE = "\n\nOur auditors read this file: one test per policy, named after it."

ARCHIVED_MIGRATION = '''"""Projects can be archived.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("projects", sa.Column("archived_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("projects", "archived_at")
'''


def fastapi_edits(project: Path, answers: dict[str, Any]) -> list[tuple[str, str]]:
    pkg = f"src/{answers['package_name']}"
    # A new endpoint: its module, the router include, the contract, a test.
    (project / pkg / "version").mkdir()
    (project / pkg / "version" / "__init__.py").write_text(VERSION_INIT)
    (project / pkg / "version" / "router.py").write_text(VERSION_ROUTER)
    router = project / pkg / "api" / "router.py"
    insert(
        router,
        "from ..users.router import router as users_router\n",
        "from ..version.router import router as version_router\n",
    )
    insert(
        router,
        "api_router.include_router(health.router)\n",
        "api_router.include_router(version_router)\n",
    )
    insert(project / "openapi.yaml", "components:\n", VERSION_CONTRACT, before=True)
    insert(
        project / "tests" / "test_contract.py",
        '    expect(await client.get("/readyz"), 200)\n',
        '    expect(await client.get("/version"), 200)\n',
    )
    (project / "tests" / "test_version.py").write_text(VERSION_TEST)
    # Changed settings.
    replace_once(
        project / ".env.example", "ACCESS_TOKEN_TTL_SECONDS=900", "ACCESS_TOKEN_TTL_SECONDS=600"
    )
    replace_once(
        project / pkg / "config.py",
        "refresh_token_ttl_seconds: int = Field(default=2_592_000, gt=0)",
        "refresh_token_ttl_seconds: int = Field(default=1_209_600, gt=0)",
    )
    # A note in the row-level security tests, which 0.4.0 moved to tests/test_shared_schema.py
    # (copier.yml _migrations carries the edit there).
    rls_tests = project / "tests" / "test_row_level_security.py"
    if not rls_tests.exists():
        rls_tests = project / "tests" / "test_shared_schema.py"
    replace_once(
        rls_tests, "the policies would not bind.", f"the policies would not bind.{RLS_NOTE}"
    )
    # A new Alembic migration, and the model column it adds.
    (project / "migrations" / "versions" / "0002_project_archived_at.py").write_text(
        ARCHIVED_MIGRATION
    )
    insert(
        project / pkg / "projects" / "models.py",
        "    description: Mapped[str | None]\n",
        "    archived_at: Mapped[datetime | None]\n",
    )
    return [
        ("tests/test_shared_schema.py", RLS_NOTE.strip()),
        (f"{pkg}/version/router.py", 'SERVICE_VERSION = "2025.1"'),
        (f"{pkg}/api/router.py", "api_router.include_router(version_router)"),
        (f"{pkg}/api/router.py", "from ..version.router import router as version_router"),
        ("openapi.yaml", "operationId: service_version"),
        ("tests/test_contract.py", 'await client.get("/version")'),
        ("tests/test_version.py", "test_the_version_is_served"),
        (".env.example", "ACCESS_TOKEN_TTL_SECONDS=600"),
        (f"{pkg}/config.py", "refresh_token_ttl_seconds: int = Field(default=1_209_600, gt=0)"),
        ("migrations/versions/0002_project_archived_at.py", "down_revision: str | Sequence"),
        (f"{pkg}/projects/models.py", "archived_at: Mapped[datetime | None]"),
    ]


PROJECT_INDEX_MIGRATION = """-- The dashboard lists projects newest first (added by the user).

-- +goose Up
CREATE INDEX projects_tenant_updated_at_idx ON projects (tenant_id, updated_at DESC);

-- +goose Down
DROP INDEX projects_tenant_updated_at_idx;
"""

GO_SLUG_PACKAGE = """// Package slug turns names into URL-friendly identifiers (added by the user).
package slug

import "strings"

// Of lower-cases name and joins its words with dashes.
func Of(name string) string {
\treturn strings.Join(strings.Fields(strings.ToLower(name)), "-")
}
"""

GO_SLUG_TEST = """package slug

import "testing"

func TestOf(t *testing.T) {
\ttests := []struct{ name, want string }{
\t\t{"Moon Base", "moon-base"},
\t\t{"  Two   Spaces ", "two-spaces"},
\t}
\tfor _, tt := range tests {
\t\tif got := Of(tt.name); got != tt.want {
\t\t\tt.Errorf("Of(%q) = %q, want %q", tt.name, got, tt.want)
\t\t}
\t}
}
"""


def go_edits(project: Path, answers: dict[str, Any]) -> list[tuple[str, str]]:
    # A new package of the user's own, with its test.
    (project / "internal" / "slug").mkdir()
    (project / "internal" / "slug" / "slug.go").write_text(GO_SLUG_PACKAGE)
    (project / "internal" / "slug" / "slug_test.go").write_text(GO_SLUG_TEST)
    # Changed settings.
    replace_once(
        project / ".env.example", "ACCESS_TOKEN_TTL_SECONDS=900", "ACCESS_TOKEN_TTL_SECONDS=600"
    )
    replace_once(
        project / "internal" / "config" / "config.go",
        'integer("REFRESH_TOKEN_TTL_SECONDS", 2592000)',
        'integer("REFRESH_TOKEN_TTL_SECONDS", 1209600)',
    )
    # A new goose migration (an index, so the sqlc models stay as generated).
    (project / "migrations" / "00002_projects_updated_at_index.sql").write_text(
        PROJECT_INDEX_MIGRATION
    )
    return [
        ("internal/slug/slug.go", "func Of(name string) string"),
        ("internal/slug/slug_test.go", "func TestOf"),
        (".env.example", "ACCESS_TOKEN_TTL_SECONDS=600"),
        ("internal/config/config.go", 'integer("REFRESH_TOKEN_TTL_SECONDS", 1209600)'),
        ("migrations/00002_projects_updated_at_index.sql", "projects_tenant_updated_at_idx"),
    ]


EDITS: dict[str, Callable[[Path, dict[str, Any]], list[tuple[str, str]]]] = {
    "fastapi": fastapi_edits,
    "go": go_edits,
}
