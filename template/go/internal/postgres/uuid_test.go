package postgres

import (
	"bytes"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

func TestUUIDArgumentsAreEncodedInBinary(t *testing.T) {
	m := pgtype.NewMap()
	registerUUID(m)
	id := uuid.New()
	if _, ok := m.PlanEncode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id).(*uuidEncodePlan); !ok {
		t.Fatal("a uuid.UUID argument does not take the registered plan")
	}
	buf, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id, nil)
	if err != nil || !bytes.Equal(buf, id[:]) {
		t.Fatalf("encoded %x (err %v), want the 16 bytes %x", buf, err, id[:])
	}
	buf, err = m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, (*uuid.UUID)(nil), nil)
	if err != nil || buf != nil {
		t.Fatalf("a nil *uuid.UUID encoded as %x (err %v), want NULL", buf, err)
	}
}
