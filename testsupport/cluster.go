package testsupport

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// PGBin is where Debian installs the PostgreSQL 15 server binaries.
const PGBin = "/usr/lib/postgresql/15/bin"

// Cluster is a PostgreSQL cluster of a test's own, in a temporary directory,
// for tests that stop and start the database (fault tests): the shared
// server is never touched. PostgreSQL refuses to run as root, so when the
// test runs as root the cluster runs as the postgres user (runuser).
type Cluster struct {
	t    testing.TB
	dir  string
	data string
	port int
	as   string // user to run as; "" = the current user
	// URL connects to the cluster's postgres database, as user postgres.
	URL string
}

// StartCluster initialises and starts a cluster, and stops and removes it
// when the test ends. It skips the test only when the binaries are absent.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	if _, err := os.Stat(filepath.Join(PGBin, "initdb")); err != nil {
		t.Skipf("fault test skipped: PostgreSQL 15 server binaries not found at %s (install postgresql-15)", PGBin)
	}
	c := &Cluster{t: t}
	if os.Geteuid() == 0 {
		c.as = "postgres"
	}
	dir, err := os.MkdirTemp("", "authtest-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir, c.data = dir, filepath.Join(dir, "data")
	t.Cleanup(func() {
		_ = c.pgctl("stop", "-m", "immediate")
		_ = os.RemoveAll(dir)
	})
	if c.as != "" {
		u, err := user.Lookup(c.as)
		if err != nil {
			t.Fatalf("tests run as root and PostgreSQL will not: need user %q to run the cluster: %v", c.as, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.run(filepath.Join(PGBin, "initdb"), "-D", c.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.port = freePort(t)
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	c.Start()
	return c
}

// Start starts the cluster and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50", c.port, c.dir)
	if err := c.pgctl("start", "-w", "-t", "60", "-l", filepath.Join(c.dir, "server.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		c.t.Fatalf("pg_ctl start: %v\n%s", err, log)
	}
}

// Stop stops the cluster the hard way (-m immediate: no shutdown
// checkpoint, every connection cut), as a crash or a lost host would.
func (c *Cluster) Stop() {
	c.t.Helper()
	if err := c.pgctl("stop", "-w", "-m", "immediate"); err != nil {
		c.t.Fatalf("pg_ctl stop: %v", err)
	}
}

func (c *Cluster) pgctl(args ...string) error {
	out, err := c.run(filepath.Join(PGBin, "pg_ctl"), append([]string{"-D", c.data}, args...)...)
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}

func (c *Cluster) run(bin string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	if c.as != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.as, "--", bin}, args...)...)
	}
	cmd.Dir = c.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
