package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRequestWorkOutlivesItsClient(t *testing.T) {
	clientCtx, disconnect := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(clientCtx)
	disconnect() // the client is gone before the handler runs

	var workErr error
	var deadline time.Time
	const timeout = 30 * time.Second
	handler := observe(slog.New(slog.NewTextHandler(io.Discard, nil)), timeout, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		workErr = r.Context().Err()
		deadline, _ = r.Context().Deadline()
		w.WriteHeader(http.StatusNoContent)
	}))
	handler.ServeHTTP(httptest.NewRecorder(), req)

	if workErr != nil {
		t.Fatalf("the handler's context was cancelled with its client: %v", workErr)
	}
	if left := time.Until(deadline); left <= 0 || left > timeout {
		t.Fatalf("the handler's context ends in %v, want within the request timeout (%v)", left, timeout)
	}
}
