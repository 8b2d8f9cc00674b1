package compat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/server"
	"github.com/hasura-auth-go/auth/testsupport"
)

// What the fixture holds (shared/fixtures/README.md).
const (
	legacyUserID       = "3a3c7796-46b3-4040-8aa4-b557790688de"
	legacyEmail        = "legacy.user@example.com"
	legacyPassword     = "legacy-password-1"
	legacyRefresh      = "baf49308-bc64-43d4-bb43-c25fa9145631"
	legacyRefreshID    = "4ba5750e-d570-4403-882b-3fdc0ee880ee"
	legacyRefresh2     = "4a5f248e-b985-4589-89d2-a30e767707c0"
	legacyPAT          = "6ba47918-17df-48b8-91c3-e3ee9316913d"
	mfaEmail           = "legacy.mfa@example.com"
	mfaPassword        = "legacy-password-2"
	mfaTOTPSecret      = "B3WWB3GM3JXJU7FALSKS3MFNJWN755LX3BQAYKYW6744WOSP42XQ"
	anonymousUserID    = "ae4a49d6-2ff7-4af8-8075-449131cf5b4c"
	anonymousRefreshID = "d7346660-f765-4d83-a799-72db4d092c0d"
)

// jwtKey is the HS256 key both servers would be given (hasura-auth needs one).
const jwtKey = "fixture-hs256-key-0123456789abcdef0123456789abcdef0123456789abcdef"

const encryptionKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

// fixtureConfig is the configuration the fixture's rows were made under:
// nhost's /v1 prefix, verification not required (its users are unverified),
// anonymous users and TOTP on.
func fixtureConfig(dbURL string) map[string]string {
	return map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":               dbURL,
		"HASURA_GRAPHQL_JWT_SECRET":                 `{"type":"HS256","key":"` + jwtKey + `"}`,
		"AUTH_API_PREFIX":                           "/v1",
		"AUTH_SERVER_URL":                           "https://auth.example.com/v1",
		"AUTH_CLIENT_URL":                           "https://app.example.com",
		"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "false",
		"AUTH_ANONYMOUS_USERS_ENABLED":              "true",
		"AUTH_MFA_ENABLED":                          "true",
		"AUTH_BCRYPT_COST":                          "4",
		"AUTH_ENCRYPTION_KEY":                       encryptionKey,
	}
}

type harness struct {
	t     testing.TB
	srv   *server.Server
	clock *testsupport.Clock
	logs  *testsupport.LogBuffer
}

// start runs the real server (migrations included) on dbURL.
func start(t testing.TB, vals map[string]string) *harness {
	t.Helper()
	cfg, err := config.Load("", testsupport.ThroughPooler(vals))
	require.NoError(t, err)
	clock := testsupport.NewClock()
	logs := &testsupport.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := server.OpenDB(context.Background(), cfg, log)
	require.NoError(t, err)
	srv, err := server.New(context.Background(), cfg, db, server.Options{Now: clock.Now, Log: log, SkipHasuraMetadata: true})
	require.NoError(t, err, "the server starts on this database")
	t.Cleanup(func() { _ = srv.Close() })
	return &harness{t: t, srv: srv, clock: clock, logs: logs}
}

// startOnFixture loads hasura-auth's database, moves its refresh tokens'
// expiry past the test (they were issued for 30 days) and starts the server.
func startOnFixture(t testing.TB, overrides map[string]string) (*harness, string) {
	t.Helper()
	url := testsupport.LoadHasuraAuthFixture(t)
	vals := fixtureConfig(url)
	for k, v := range overrides {
		vals[k] = v
	}
	h := start(t, vals)
	h.exec(`UPDATE auth.refresh_tokens SET expires_at = now() + interval '30 days' WHERE type = 'regular'`)
	return h, url
}

func (h *harness) exec(sql string, args ...any) {
	h.t.Helper()
	require.NoError(h.t, h.srv.DB.Exec(sql, args...).Error)
}

func (h *harness) query(sql string, args ...any) []string {
	h.t.Helper()
	var out []string
	require.NoError(h.t, h.srv.DB.Raw(sql, args...).Scan(&out).Error)
	return out
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), "body: %s", r.Body)
}

func (r *response) code(t testing.TB) string {
	t.Helper()
	var e struct {
		Status int    `json:"status"`
		Error  string `json:"error"`
	}
	r.decode(t, &e)
	require.Equal(t, r.Status, e.Status, "%s", r.Body)
	return e.Error
}

// do sends a request through the real router; headers are name, value pairs.
func (h *harness) do(method, path string, body any, headers ...string) *response {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(h.t, err)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.srv.Router.ServeHTTP(rec, req)
	return &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

type user struct {
	ID            string         `json:"id"`
	Email         string         `json:"email"`
	DisplayName   string         `json:"displayName"`
	AvatarURL     string         `json:"avatarUrl"`
	DefaultRole   string         `json:"defaultRole"`
	Roles         []string       `json:"roles"`
	IsAnonymous   bool           `json:"isAnonymous"`
	Metadata      map[string]any `json:"metadata"`
	ActiveMfaType *string        `json:"activeMfaType"`
}

type session struct {
	AccessToken    string `json:"accessToken"`
	RefreshToken   string `json:"refreshToken"`
	RefreshTokenID string `json:"refreshTokenId"`
	User           user   `json:"user"`
}

// sessionOf reads {"session": …} from a 200.
func (h *harness) sessionOf(r *response) session {
	h.t.Helper()
	require.Equal(h.t, 200, r.Status, "%s", r.Body)
	var p struct {
		Session *session `json:"session"`
	}
	r.decode(h.t, &p)
	require.NotNil(h.t, p.Session, "%s", r.Body)
	return *p.Session
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
