package analyze

import (
	"context"
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
	deadline := time.Now().Add(10 * time.Second)
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
