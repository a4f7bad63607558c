package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestAChangedSourceIsRebuiltAndRestarted(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "out")
	program := `package main

import (
	"os"
	"strconv"
	"time"
)

func main() {
	_ = os.WriteFile(os.Args[1], []byte("VERSION "+strconv.Itoa(os.Getpid())), 0o644)
	time.Sleep(time.Hour)
}
`
	write := func(version string) {
		t.Helper()
		source := strings.Replace(program, "VERSION", version, 1)
		if err := os.WriteFile(filepath.Join(root, "main.go"), []byte(source), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/reloaded\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write("first")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- watch(ctx, root, ".", []string{out}, 50*time.Millisecond) }()
	first := waitFor(t, out, "first")

	// File times are at least this coarse on some file systems.
	time.Sleep(20 * time.Millisecond)
	write("second")
	second := waitFor(t, out, "second")
	if alive(first) {
		t.Fatal("the first build still runs after the second started")
	}

	// A build that fails keeps the last good one running: nothing writes the file again.
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "main.go"), []byte("package main\n\nfunc main() { undefined() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a failed build restarted the command")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if alive(second) {
		t.Fatal("the command still runs after reload stopped")
	}
}

func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// waitFor waits until the command of the given version has started, and returns its pid.
func waitFor(t *testing.T, path, version string) int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, _ := os.ReadFile(path)
		if fields := strings.Fields(string(got)); len(fields) == 2 && fields[0] == version {
			pid, err := strconv.Atoi(fields[1])
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %q, want version %s running", path, got, version)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
