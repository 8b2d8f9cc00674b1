package apierr

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
)

func TestUnavailable(t *testing.T) {
	for _, err := range []error{
		&pgconn.PgError{Code: "57P01"}, &pgconn.PgError{Code: "08006"}, &pgconn.PgError{Code: "53300"},
		fmt.Errorf("load user: %w", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}),
		fmt.Errorf("x: %w", io.ErrUnexpectedEOF), errors.New("failed to connect to `host=127.0.0.1`: dial error"),
	} {
		require.True(t, Unavailable(err), "%v", err)
		require.Equal(t, 503, As(err).Status, "%v", err)
		require.Equal(t, ServiceUnavailable, As(err).Code)
	}
	for _, err := range []error{
		&pgconn.PgError{Code: "23505"}, &pgconn.PgError{Code: "42P01"}, errors.New("boom"), nil,
	} {
		require.False(t, Unavailable(err), "%v", err)
	}
	require.Equal(t, 500, As(errors.New("boom")).Status)
	// An API error keeps its own status even when its cause is a network error.
	require.Equal(t, 500, As(Internal(&net.OpError{Op: "dial"})).Status)
}
