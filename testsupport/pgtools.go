package testsupport

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// PGTool finds a PostgreSQL client program (pg_dump, psql): on PATH, else in
// Debian's /usr/lib/postgresql/<major>/bin, newest major first. A test that
// needs it fails when it is missing: the checks it backs must not pass
// silently on a machine without the client tools.
func PGTool(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("%s not found on PATH or in /usr/lib/postgresql/*/bin: install the PostgreSQL client (apt-get install postgresql-client)", name)
	return ""
}

// DumpSchema returns pg_dump --schema-only of one schema of the database at
// dbURL, without owners or grants.
func DumpSchema(t testing.TB, dbURL, schema string) string {
	t.Helper()
	cmd := exec.Command(PGTool(t, "pg_dump"), "--schema-only", "--no-owner", "--no-privileges", "--schema="+schema, "--dbname="+dbURL)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("pg_dump: %v: %s", err, errOut.String())
	}
	return out.String()
}

// LoadSQLFile runs a SQL file (a pg_dump, with COPY blocks) into the database
// at dbURL with psql, stopping at the first error.
func LoadSQLFile(t testing.TB, dbURL, path string) {
	t.Helper()
	cmd := exec.Command(PGTool(t, "psql"), "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "--dbname="+dbURL, "--file="+path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("psql -f %s: %v: %s", path, err, out.String())
	}
}

// HasuraAuthFixture is the path of the database nhost's hasura-auth leaves
// (shared/fixtures/nhost-hasura-auth-database.sql, beside the repository's
// checkouts): TEST_FIXTURES_DIR overrides the directory, else it is looked
// for in the parents of the working directory. The test fails without it.
func HasuraAuthFixture(t testing.TB) string {
	t.Helper()
	const file = "nhost-hasura-auth-database.sql"
	if d := os.Getenv("TEST_FIXTURES_DIR"); d != "" {
		p := filepath.Join(d, file)
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("TEST_FIXTURES_DIR=%s: %v", d, err)
		}
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "fixtures", file)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Fatalf("%s not found in shared/fixtures/ of any parent directory; set TEST_FIXTURES_DIR to its directory", file)
	return ""
}

// LoadHasuraAuthFixture creates a database holding hasura-auth's fixture and
// returns its URL; the database is dropped when the test ends.
func LoadHasuraAuthFixture(t testing.TB) string {
	t.Helper()
	path := HasuraAuthFixture(t)
	url, drop, err := CreateDB(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	LoadSQLFile(t, url, path)
	return url
}
