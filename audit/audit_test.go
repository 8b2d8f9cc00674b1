package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestNewRowIsStorable(t *testing.T) {
	id := uuid.New()
	at := time.Unix(1700000000, 0)
	r := newRow(Event{Type: SignInFailed, UserID: id, Email: "a\x00@example.com", Detail: map[string]any{"reason": "bad\xff", "roles": []string{"x\x00"}, "n": 3}},
		Request{IP: "2001:db8::1", UserAgent: strings.Repeat("é", 400), RequestID: "r1"}, at)
	require.Equal(t, "sign-in-failed", r.Event)
	require.Equal(t, ActorUser, r.Actor)
	require.Equal(t, id, *r.UserID)
	require.Equal(t, "a@example.com", r.Metadata["email"], "NUL removed: PostgreSQL refuses it")
	require.Equal(t, "bad\uFFFD", r.Metadata["reason"], "invalid UTF-8 replaced")
	require.Equal(t, []string{"x"}, r.Metadata["roles"])
	require.Equal(t, 3, r.Metadata["n"])
	require.Equal(t, "2001:db8::1", *r.IP)
	require.LessOrEqual(t, len(*r.UserAgent), maxUserAgent)
	require.True(t, strings.HasPrefix(*r.UserAgent, "éé"))
	require.Equal(t, at, r.CreatedAt)

	r = newRow(Event{Type: SignUp}, Request{IP: "not an ip"}, at)
	require.Nil(t, r.IP, "an unparseable address is left out, not stored as text")
	require.Nil(t, r.UserID)
	require.Nil(t, r.UserAgent)
	require.Empty(t, r.Email)
}
