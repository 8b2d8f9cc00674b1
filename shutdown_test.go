package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/server"
	"github.com/hasura-auth-go/auth/testsupport"
)

// A stop (SIGTERM cancels run's context) closes the listener at once,
// lets the request in flight finish, and only then is the pool closed.
func TestGracefulShutdown(t *testing.T) {
	ctx := context.Background()
	dbURL, drop, err := testsupport.CreateDB(ctx)
	require.NoError(t, err)
	defer drop()
	cfg, err := config.Load("", testsupport.ThroughPooler(map[string]string{"HASURA_GRAPHQL_DATABASE_URL": dbURL, "AUTH_BCRYPT_COST": "4"}))
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := server.OpenDB(ctx, cfg, log)
	require.NoError(t, err)
	srv, err := server.New(ctx, cfg, db, server.Options{Log: log, SkipHasuraMetadata: true})
	require.NoError(t, err)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	httpSrv := newHTTPServer(srv.Router)
	active := make(chan struct{}, 1)
	httpSrv.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateActive {
			select {
			case active <- struct{}{}:
			default:
			}
		}
	}
	stopCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- serve(stopCtx, httpSrv, ln, 10*time.Second, log) }()

	// A request in flight: its body is still on its way when the stop comes.
	body, bodyW := io.Pipe()
	answered := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+addr+"/signin/email-password", body)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			answered <- resp
		}
		close(answered)
	}()
	_, err = bodyW.Write([]byte(`{"email":"ada@example.com",`))
	require.NoError(t, err)
	<-active

	stop() // what SIGTERM does in run
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "no new connections once stopping")
	select {
	case err := <-served:
		t.Fatalf("serve returned before the request in flight was answered: %v", err)
	default:
	}

	_, err = bodyW.Write([]byte(`"password":"wrong password"}`))
	require.NoError(t, err)
	require.NoError(t, bodyW.Close())
	resp := <-answered
	require.NotNil(t, resp, "the request in flight is answered")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode, "%s", b)
	require.True(t, strings.Contains(string(b), "invalid-email-password"), "%s", b)

	require.NoError(t, <-served)
	require.NoError(t, srv.Close()) // run's deferred Close: after the last request
	sqlDB, err := db.DB()
	require.NoError(t, err)
	require.ErrorContains(t, sqlDB.Ping(), "database is closed")
}
