package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/server"
)

// An unreachable database is reported once, without its password, and the
// start fails after the retry period instead of hanging.
func TestOpenDBUnreachable(t *testing.T) {
	cfg, err := config.Load("", map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": "postgres://auth:hunter2-secret@127.0.0.1:1/auth?sslmode=disable",
		"AUTH_DATABASE_RETRY_FOR":     "2s",
	})
	require.NoError(t, err)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	start := time.Now()
	_, err = server.OpenDB(context.Background(), cfg, log)
	require.Error(t, err)
	require.GreaterOrEqual(t, time.Since(start), 2*time.Second, "it retries before giving up")
	require.Contains(t, err.Error(), "127.0.0.1:1")
	require.NotContains(t, err.Error(), "hunter2-secret")
	require.NotContains(t, logs.String(), "hunter2-secret")
	require.Equal(t, 1, strings.Count(logs.String(), "database unreachable"), logs.String())
	require.Contains(t, logs.String(), "auth:xxxxx@127.0.0.1:1")
}
