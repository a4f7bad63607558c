package auth

import (
	"bufio"
	"context"
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
)

// ErrHashingBusy means every password-hashing slot is taken and the waiting room is full: the
// client should come back in a second rather than queue without bound.
var ErrHashingBusy = errors.New("the server is busy checking other passwords; retry in a second")

// Hasher bounds password hashing, the one unauthenticated operation that costs real memory
// (argonMemoryKiB per hash) and a core for tens of milliseconds. At most `concurrency` hashes
// run at once and at most `maxWaiting` callers wait for a slot; anyone past that gets
// ErrHashingBusy at once.
type Hasher struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
}

// NewHasher returns a hasher with the given budget; concurrency 0 derives it from the machine
// (DefaultHashConcurrency) and a negative maxWaiting means four times the concurrency.
func NewHasher(concurrency, maxWaiting int) *Hasher {
	if concurrency <= 0 {
		concurrency = DefaultHashConcurrency()
	}
	if maxWaiting < 0 {
		maxWaiting = 4 * concurrency
	}
	return &Hasher{slots: make(chan struct{}, concurrency), maxWaiting: int64(maxWaiting)}
}

// Concurrency is how many hashes may run at once.
func (h *Hasher) Concurrency() int { return cap(h.slots) }

// MaxWaiting is how many callers may wait for a slot.
func (h *Hasher) MaxWaiting() int { return int(h.maxWaiting) }

// Hash returns the argon2id hash of password within the budget.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	var hash string
	err := h.do(ctx, func() (err error) {
		hash, err = HashPassword(password)
		return err
	})
	return hash, err
}

// Verify reports whether password matches hash, within the budget.
func (h *Hasher) Verify(ctx context.Context, hash, password string) (bool, error) {
	var ok bool
	err := h.do(ctx, func() (err error) {
		ok, err = VerifyPassword(hash, password)
		return err
	})
	return ok, err
}

// do runs work in a slot: at once if one is free, after waiting if the waiting room has space
// (and ctx lasts), else not at all.
func (h *Hasher) do(ctx context.Context, work func() error) error {
	select {
	case h.slots <- struct{}{}:
	default:
		if h.waiting.Add(1) > h.maxWaiting {
			h.waiting.Add(-1)
			return ErrHashingBusy
		}
		select {
		case h.slots <- struct{}{}:
			h.waiting.Add(-1)
		case <-ctx.Done():
			h.waiting.Add(-1)
			return ctx.Err()
		}
	}
	defer func() { <-h.slots }()
	return work()
}

// DefaultHashConcurrency is max(1, min(cores, a quarter of the memory / memory per hash)): the
// cores are Go's GOMAXPROCS, which follows a container's CPU limit, and the memory is the
// cgroup's limit when there is one, else the machine's.
func DefaultHashConcurrency() int {
	byMemory := int(memoryLimit() / 4 / (argonMemoryKiB * 1024))
	return max(1, min(runtime.GOMAXPROCS(0), byMemory))
}

// memoryLimit is the cgroup (v2, then v1) memory limit, else the physical memory; 0 when neither
// can be read, which makes the budget one hash at a time.
func memoryLimit() uint64 {
	physical := meminfoTotal()
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		raw, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// "max" (v2) or a huge number (v1) mean no limit.
		limit, err := strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 64)
		if err == nil && limit > 0 && (physical == 0 || limit < physical) {
			return limit
		}
	}
	return physical
}

func meminfoTotal() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kib, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kib * 1024
		}
	}
	return 0
}
