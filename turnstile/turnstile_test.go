package turnstile_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/turnstile"
)

// siteverify stands in for Cloudflare's endpoint: the token "pass" passes
// with the right secret, anything else fails with Cloudflare's error codes.
// It keeps the forms it received.
type siteverify struct {
	*httptest.Server
	mu    sync.Mutex
	forms []map[string]string
}

func newSiteverify(t *testing.T, secret string) *siteverify {
	t.Helper()
	s := &siteverify{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, http.MethodPost, r.Method)
		require.NoError(t, r.ParseForm())
		s.mu.Lock()
		s.forms = append(s.forms, map[string]string{"secret": r.PostForm.Get("secret"), "response": r.PostForm.Get("response"), "remoteip": r.PostForm.Get("remoteip")})
		s.mu.Unlock()
		out := map[string]any{"success": false, "error-codes": []string{"invalid-input-response"}}
		switch {
		case r.PostForm.Get("secret") != secret:
			out["error-codes"] = []string{"invalid-input-secret"}
		case r.PostForm.Get("response") == "pass":
			out = map[string]any{"success": true, "error-codes": []string{}}
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestVerify(t *testing.T) {
	sv := newSiteverify(t, "0x4-secret")
	v := turnstile.New("0x4-secret", sv.URL, turnstile.Options{})
	ctx := context.Background()

	require.NoError(t, v.Verify(ctx, "pass", "203.0.113.7"))
	require.Equal(t, map[string]string{"secret": "0x4-secret", "response": "pass", "remoteip": "203.0.113.7"}, sv.forms[0])

	err := v.Verify(ctx, "forged", "")
	require.ErrorIs(t, err, turnstile.ErrFailed)
	require.Contains(t, err.Error(), "invalid-input-response")

	require.ErrorIs(t, v.Verify(ctx, "  ", ""), turnstile.ErrMissing)
	require.ErrorIs(t, v.Verify(ctx, strings.Repeat("x", 2049), ""), turnstile.ErrFailed)
	require.Len(t, sv.forms, 2, "no call for a missing or oversized token")

	// A token with characters that would break a hand-built JSON body is sent as form data, intact.
	_ = v.Verify(ctx, `a","secret":"other`, "")
	require.Equal(t, `a","secret":"other`, sv.forms[2]["response"])
	require.Equal(t, "0x4-secret", sv.forms[2]["secret"])

	wrong := turnstile.New("other-secret", sv.URL, turnstile.Options{})
	require.ErrorIs(t, wrong.Verify(ctx, "pass", ""), turnstile.ErrFailed)
}

func TestVerifyUnavailable(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer broken.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) }))
	defer garbage.Close()
	for _, url := range []string{down.URL, broken.URL, garbage.URL} {
		err := turnstile.New("s", url, turnstile.Options{}).Verify(context.Background(), "pass", "")
		require.True(t, errors.Is(err, turnstile.ErrUnavailable), "%s: %v", url, err)
	}
}

func TestProtected(t *testing.T) {
	for path, want := range map[string]bool{
		"/signup/email-password":      true,
		"/signup/passwordless/email":  true,
		"/signup/webauthn":            true,
		"/signup/webauthn/verify":     false,
		"/signup/provider/x/callback": false,
		"/signin/email-password":      false,
		"/signin/passwordless/email":  false,
		"/signup":                     false,
		"/user/email/change":          false,
	} {
		require.Equal(t, want, turnstile.Protected(path), path)
	}
}
