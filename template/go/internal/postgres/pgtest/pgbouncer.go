package pgtest

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"testing"
	"time"
)

// PgBouncer starts a PgBouncer in transaction pooling mode in front of the test server, with
// fewer server connections than a busy test has clients, so that consecutive transactions of
// one client land on different server sessions. It returns connURL pointed at it. The test is
// skipped when pgbouncer is not on PATH.
func PgBouncer(t testing.TB, connURL string) string {
	t.Helper()
	binary, err := exec.LookPath("pgbouncer")
	if err != nil {
		t.Skip("pgbouncer is not on PATH")
	}
	target, err := url.Parse(connURL)
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = 3
max_client_conn = 500
server_reset_query =
log_connections = 0
log_disconnections = 0
`, target.Hostname(), target.Port(), port, filepath.Join(dir, "users.txt"))
	// Trust towards the test, and the role's own password towards the server.
	password, _ := target.User.Password()
	users := fmt.Sprintf("%q %q\n", target.User.Username(), password)
	for name, content := range map[string]string{"pgbouncer.ini": config, "users.txt": users} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 { // PgBouncer refuses to run as root
		if _, err := user.Lookup("nobody"); err != nil {
			t.Skip("running as root and there is no user nobody to run pgbouncer as")
		}
		args = append([]string{"-u", "nobody"}, args...)
	}
	cmd := exec.Command(binary, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("pgbouncer's log:\n%s", logs.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			_ = conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pgbouncer did not start listening")
		}
	}
	target.Host = addr
	return target.String()
}

func freePort(t testing.TB) int {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}
