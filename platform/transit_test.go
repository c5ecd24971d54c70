package platform_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/shandong-emergency/chemguard/pgtest"
	"github.com/shandong-emergency/chemguard/platform"
	"github.com/shandong-emergency/chemguard/store"
	"github.com/shandong-emergency/chemguard/tlstest"
)

// The binary serves HTTPS itself when given a certificate and key.
func TestServesTLS(t *testing.T) {
	t.Parallel()
	ca := tlstest.NewCA(t, "chemguard-test-ca")
	srv := ca.Issue(t, "chemguard", "127.0.0.1", "localhost")
	app := startApp(t, platform.Config{DatabaseURL: pgtest.NewMigratedDatabase(t), TLSCert: srv.CertFile, TLSKey: srv.KeyFile})
	require.True(t, strings.HasPrefix(app.URL(), "https://"), app.URL())
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}}}
	resp, err := client.Get(app.URL() + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, uint16(tls.VersionTLS13), resp.TLS.Version)

	// Plain HTTP to the TLS port gets no page.
	resp, err = http.Get("http://" + app.Addr() + "/healthz")
	if err == nil {
		resp.Body.Close()
		assert.NotEqual(t, 200, resp.StatusCode)
	}
	// TLS 1.1 is refused.
	old := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	_, err = old.Get(app.URL() + "/healthz")
	assert.Error(t, err)

	_, err = platform.New(context.Background(), platform.Config{DatabaseURL: "postgres://x", DataDir: t.TempDir(), TLSCert: srv.CertFile})
	assert.ErrorIs(t, err, platform.ErrTLSPair)
}

const pgBin = "/usr/lib/postgresql/15/bin"

// sslPostgres starts a throw-away PostgreSQL 15 that accepts only TLS connections
// from 127.0.0.1, with a server certificate signed by ca, and returns its port.
// It runs as the postgres user (the tests run as root) and stops at cleanup.
func sslPostgres(tb testing.TB, ca *tlstest.CA) int {
	tb.Helper()
	if _, err := os.Stat(pgBin + "/initdb"); err != nil {
		tb.Fatalf("PostgreSQL 15 binaries are needed in %s (apt-get install postgresql-15): %v", pgBin, err)
	}
	srv := ca.Issue(tb, "postgres", "localhost", "127.0.0.1")
	dir, err := os.MkdirTemp("", "chemguard-pgssl-")
	require.NoError(tb, err)
	tb.Cleanup(func() { os.RemoveAll(dir) })
	for _, f := range []struct{ from, to string }{{srv.CertFile, "server.crt"}, {srv.KeyFile, "server.key"}} {
		b, err := os.ReadFile(f.from)
		require.NoError(tb, err)
		require.NoError(tb, os.WriteFile(filepath.Join(dir, f.to), b, 0o600))
	}
	run := func(args ...string) {
		tb.Helper()
		out, err := exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...).CombinedOutput()
		require.NoError(tb, err, "%s: %s", args[0], out)
	}
	out, err := exec.Command("chown", "-R", "postgres:postgres", dir).CombinedOutput()
	require.NoError(tb, err, string(out))
	require.NoError(tb, os.Chmod(dir, 0o700))
	data := filepath.Join(dir, "data")
	run(pgBin+"/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
	// Only TLS from the network: a plaintext connection is rejected by the server too.
	require.NoError(tb, os.WriteFile(filepath.Join(data, "pg_hba.conf"),
		[]byte("local all all trust\nhostssl all all 127.0.0.0/8 trust\nhostnossl all all 127.0.0.0/8 reject\n"), 0o600))
	out, err = exec.Command("chown", "postgres:postgres", filepath.Join(data, "pg_hba.conf")).CombinedOutput()
	require.NoError(tb, err, string(out))
	port := lowFreePort(tb)
	run(pgBin+"/pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"), "-w", "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1,127.0.0.2 -c ssl=on -c ssl_cert_file=%s -c ssl_key_file=%s -c ssl_min_protocol_version=TLSv1.2",
			port, dir, filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")), "start")
	tb.Cleanup(func() {
		_ = exec.Command("runuser", "-u", "postgres", "--", pgBin+"/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop").Run()
	})
	return port
}

// lowFreePort finds a free port below 32768 (outside the kernel's ephemeral range,
// so no client connection takes it meanwhile).
func lowFreePort(tb testing.TB) int {
	tb.Helper()
	for range 100 {
		p := 20000 + rand.IntN(12000)
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			ln.Close()
			return p
		}
	}
	tb.Fatal("no free port below 32768")
	return 0
}

// The platform's store connects with sslmode=verify-full: the link is encrypted
// and the server's certificate and name are checked against the configured CA.
func TestPostgresVerifyFull(t *testing.T) {
	t.Parallel()
	ca := tlstest.NewCA(t, "chemguard-pg-ca")
	port := sslPostgres(t, ca)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dsn := func(host, mode, root string) string {
		s := fmt.Sprintf("postgres://postgres@%s:%d/postgres?sslmode=%s&connect_timeout=5", host, port, mode)
		if root != "" {
			s += "&sslrootcert=" + root
		}
		return s
	}
	pool, err := store.Open(ctx, dsn("localhost", "verify-full", ca.File))
	require.NoError(t, err)
	defer pool.Close()
	var ssl bool
	var version string
	require.NoError(t, pool.QueryRow(ctx, `SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl, &version))
	assert.True(t, ssl)
	assert.Contains(t, []string{"TLSv1.2", "TLSv1.3"}, version)
	require.NoError(t, store.Migrate(ctx, pool), "the platform's schema installs over the encrypted link")

	for _, c := range []struct{ name, dsn, why string }{
		{"a server certificate from another CA", dsn("localhost", "verify-full", tlstest.NewCA(t, "someone-else").File), "unknown authority"},
		{"a host name the certificate does not carry", dsn("127.0.0.2", "verify-full", ca.File), "not 127.0.0.2"},
		{"plaintext", dsn("localhost", "disable", ""), "no encryption"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := store.Open(ctx, c.dsn)
			if err == nil {
				err = p.Ping(ctx)
				p.Close()
			}
			assert.ErrorContains(t, err, c.why)
		})
	}
}
