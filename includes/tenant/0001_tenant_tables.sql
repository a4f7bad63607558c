-- The first tenant migration: the tables every tenant holds, in its own schema (schema_per_tenant)
-- or its own database (database_per_tenant). Tenant migrations are plain SQL, applied to each
-- tenant in version order (the number before the first "_"), with the tenant's tables first on
-- the search_path: name tenant tables unqualified. A migration, once applied anywhere, never
-- changes: add a new file instead.
-- tenant_id stays on every row, so the queries are the same as in the other tenancy models.
-- No foreign keys to the control tables (users, tenants): from a tenant database there can be
-- none, and in a tenant schema one would lock public.tenants against writes (SHARE ROW EXCLUSIVE)
-- until the creating transaction ends, so tenants provisioned at the same time would deadlock on
-- it. A tenant's rows go with its schema or database.
CREATE TABLE projects (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    name text NOT NULL,
    description text,
    version integer DEFAULT 1 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_projects PRIMARY KEY (tenant_id, id),
    CONSTRAINT uq_projects_tenant_id_name UNIQUE (tenant_id, name)
);

CREATE TABLE idempotency_keys (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    status_code integer NOT NULL,
    response_body jsonb NOT NULL,
    response_headers jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_idempotency_keys PRIMARY KEY (tenant_id, user_id, key)
);

CREATE INDEX ix_idempotency_keys_user_id ON idempotency_keys (user_id);
