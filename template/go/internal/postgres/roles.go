package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// roleFindings runs findingsSQL on conn: one row holding an array of what the connection's role
// could do that the service must not, one phrase per finding. It returns them joined with " and
// " for a refusal message, or "" when the role may be used.
func roleFindings(ctx context.Context, conn *pgx.Conn, findingsSQL string) (string, error) {
	var findings []string
	if err := conn.QueryRow(ctx, findingsSQL).Scan(&findings); err != nil {
		return "", fmt.Errorf("inspect database role: %w", Redact(err))
	}
	return strings.Join(findings, " and "), nil
}
