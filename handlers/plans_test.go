package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/server"
	"github.com/hasura-auth-go/auth/testsupport"
)

// statementLog records the statements a server sends (pgx's tracer hooks).
type statementLog struct {
	mu   sync.Mutex
	on   bool
	seen map[string][]any // SQL → the arguments of its first call
	keys []string
}

func (l *statementLog) add(sql string, args []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.on {
		return
	}
	if _, ok := l.seen[sql]; !ok {
		l.seen[sql] = args
		l.keys = append(l.keys, sql)
	}
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.add(d.SQL, d.Args)
	return ctx
}
func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (l *statementLog) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (l *statementLog) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	l.add(d.SQL, d.Args)
}
func (l *statementLog) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// growing are the tables whose size follows the number of users and
// sessions: a statement on the hot paths must never scan them.
var growing = map[string]bool{
	"users": true, "user_roles": true, "refresh_tokens": true, "refresh_token_history": true,
	"user_providers": true, "user_security_keys": true, "audit_log": true,
}

// Every statement the hot paths send (sign-up, sign-in, refresh, GET /user,
// Bearer verify, anonymous sign-in, sign-out) is planned with an index, not
// a sequential scan of a table that grows with users, on tables of 20k
// users and sessions that were never analysed: with autovacuum off (as on
// the benchmark machines) nothing ever gives the planner statistics, and
// a plan that needs them degrades as the tables grow. EXPLAIN only: the
// statements are planned with the arguments they were sent with, not run.
func TestHotStatementsUseIndexesUnanalysed(t *testing.T) {
	ctx := context.Background()
	url := ownDB(t)
	vals := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": url}
	for k, v := range baseConfig {
		vals[k] = v
	}
	cfg, err := config.Load("", vals)
	require.NoError(t, err)
	rec := &statementLog{seen: map[string][]any{}}
	pc, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	pc.Tracer = rec
	sqlDB := stdlib.OpenDB(*pc)
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}),
		&gorm.Config{TranslateError: true, Logger: logger.Discard, SkipDefaultTransaction: true})
	require.NoError(t, err)
	clock := testsupport.NewClock()
	logs := &testsupport.LogBuffer{}
	srv, err := server.New(ctx, cfg, db, server.Options{Now: clock.Now, Log: slog.New(slog.NewTextHandler(logs, nil)), SkipAnalyze: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	e := &env{t: t, srv: srv, clock: clock, logs: logs}

	direct, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer direct.Close(ctx)
	const n = 20000
	for _, q := range []string{
		`INSERT INTO auth.users (email, locale, display_name) SELECT 'bulk' || g || '@example.com', 'en', 'Bulk ' || g FROM generate_series(1, ` + fmt.Sprint(n) + `) g`,
		`INSERT INTO auth.user_roles (user_id, role) SELECT id, 'user' FROM auth.users`,
		`INSERT INTO auth.refresh_tokens (user_id, refresh_token_hash, expires_at) SELECT id, md5(id::text), now() + interval '30 days' FROM auth.users`,
		`INSERT INTO auth.refresh_token_history (token_hash, refresh_token_id, generation, rotated_at, expires_at)
		   SELECT md5(id::text || 'old'), id, 0, now(), now() + interval '30 days' FROM auth.refresh_tokens`,
	} {
		_, err := direct.Exec(ctx, q)
		require.NoError(t, err, q)
	}
	var analysed int
	require.NoError(t, direct.QueryRow(ctx, `SELECT count(*) FROM pg_stat_user_tables WHERE schemaname = 'auth'
		AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)`).Scan(&analysed))
	require.Zero(t, analysed, "the tables must be unanalysed for this test to mean anything")

	rec.mu.Lock()
	rec.on = true
	rec.mu.Unlock()
	addr := email(t)
	up := e.signUp(addr, nil)
	in := e.signIn(addr)
	s := e.mustRefresh(in.RefreshToken)
	s = e.mustRefresh(s.RefreshToken)
	require.Equal(t, 401, e.refresh(in.RefreshToken).Status, "a replayed token")
	e.getUser(s.AccessToken)
	e.requireAccess(up.AccessToken, 200)
	r := e.do("POST", "/v1/signin/anonymous", nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, 200, e.do("POST", "/v1/signout", map[string]any{"refreshToken": s.RefreshToken}).Status)
	require.NoError(t, srv.Audit.Close(ctx)) // its batched INSERT too
	rec.mu.Lock()
	rec.on = false
	keys := append([]string(nil), rec.keys...)
	rec.mu.Unlock()

	planned := 0
	for _, q := range keys {
		head := strings.ToUpper(strings.Fields(strings.TrimSpace(q) + " x")[0])
		switch head {
		case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH":
		default:
			continue // BEGIN, COMMIT, LISTEN …
		}
		if strings.Contains(q, "pg_notify") || strings.Contains(q, "pg_advisory") {
			continue
		}
		var plan string
		err := direct.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q, rec.seen[q]...).Scan(&plan)
		require.NoError(t, err, q)
		planned++
		var doc []struct{ Plan map[string]any }
		require.NoError(t, json.Unmarshal([]byte(plan), &doc))
		for _, scan := range seqScans(doc[0].Plan) {
			if growing[scan] {
				t.Errorf("sequential scan of auth.%s on a hot path:\n%s\n%s", scan, q, plan)
			}
		}
	}
	t.Logf("%d statements planned", planned)
	require.Greater(t, planned, 10, "the hot paths' statements were recorded")
}

// seqScans lists the relations a plan reads with a sequential scan.
func seqScans(node map[string]any) []string {
	var out []string
	if node["Node Type"] == "Seq Scan" {
		if rel, ok := node["Relation Name"].(string); ok {
			out = append(out, rel)
		}
	}
	if kids, ok := node["Plans"].([]any); ok {
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok {
				out = append(out, seqScans(m)...)
			}
		}
	}
	return out
}
