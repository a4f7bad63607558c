{#- What the provisioning role runs in a tenant database it has just created, in one transaction
    with the first tenancy.upgrade: one statement per paragraph, as in tenancy.sql.jinja. -#}
-- A tenant database: its tables in public, built and upgraded by tenancy.upgrade from the tenant
-- migrations recorded in the control database. The provisioning role owns everything here; the
-- app role gets DML on the tenant tables and nothing else.
CREATE SCHEMA tenancy;

-- The tenant migrations applied to this database.
CREATE TABLE tenancy.schema_version (
    version bigint NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pk_schema_version PRIMARY KEY (version)
);

-- Applies the migrations (the control database's tenancy.migration_list()) this database
-- lacks, in version order, in the caller's transaction, grants app_role DML on the tenant
-- tables, and returns how many it applied (0: already current). Two calls wait for each other.
CREATE FUNCTION tenancy.upgrade(migrations jsonb, app_role name) RETURNS integer
    LANGUAGE plpgsql
    SET search_path = public, pg_temp
AS $$
DECLARE
    migration record;
    count integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('tenancy.upgrade', 0));
    FOR migration IN
        SELECT m.version, m.name, m.statements
        FROM jsonb_to_recordset(migrations) AS m (version bigint, name text, statements text)
        WHERE NOT EXISTS (SELECT FROM tenancy.schema_version v WHERE v.version = m.version)
        ORDER BY m.version
    LOOP
        EXECUTE migration.statements;
        INSERT INTO tenancy.schema_version (version, name)
            VALUES (migration.version, migration.name);
        count := count + 1;
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I',
                   app_role);
    EXECUTE format('GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA public TO %I', app_role);
    RETURN count;
END
$$;

REVOKE ALL ON FUNCTION tenancy.upgrade(jsonb, name) FROM PUBLIC;
