{#- The tenant migrations as `migrate` records them, for schema_per_tenant and database_per_tenant
    alike; included into the model's tenancy.sql after CREATE SCHEMA tenancy. -#}
-- The tenant migrations (migrations/tenant/*.sql), recorded by every `migrate` before it upgrades
-- the tenants, so a tenant provisioned between two deployments gets exactly what the others have.
CREATE TABLE tenancy.migrations (
    version bigint NOT NULL,
    name text NOT NULL,
    statements text NOT NULL,
    recorded_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_migrations PRIMARY KEY (version),
    CONSTRAINT ck_migrations_version_positive CHECK (version > 0)
);

-- Records one tenant migration; true when it is new. A recorded migration whose text has changed
-- is refused: tenants migrated with the old text would silently differ from new ones. Until the
-- caller's transaction ends, tenants is locked against new rows: a provisioning in flight (which
-- may have read the migrations before this one) commits first, so the caller's next look at
-- tenants finds it, and one that starts later is created with this migration.
CREATE FUNCTION tenancy.record_migration(version bigint, name text, statements text)
    RETURNS boolean
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    recorded tenancy.migrations;
BEGIN
    LOCK TABLE public.tenants IN SHARE MODE;
    SELECT * INTO recorded FROM tenancy.migrations m WHERE m.version = record_migration.version;
    IF NOT FOUND THEN
        INSERT INTO tenancy.migrations (version, name, statements) VALUES ($1, $2, $3);
        RETURN true;
    END IF;
    IF recorded.name <> record_migration.name
        OR recorded.statements <> record_migration.statements
    THEN
        RAISE EXCEPTION 'tenant migration % (%) differs from the one recorded as %',
            version, name, recorded.name
            USING ERRCODE = 'data_exception',
                  HINT = 'A recorded tenant migration may be applied already: '
                      'undo the edit, and add a new migration instead.';
    END IF;
    RETURN false;
END
$$;

REVOKE ALL ON FUNCTION tenancy.record_migration(bigint, text, text) FROM PUBLIC;
