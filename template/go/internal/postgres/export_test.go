package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Bind is the isolation model's bind on its own, for the tests of what it guarantees.
func Bind(ctx context.Context, tx pgx.Tx, tenantID, userID uuid.UUID) (string, error) {
	return newIsolation().bind(ctx, tx, tenantID, userID)
}
