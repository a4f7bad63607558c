package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrUnavailable marks a failure of the database rather than of the request: unreachable,
// restarting, out of connections or too slow. The client may retry later.
var ErrUnavailable = errors.New("the database is unavailable")

// Unavailable reports whether err means the database could not serve the request (see
// ErrUnavailable), as opposed to a request or programming error.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || connectionLost(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			strings.HasPrefix(pgErr.Code, "53"), // insufficient resources: too many connections, disk full
			strings.HasPrefix(pgErr.Code, "57"): // operator intervention: cancelled (timeout), shutting down, starting up
			return true
		}
	}
	return false
}

// connectionLost reports whether err is the loss (or the impossibility) of a connection,
// rather than an answer of the server.
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03" // terminated, crashed, starting
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// Redact returns err with every PostgreSQL error in it reduced to its SQLSTATE and the names of
// the constraint, table and column: the server's message and its DETAIL and WHERE can quote the
// row's values (an email, a password hash), which have no place in a log.
func Redact(err error) error {
	var pgErr *pgconn.PgError
	if err == nil || !errors.As(err, &pgErr) {
		return err
	}
	var b strings.Builder
	b.WriteString("PostgreSQL error " + pgErr.Code)
	for _, name := range [][2]string{{"constraint", pgErr.ConstraintName}, {"table", pgErr.TableName}, {"column", pgErr.ColumnName}} {
		if name[1] != "" {
			b.WriteString(" " + name[0] + "=" + name[1])
		}
	}
	return redacted{text: strings.ReplaceAll(err.Error(), pgErr.Error(), b.String()), err: err}
}

// redacted keeps the original chain for errors.Is and errors.As, and prints without values.
type redacted struct {
	text string
	err  error
}

func (r redacted) Error() string { return r.text }
func (r redacted) Unwrap() error { return r.err }

// timed gives every statement of a unit of work its own deadline (the statement timeout, within
// the request's): a hung server or a stuck lock costs one statement timeout, and pgx cancels the
// statement on the server. It is the client's clock, so it holds behind a transaction pooler,
// which would refuse a statement_timeout startup parameter.
type timed struct {
	db      queriesDB
	timeout time.Duration
}

type queriesDB interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}

func (t timed) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	return t.db.Exec(ctx, sql, args...)
}

func (t timed) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	rows, err := t.db.Query(ctx, sql, args...)
	if err != nil {
		cancel()
		return nil, err
	}
	return timedRows{Rows: rows, cancel: cancel}, nil
}

func (t timed) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	return timedRow{row: t.db.QueryRow(ctx, sql, args...), cancel: cancel}
}

// timedRows ends the statement's deadline with the rows.
type timedRows struct {
	pgx.Rows
	cancel context.CancelFunc
}

func (r timedRows) Close() {
	r.Rows.Close()
	r.cancel()
}

type timedRow struct {
	row    pgx.Row
	cancel context.CancelFunc
}

func (r timedRow) Scan(dest ...any) error {
	defer r.cancel()
	return r.row.Scan(dest...)
}
