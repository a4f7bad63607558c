SELECT array_remove(ARRAY[
    CASE WHEN r.rolsuper THEN 'is a superuser' END,
    CASE WHEN r.rolcreatedb THEN 'may create databases' END,
    CASE WHEN r.rolcreaterole THEN 'may create roles' END,
    (SELECT 'may act as ' || string_agg(quote_ident(p.rolname), ', ' ORDER BY p.rolname)
     FROM pg_roles p
     WHERE p.oid <> r.oid AND (p.rolsuper OR p.rolcreatedb OR p.rolcreaterole)
       AND pg_has_role(r.oid, p.oid, 'MEMBER')
     HAVING count(*) > 0),
    CASE WHEN pg_has_role(d.datdba, 'USAGE') THEN 'acts as the owner of the database' END,
    CASE WHEN has_database_privilege(d.oid, 'CREATE') THEN 'may create schemas' END,
    (SELECT 'may create objects in ' || string_agg(quote_ident(n.nspname), ', ' ORDER BY n.nspname)
     FROM pg_namespace n
     WHERE has_schema_privilege(n.oid, 'CREATE') AND n.nspname !~ '^pg_(toast_)?temp_'
     HAVING count(*) > 0),
    (SELECT 'acts as the owner of ' || string_agg(quote_ident(c.relname), ', ' ORDER BY c.relname)
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND pg_has_role(c.relowner, 'USAGE')
     HAVING count(*) > 0)
], NULL)
FROM pg_roles r, pg_database d
WHERE r.rolname = current_user AND d.datname = current_database()
