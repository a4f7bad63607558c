SELECT array_remove(ARRAY[
    CASE WHEN r.rolsuper THEN 'is a superuser' END,
    CASE WHEN has_database_privilege(current_database(), 'CREATE') THEN 'may create schemas' END,
    (SELECT 'may create objects in ' || string_agg(quote_ident(n.nspname), ', ' ORDER BY n.nspname)
     FROM pg_namespace n
     WHERE has_schema_privilege(n.oid, 'CREATE') AND n.nspname !~ '^pg_(toast_)?temp_'
     HAVING count(*) > 0),
    (SELECT 'acts as the owner of ' || string_agg(quote_ident(n.nspname), ', ' ORDER BY n.nspname)
     FROM pg_namespace n
     WHERE (n.nspname IN ('public', 'tenancy') OR n.nspname ~ '^tenant_[0-9a-f]{32}$')
       AND EXISTS (SELECT FROM pg_class c
                   WHERE c.relnamespace = n.oid AND pg_has_role(c.relowner, 'USAGE'))
     HAVING count(*) > 0),
    CASE WHEN has_function_privilege('tenancy.upgrade_tenant(uuid)', 'EXECUTE')
        THEN 'may run tenant migrations' END
], NULL)
FROM pg_roles r
WHERE r.rolname = current_user
