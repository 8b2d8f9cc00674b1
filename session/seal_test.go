package session

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/testsupport"
)

// HashToken must produce what hasura-auth's column held, sha256(token)::text
// in PostgreSQL, so sessions of an adopted nhost database keep working.
func TestHashTokenMatchesHasuraAuthColumn(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testsupport.AdminURL())
	require.NoError(t, err)
	defer conn.Close(ctx)
	tok := uuid.NewString()
	var fromPG string
	require.NoError(t, conn.QueryRow(ctx, "SELECT sha256($1::text::bytea)::text", tok).Scan(&fromPG))
	require.Equal(t, fromPG, HashToken(tok))
}

func TestSealOpensOnlyWithRetiredToken(t *testing.T) {
	retired, next := uuid.NewString(), uuid.NewString()
	id := uuid.New()
	sealed, err := seal(retired, id[:], next)
	require.NoError(t, err)
	require.NotContains(t, string(sealed), next)

	got, err := open(retired, id[:], sealed)
	require.NoError(t, err)
	require.Equal(t, next, got)

	_, err = open(uuid.NewString(), id[:], sealed)
	require.Error(t, err, "another token cannot open it")
	other := uuid.New()
	_, err = open(retired, other[:], sealed)
	require.Error(t, err, "bound to its session")
	sealed[len(sealed)-1] ^= 1
	_, err = open(retired, id[:], sealed)
	require.Error(t, err, "tampering is detected")
	_, err = open(retired, id[:], sealed[:5])
	require.Error(t, err)
}
