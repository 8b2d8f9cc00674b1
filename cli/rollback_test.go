package cli_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/migrations"
	"github.com/hasura-auth-go/auth/secretbox"
	"github.com/hasura-auth-go/auth/testsupport"
)

func TestPrepareRollback(t *testing.T) {
	url, drop, err := testsupport.CreateDB(context.Background())
	require.NoError(t, err)
	t.Cleanup(drop)
	db := testsupport.OpenGorm(t, url)
	_, err = migrations.Up(context.Background(), db, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	const hexKey = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
	key, err := secretbox.ParseHexKey(hexKey)
	require.NoError(t, err)
	box, err := secretbox.New(key)
	require.NoError(t, err)
	id := uuid.New()
	sealed, err := box.Seal([]byte("JBSWY3DPEHPK3PXP"), id[:])
	require.NoError(t, err)
	require.NoError(t, db.Exec(`INSERT INTO auth.users (id, locale, email, totp_secret, active_mfa_type) VALUES (?, 'en', 'totp@example.com', ?, 'totp')`, id, sealed).Error)
	t.Setenv("HASURA_GRAPHQL_DATABASE_URL", url)
	t.Setenv("AUTH_ENCRYPTION_KEY", "")

	code, _, errOut := run("prepare-rollback")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "AUTH_ENCRYPTION_KEY is not set")

	t.Setenv("AUTH_ENCRYPTION_KEY", hexKey)
	code, out, errOut := run("prepare-rollback", "--dry-run")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "TOTP secrets to write back in clear (dry run: nothing changed): 1")
	var stored string
	require.NoError(t, db.Raw(`SELECT totp_secret FROM auth.users WHERE id = ?`, id).Scan(&stored).Error)
	require.Equal(t, sealed, stored)

	code, out, errOut = run("prepare-rollback")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "TOTP secrets written back in clear: 1")
	require.Contains(t, out, "hasura-auth will not use")
	require.NoError(t, db.Raw(`SELECT totp_secret FROM auth.users WHERE id = ?`, id).Scan(&stored).Error)
	require.Equal(t, "JBSWY3DPEHPK3PXP", stored, "as hasura-auth stores it")
	require.False(t, strings.Contains(out, hexKey))
}
