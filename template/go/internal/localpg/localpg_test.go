package localpg

import (
	"archive/tar"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/ulikunitz/xz"
)

func TestADownloadWithAnotherSumIsRefused(t *testing.T) {
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("not the jar that was pinned"))
	}))
	defer mirror.Close()
	t.Setenv("LOCALPG_REPOSITORY", mirror.URL)
	platform, err := platform()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	err = download(context.Background(), platform, dir)
	if err == nil || !strings.Contains(err.Error(), "refusing to run it") {
		t.Fatalf("got %v, want a refusal of the sum", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("unpacked %d entries of a refused download", len(entries))
	}
}

func TestUnpackingRefusesEntriesOutsideItsDirectory(t *testing.T) {
	for name, header := range map[string]tar.Header{
		"a path out":    {Name: "../escaped", Typeflag: tar.TypeReg, Mode: 0o644},
		"an absolute":   {Name: "/tmp/escaped", Typeflag: tar.TypeReg, Mode: 0o644},
		"a link out":    {Name: "lib/libc.so", Typeflag: tar.TypeSymlink, Linkname: "../../../etc/passwd"},
		"a hard link":   {Name: "bin/postgres", Typeflag: tar.TypeLink, Linkname: "/bin/sh"},
		"a device node": {Name: "dev/null", Typeflag: tar.TypeChar},
	} {
		t.Run(name, func(t *testing.T) {
			var packed bytes.Buffer
			compressor, err := xz.NewWriter(&packed)
			if err != nil {
				t.Fatal(err)
			}
			archive := tar.NewWriter(compressor)
			if err := archive.WriteHeader(&header); err != nil {
				t.Fatal(err)
			}
			_ = archive.Close()
			_ = compressor.Close()
			parent := t.TempDir()
			dir := filepath.Join(parent, "install")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := untar(&packed, dir); err == nil {
				t.Fatal("unpacked an entry that leaves the directory")
			}
			if _, err := os.Lstat(filepath.Join(parent, "escaped")); err == nil {
				t.Fatal("wrote outside the directory")
			}
		})
	}
}

func TestThrowawayServesAndIsRemovedOnStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL; skipped with -short")
	}
	ctx := context.Background()
	adminURL, stop, err := Throwaway(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		stop()
		t.Fatal(err)
	}
	var dir string
	err = conn.QueryRow(ctx, "SELECT current_setting('data_directory')").Scan(&dir)
	_ = conn.Close(ctx)
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s is still there after stop (%v)", dir, err)
	}
	if _, err := pgx.Connect(ctx, adminURL); err == nil {
		t.Fatal("the server still accepts connections after stop")
	}
}
