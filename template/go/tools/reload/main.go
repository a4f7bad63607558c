// Command reload builds a Go command, runs it, and rebuilds and restarts it whenever a source
// file of the project changes: the reload of `make dev`.
//
//	reload [-interval 500ms] -- PACKAGE [ARG...]
//
// A build that fails keeps the running version and prints the compiler's errors. SIGINT and
// SIGTERM stop the command and then reload. Changes are found by polling file times, which
// works the same on every file system and needs no dependency.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Files whose change triggers a rebuild: Go sources, and what the binary embeds (openapi.yaml,
// the migrations, HTML).
var watched = []string{".go", ".sql", ".yaml", ".html", ".mod", ".sum"}

// Directories that never hold the service's sources.
var skipped = map[string]bool{".git": true, ".postgres": true, "bin": true, "client": true, "node_modules": true}

func main() {
	flags := flag.NewFlagSet("reload", flag.ExitOnError)
	interval := flags.Duration("interval", 500*time.Millisecond, "how often to look for changes")
	_ = flags.Parse(os.Args[1:])
	if flags.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: reload [-interval 500ms] -- PACKAGE [ARG...]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := watch(ctx, ".", flags.Arg(0), flags.Args()[1:], *interval); err != nil {
		fmt.Fprintf(os.Stderr, "reload: %v\n", err)
		os.Exit(1)
	}
}

// watch builds pkg in the module at root, runs it with args, and rebuilds and restarts it on
// every change under root until ctx ends.
func watch(ctx context.Context, root, pkg string, args []string, interval time.Duration) error {
	dir, err := os.MkdirTemp("", "reload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	binary := filepath.Join(dir, "command")
	var running *exec.Cmd
	defer func() { halt(running) }()
	seen := ""
	for {
		if current := fingerprint(root); current != seen {
			if seen != "" {
				fmt.Fprintln(os.Stderr, "reload: a source file changed, rebuilding")
			}
			seen = current
			build := exec.CommandContext(ctx, "go", "build", "-o", binary, pkg)
			build.Dir, build.Stdout, build.Stderr = root, os.Stderr, os.Stderr
			if err := build.Run(); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				fmt.Fprintln(os.Stderr, "reload: the build failed; still running the last good build")
			} else {
				halt(running)
				running = exec.Command(binary, args...)
				running.Dir, running.Stdin, running.Stdout, running.Stderr = root, os.Stdin, os.Stdout, os.Stderr
				if err := running.Start(); err != nil {
					return err
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

// halt stops the command the way a deployment would: SIGTERM, then SIGKILL after 10 s.
func halt(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// fingerprint names every watched file with its size and modification time.
func fingerprint(root string) string {
	var b strings.Builder
	_ = filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return nil
		case entry.IsDir() && path != root && (skipped[entry.Name()] || strings.HasPrefix(entry.Name(), ".")):
			return filepath.SkipDir
		case entry.IsDir():
			return nil
		}
		for _, suffix := range watched {
			if strings.HasSuffix(path, suffix) && !strings.HasSuffix(path, "_test.go") {
				if info, err := entry.Info(); err == nil {
					fmt.Fprintf(&b, "%s %d %d\n", path, info.Size(), info.ModTime().UnixNano())
				}
				break
			}
		}
		return nil
	})
	return b.String()
}
