package analyze

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/hasura-auth-go/auth/testsupport"
)

func TestRunOnceAnalysesChangedTables(t *testing.T) {
	ctx := context.Background()
	url, drop, err := testsupport.CreateDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	db := testsupport.OpenGorm(t, url)
	for _, q := range []string{
		`CREATE SCHEMA auth`,
		`CREATE TABLE auth.users (id int PRIMARY KEY)`,
		`CREATE TABLE auth.quiet (id int PRIMARY KEY)`,
		`CREATE TABLE public.other (id int PRIMARY KEY)`,
		`INSERT INTO auth.users SELECT generate_series(1, 40)`,
		`ANALYZE auth.users`, // analysed while small: the planner thinks it has 40 rows
		`INSERT INTO auth.users SELECT generate_series(41, 5000)`,
		`INSERT INTO auth.quiet SELECT generate_series(1, 10)`,     // below the threshold
		`INSERT INTO public.other SELECT generate_series(1, 5000)`, // not ours
	} {
		if err := db.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Backends report their change counters within a second or so.
	var got []string
	deadline := time.Now().Add(20 * time.Second) // idle backends report within 10 s
	for !slices.Contains(got, "auth.users") && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		if got, err = RunOnce(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(got, []string{"auth.users"}) {
		t.Fatalf("analysed %v, want [auth.users]", got)
	}
	var tuples float64
	if err := db.Raw(`SELECT reltuples FROM pg_class WHERE oid = 'auth.users'::regclass`).Scan(&tuples).Error; err != nil {
		t.Fatal(err)
	}
	if tuples != 5000 {
		t.Fatalf("planner's row count %v after the run, want 5000", tuples)
	}
	if got, err = RunOnce(ctx, db); err != nil || len(got) != 0 {
		t.Fatalf("second run analysed %v (%v), want nothing", got, err)
	}
}

// A role that owns neither the database nor a table does not try to
// analyse it: PostgreSQL would only warn, on every run.
func TestRunOnceSkipsTablesItMayNotAnalyse(t *testing.T) {
	ctx := context.Background()
	admin := testsupport.OpenGorm(t, testsupport.AdminURL())
	var b [4]byte
	_, _ = rand.Read(b[:])
	role := "authtest_analyze_" + hex.EncodeToString(b[:])
	if err := admin.Exec(`CREATE ROLE ` + role + ` LOGIN PASSWORD 'analyze-test'`).Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Exec(`DROP ROLE IF EXISTS ` + role).Error }) // after the database is gone
	dbURL, drop, err := testsupport.CreateDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	owner := testsupport.OpenGorm(t, dbURL)
	for _, q := range []string{
		`CREATE SCHEMA auth`,
		`GRANT USAGE ON SCHEMA auth TO ` + role,
		`CREATE TABLE auth.mine (id int PRIMARY KEY)`,
		`ALTER TABLE auth.mine OWNER TO ` + role,
		`CREATE TABLE auth.theirs (id int PRIMARY KEY)`,
		`INSERT INTO auth.mine SELECT generate_series(1, 5000)`,
		`INSERT INTO auth.theirs SELECT generate_series(1, 5000)`,
	} {
		if err := owner.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// A backend reports its change counters when it exits, or after 10 s idle.
	if sqlDB, err := owner.DB(); err == nil {
		_ = sqlDB.Close()
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(role, "analyze-test")
	db := testsupport.OpenGorm(t, u.String())
	var got []string
	deadline := time.Now().Add(20 * time.Second) // idle backends report within 10 s
	for len(got) == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		if got, err = RunOnce(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(got, []string{"auth.mine"}) {
		t.Fatalf("analysed %v, want [auth.mine]", got)
	}
}
