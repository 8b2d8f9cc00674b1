package sms_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/sms"
	"github.com/hasura-auth-go/auth/sms/smstest"
	"github.com/hasura-auth-go/auth/testsupport"
)

func TestNewCodeIsUniformDigits(t *testing.T) {
	const n = 20000
	var first, last [10]int
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		c, err := sms.NewCode(6)
		require.NoError(t, err)
		require.Len(t, c, 6)
		require.Empty(t, strings.Trim(c, "0123456789"))
		first[c[0]-'0']++
		last[c[5]-'0']++
		seen[c] = true
	}
	// Expected 2000 per digit, standard deviation about 42: the bounds are
	// over 10 deviations wide, so only a real bias (say, no leading zeros)
	// fails.
	for d := 0; d < 10; d++ {
		require.InDelta(t, n/10, first[d], 450, "leading digit %d", d)
		require.InDelta(t, n/10, last[d], 450, "last digit %d", d)
	}
	require.Greater(t, len(seen), n*9/10, "a million values: few repeats")

	c, err := sms.NewCode(10)
	require.NoError(t, err)
	require.Len(t, c, 10)
	_, err = sms.NewCode(0)
	require.Error(t, err)
}

func TestHashCode(t *testing.T) {
	h, err := sms.HashCode("012345", 4)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$2a$04$"))
	require.True(t, sms.CodeMatches(h, "012345"))
	require.False(t, sms.CodeMatches(h, "12345"))
	require.False(t, sms.CodeMatches(h, "012346"))
	require.False(t, sms.CodeMatches("not a hash", "012345"))
	require.False(t, sms.CodeMatches("", ""))
}

// A code stored by hasura-auth (pgcrypto's crypt(code, gen_salt('bf')) in
// auth.users.otp_hash) verifies here, and one stored here verifies with
// pgcrypto's crypt(), which is how hasura-auth checks: either server can
// finish a sign-in the other started.
func TestStoredCodesWorkAcrossServers(t *testing.T) {
	ctx := context.Background()
	db := testsupport.MigratedDB(t)

	c := sms.DefaultConfig()
	c.Enabled, c.Provider, c.ServerURL = true, "log", "http://localhost:4000"
	var buf testsupport.LogBuffer
	s, err := sms.New(c, slog.New(slog.NewJSONHandler(&buf, nil)), nil)
	require.NoError(t, err)

	read := func() sms.Stored {
		var row struct {
			OtpHash           *string
			OtpHashExpiresAt  time.Time
			OtpMethodLastUsed *string
		}
		require.NoError(t, db.Raw(`SELECT otp_hash, otp_hash_expires_at, otp_method_last_used
FROM auth.users WHERE phone_number = ?`, nzMobile.String()).Scan(&row).Error)
		return sms.Stored{Hash: row.OtpHash, ExpiresAt: row.OtpHashExpiresAt, Method: row.OtpMethodLastUsed}
	}

	// Written the way hasura-auth writes it.
	require.NoError(t, db.Exec(`INSERT INTO auth.users (phone_number, otp_hash, otp_hash_expires_at, otp_method_last_used, locale)
VALUES (?, crypt('042917', gen_salt('bf')), now() + interval '5 minutes', 'sms', 'en')`, nzMobile.String()).Error)
	st := read()
	require.True(t, strings.HasPrefix(*st.Hash, "$2a$06$"), "pgcrypto's bcrypt, cost 6")
	v, err := s.Check(ctx, nzMobile, "042917", st)
	require.NoError(t, err)
	require.Equal(t, sms.Accepted, v)
	v, err = s.Check(ctx, nzMobile, "042918", st)
	require.NoError(t, err)
	require.Equal(t, sms.Rejected, v)

	// Written by us, checked with pgcrypto as hasura-auth checks.
	issued, err := s.Send(ctx, nzMobile, "en")
	require.NoError(t, err)
	_, text := lastLogged(t, &buf)
	code := codeIn(t, text)
	require.NoError(t, db.Exec(`UPDATE auth.users SET otp_hash = ?, otp_hash_expires_at = ?, otp_method_last_used = ?
WHERE phone_number = ?`, issued.Hash, issued.ExpiresAt, issued.Method, nzMobile.String()).Error)
	matches := func(guess string) bool {
		var n int64
		require.NoError(t, db.Raw(`SELECT count(*) FROM auth.users WHERE phone_number = ?
  AND otp_hash = crypt(?, otp_hash) AND otp_hash_expires_at > now() AND otp_method_last_used = 'sms'`,
			nzMobile.String(), guess).Scan(&n).Error)
		return n == 1
	}
	require.True(t, matches(code))
	require.False(t, matches(wrongCode(code)))
	v, err = s.Check(ctx, nzMobile, code, read())
	require.NoError(t, err)
	require.Equal(t, sms.Accepted, v)

	// A Twilio Verify sign-in stores a placeholder hash: well formed for
	// pgcrypto, matched by no code, not even the empty one.
	tw := smstest.NewTwilio(t)
	vs, err := sms.New(fakeTwilioConfig(tw, tw.VerifyServiceSID), nil, nil)
	require.NoError(t, err)
	issued, err = vs.Send(ctx, nzMobile, "en")
	require.NoError(t, err)
	require.NoError(t, db.Exec(`UPDATE auth.users SET otp_hash = ?, otp_hash_expires_at = ?, otp_method_last_used = ?
WHERE phone_number = ?`, issued.Hash, issued.ExpiresAt, issued.Method, nzMobile.String()).Error)
	require.False(t, matches(""))
	require.False(t, matches(tw.VerifyCode(nzMobile.String())))
}

// The cost of one guess at the default bcrypt cost (10): the CPU a wrong
// code costs the server, whether or not the number has a code.
func BenchmarkCheck(b *testing.B) {
	c := sms.DefaultConfig()
	c.Enabled, c.Provider, c.ServerURL = true, "log", "http://localhost:4000"
	s, err := sms.New(c, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	issued, err := s.Send(ctx, nzMobile, "en")
	if err != nil {
		b.Fatal(err)
	}
	st := storedFrom(issued)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Check(ctx, nzMobile, "000000", st); err != nil {
			b.Fatal(err)
		}
	}
}
