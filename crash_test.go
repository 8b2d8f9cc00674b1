package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/server"
	"github.com/hasura-auth-go/auth/testsupport"
)

const crashChildEnv = "AUTH_TEST_CRASH_CHILD"

// TestCrashChildServer is the server TestKill9LosesNoAuditRow kills: this
// test binary run again with crashChildEnv set; otherwise it does nothing.
func TestCrashChildServer(t *testing.T) {
	if os.Getenv(crashChildEnv) == "" {
		t.Skip("run by TestKill9LosesNoAuditRow")
	}
	ctx := context.Background()
	cfg, err := config.Load("", nil)
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := server.OpenDB(ctx, cfg, log)
	require.NoError(t, err)
	srv, err := server.New(ctx, cfg, db, server.Options{Log: log, SkipHasuraMetadata: true})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(cfg.Port))
	require.NoError(t, err)
	_ = serve(ctx, newHTTPServer(srv.Router), ln, time.Second, log) // until killed
}

// Issue 20, finding 9: a server killed with SIGKILL under a load of
// sign-ups (email-password, in a transaction, and anonymous, batched) has
// written the audit row of every user it created: the row commits with
// the user, never after.
func TestKill9LosesNoAuditRow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a server")
	}
	ctx := context.Background()
	dbURL, drop, err := testsupport.CreateDB(ctx)
	require.NoError(t, err)
	defer drop()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	child := exec.Command(os.Args[0], "-test.run=^TestCrashChildServer$")
	child.Env = append(os.Environ(), crashChildEnv+"=1",
		"HASURA_GRAPHQL_DATABASE_URL="+dbURL, "AUTH_PORT="+strconv.Itoa(port), "AUTH_BCRYPT_COST=4",
		"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED=false", "AUTH_ANONYMOUS_USERS_ENABLED=true", "AUTH_LOG_LEVEL=error")
	child.Stdout, child.Stderr = io.Discard, os.Stderr
	require.NoError(t, child.Start())
	killed := false
	defer func() {
		if !killed {
			_ = child.Process.Kill()
			_ = child.Wait()
		}
	}()
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 60*time.Second, 50*time.Millisecond, "the server never answered")

	var (
		ok   atomic.Int64
		stop atomic.Bool
		wg   sync.WaitGroup
	)
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				path, body := "/signin/anonymous", `{}`
				if w%2 == 0 {
					path = "/signup/email-password"
					body = fmt.Sprintf(`{"email":"crash-%d-%d@example.com","password":"correct horse battery"}`, w, i)
				}
				resp, err := client.Post(base+path, "application/json", strings.NewReader(body))
				if err != nil {
					return // the server is gone
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					ok.Add(1)
				}
			}
		}()
	}
	// Kill in the middle of the load, not at a quiet moment.
	require.Eventually(t, func() bool { return ok.Load() >= 300 }, 60*time.Second, time.Millisecond)
	require.NoError(t, child.Process.Signal(os.Kill))
	killed = true
	_ = child.Wait()
	stop.Store(true)
	wg.Wait()

	db, err := sql.Open("pgx", dbURL)
	require.NoError(t, err)
	defer db.Close()
	var users, missing int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM auth.users`).Scan(&users))
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM auth.users u WHERE NOT EXISTS (
  SELECT 1 FROM auth.audit_log a WHERE a.user_id = u.id AND a.event = 'sign-up')`).Scan(&missing))
	t.Logf("users created before the kill: %d (answered: %d); without a sign-up audit row: %d", users, ok.Load(), missing)
	require.GreaterOrEqual(t, users, 300)
	require.Zero(t, missing, "users whose sign-up audit row was lost in the crash")
}
