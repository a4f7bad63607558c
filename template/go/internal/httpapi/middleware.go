package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"
)

type contextKey int

const (
	requestInfoKey contextKey = iota
	userIDKey
)

// requestInfo travels in the request context; handlers add the tenant for the access log.
type requestInfo struct {
	id       string
	tenantID string
	logger   *slog.Logger
}

// loggerFrom is the service's logger, for the errors a request logs.
func loggerFrom(ctx context.Context) *slog.Logger {
	if info, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		return info.logger
	}
	return slog.Default()
}

func requestIDFrom(ctx context.Context) string {
	if info, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		return info.id
	}
	return ""
}

func setLogTenant(ctx context.Context, tenantID string) {
	if info, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		info.tenantID = tenantID
	}
}

// A client's own request id is kept when it is short and plain; anything else is replaced.
var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func newRequestID() string {
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	return hex.EncodeToString(raw)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
	s.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// observe gives every request an id (X-Request-ID on every response) and its own context: the
// work has timeout to finish, and does not stop when its client goes away. pgx would cancel an
// interrupted statement on the server, and the next request would pay for it; the work is
// short, so it finishes, and commits or rolls back, as if the client had stayed. Past the
// timeout the database calls fail and the answer is a 503 (writeError). observe logs one JSON
// line per request with the request id and tenant id, and turns a panic into a 500 problem.
func observe(logger *slog.Logger, timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: r.Header.Get("X-Request-ID"), logger: logger}
		if !saneRequestID.MatchString(info.id) {
			info.id = newRequestID()
		}
		w.Header().Set("X-Request-ID", info.id)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), timeout)
		defer cancel()
		r = r.WithContext(context.WithValue(ctx, requestInfoKey, info))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "panic", "request_id", info.id, "panic", v)
				if rec.status == 0 {
					writeProblem(rec, r, http.StatusInternalServerError,
						"The server failed to handle the request. Report the request_id if this persists.")
				}
			}
			attrs := []any{
				"request_id", info.id, "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "duration_ms", time.Since(start).Milliseconds(),
			}
			if info.tenantID != "" {
				attrs = append(attrs, "tenant_id", info.tenantID)
			}
			logger.InfoContext(r.Context(), "request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

// limitBody caps request bodies at max bytes: a declared larger body is refused before it is
// read, and a body that grows past max while streaming (chunked, or a lying Content-Length)
// fails the read, which the gate answers with 413. Nothing buffers more than max.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			// The unread body would be drained to reuse the connection; close it instead.
			w.Header().Set("Connection", "close")
			writeProblem(w, r, http.StatusRequestEntityTooLarge, tooLarge(max))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

func tooLarge(max int64) string {
	return fmt.Sprintf("The request body is larger than the %d bytes this service accepts.", max)
}
