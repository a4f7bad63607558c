"""Initial schema, with the tenant tables under row-level security.

Control tables (users, refresh tokens, tenants, memberships) and tenant tables (projects,
idempotency keys), plus the app role's grants.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("users", "refresh_tokens", "tenants", "memberships", "projects", "idempotency_keys")
TENANT_TABLES = ("projects", "idempotency_keys")
DML = "SELECT, INSERT, UPDATE, DELETE"
DEFAULT_PRIVILEGES = "ALTER DEFAULT PRIVILEGES IN SCHEMA public"

# The tenant of the current transaction, or NULL when none is set. current_setting(..., true)
# gives '' rather than NULL once a transaction-local value has been rolled back on a pooled
# connection; NULLIF turns that into "no tenant" too, which matches no rows instead of failing.
CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    _create_control_tables()
    _create_tenant_tables()
    for table in TENANT_TABLES:
        # FORCE: the policies bind the table owner too, not only the app role.
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
    app_role = _app_role()
    op.execute(f"GRANT USAGE ON SCHEMA public TO {app_role}")
    op.execute(f"GRANT {DML} ON {', '.join(TABLES)} TO {app_role}")
    # Tables and sequences of later migrations (created by the same owner) are granted as well.
    op.execute(f"{DEFAULT_PRIVILEGES} GRANT {DML} ON TABLES TO {app_role}")
    op.execute(f"{DEFAULT_PRIVILEGES} GRANT SELECT, USAGE ON SEQUENCES TO {app_role}")


def downgrade() -> None:
    app_role = _app_role()
    op.execute(f"{DEFAULT_PRIVILEGES} REVOKE SELECT, USAGE ON SEQUENCES FROM {app_role}")
    op.execute(f"{DEFAULT_PRIVILEGES} REVOKE {DML} ON TABLES FROM {app_role}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {app_role}")
    # Dropping a table drops its policies and grants with it.
    for table in reversed(TABLES):
        op.drop_table(table)


def _app_role() -> str:
    """The app role (user of DATABASE_URL, set by env.py), quoted as an identifier."""
    context = op.get_context()
    assert context.config is not None  # noqa: S101 - always run through env.py
    return context.dialect.identifier_preparer.quote_identifier(
        context.config.attributes["app_role"]
    )


def _created_at() -> sa.Column[datetime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def _create_control_tables() -> None:
    """Users, tokens, tenants and memberships: shared by all tenants, so no row-level security;
    the services decide who may see what."""
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_users_email_lower_case")),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_tokens"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_refresh_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
    )
    op.create_index("ix_refresh_tokens_user_id", "refresh_tokens", ["user_id"])
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("slug", name="uq_tenants_slug"),
    )
    op.create_table(
        "memberships",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name="pk_memberships"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_memberships_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_memberships_user_id_users", ondelete="CASCADE"
        ),
        # op.f: the name as written; the naming convention would prefix ck_memberships_ again.
        sa.CheckConstraint(
            "role IN ('owner', 'admin', 'member')", name=op.f("ck_memberships_role")
        ),
    )
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])


def _create_tenant_tables() -> None:
    """Tenant data: tenant_id leads every key, so each tenant's rows cluster in the indexes and
    the tables can later be distributed by tenant_id (e.g. Citus)."""
    op.create_table(
        "projects",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        _created_at(),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_projects"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_projects_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("tenant_id", "name", name="uq_projects_tenant_id_name"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_hash", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", postgresql.JSONB(), nullable=False),
        sa.Column("response_headers", postgresql.JSONB(), nullable=False),
        _created_at(),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", "key", name="pk_idempotency_keys"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name="fk_idempotency_keys_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_idempotency_keys_user_id_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_idempotency_keys_user_id", "idempotency_keys", ["user_id"])
