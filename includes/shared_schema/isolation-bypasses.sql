SELECT array_remove(ARRAY[
    CASE WHEN r.rolsuper THEN 'is a superuser' END,
    CASE WHEN r.rolbypassrls THEN 'has BYPASSRLS' END,
    (SELECT 'owns the tenant tables ' || string_agg(quote_ident(c.relname), ', ' ORDER BY c.relname)
     FROM pg_class c
     WHERE c.relrowsecurity AND pg_has_role(r.oid, c.relowner, 'USAGE')
     HAVING count(*) > 0)
], NULL)
FROM pg_roles r
WHERE r.rolname = current_user
