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