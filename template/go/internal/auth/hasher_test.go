package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The hasher runs at most `concurrency` hashes at once, lets at most `maxWaiting` callers wait,
// and turns everyone else away at once.
func TestHasherBoundsConcurrencyAndWaiting(t *testing.T) {
	const concurrency, maxWaiting, callers = 2, 3, 20
	h := NewHasher(concurrency, maxWaiting)
	release := make(chan struct{})
	var running, peak atomic.Int64
	var busy atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := h.do(context.Background(), func() error {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				<-release
				running.Add(-1)
				return nil
			})
			if errors.Is(err, ErrHashingBusy) {
				busy.Add(1)
			} else if err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	// Everyone past the budget is refused without waiting for a slot.
	deadline := time.Now().Add(5 * time.Second)
	for busy.Load() < callers-concurrency-maxWaiting && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := busy.Load(); got != callers-concurrency-maxWaiting {
		t.Fatalf("%d callers were turned away while the slots were taken, want %d", got, callers-concurrency-maxWaiting)
	}
	close(release)
	wg.Wait()
	if peak.Load() != concurrency {
		t.Fatalf("%d hashes ran at once, want %d", peak.Load(), concurrency)
	}
}

func TestHasherWaitEndsWithTheContext(t *testing.T) {
	h := NewHasher(1, 1)
	release := make(chan struct{})
	go func() { _ = h.do(context.Background(), func() error { <-release; return nil }) }()
	for len(h.slots) == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := h.do(ctx, func() error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a wait past its context: %v, want DeadlineExceeded", err)
	}
	close(release)
	if h.waiting.Load() != 0 {
		t.Fatalf("%d callers still counted as waiting", h.waiting.Load())
	}
}

func TestDefaultHashConcurrency(t *testing.T) {
	h := NewHasher(0, -1)
	if h.Concurrency() < 1 || h.MaxWaiting() != 4*h.Concurrency() {
		t.Fatalf("derived budget: %d at once, %d waiting", h.Concurrency(), h.MaxWaiting())
	}
	if DefaultHashConcurrency() < 1 {
		t.Fatal("the derived concurrency is below 1")
	}
}
