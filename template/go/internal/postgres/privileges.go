package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrOverprivileged marks a connection refused because its role could change the schema: the
// service's role reads and writes rows, and a request that could do more (through an injected
// statement or a bug) must find nothing to do it with.
var ErrOverprivileged = errors.New("refusing to serve")

// privilegesSQL lists what the connection's role may do beyond DML (an empty array: nothing): be
// a superuser, create schemas in the database or objects in a schema, or act as the owner of a
// table (own it, or be a member of its owner), which could alter or drop it.
const privilegesSQL = `
SELECT array_remove(ARRAY[
    CASE WHEN r.rolsuper THEN 'is a superuser' END,
    CASE WHEN has_database_privilege(current_database(), 'CREATE') THEN 'may create schemas' END,
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
FROM pg_roles r
WHERE r.rolname = current_user`

// verifyPrivileges refuses a role that could change the schema. It runs on every new connection.
func verifyPrivileges(ctx context.Context, conn *pgx.Conn) error {
	var problems []string
	if err := conn.QueryRow(ctx, privilegesSQL).Scan(&problems); err != nil {
		return fmt.Errorf("inspect database role: %w", Redact(err))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: the role of DATABASE_URL %s, so a request could change the schema; "+
			"connect as the app role and run migrations as the owner role (MIGRATION_DATABASE_URL)",
			ErrOverprivileged, strings.Join(problems, " and "))
	}
	return nil
}
