package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apitest"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/hasura"
	"github.com/hasura-auth-go/auth/server"
	"github.com/hasura-auth-go/auth/testsupport"
)

// dbURL is one throwaway database for this package's tests; every test gets
// its own server (and config) on it and uses its own emails.
var dbURL string

func TestMain(m *testing.M) {
	url, drop, err := testsupport.CreateDB(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dbURL = url
	code := m.Run()
	drop()
	os.Exit(code)
}

type env struct {
	t     testing.TB
	srv   *server.Server
	clock *testsupport.Clock
	logs  *testsupport.LogBuffer
}

// baseConfig is what every test server starts from: the nhost client's /v1
// prefix, cheap bcrypt, sessions without email verification.
var baseConfig = map[string]string{
	"AUTH_API_PREFIX":                           "/v1",
	"AUTH_BCRYPT_COST":                          "4",
	"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "false",
	"AUTH_ANONYMOUS_USERS_ENABLED":              "true",
	"AUTH_CLIENT_URL":                           "https://app.example.com",
	"AUTH_PASSWORD_MIN_LENGTH":                  "8",
	"AUTH_USER_DEFAULT_ALLOWED_ROLES":           "me,user,editor",
	"AUTH_LOCALE_ALLOWED_LOCALES":               "en,fr",
}

func newEnv(t testing.TB, overrides map[string]string) *env {
	t.Helper()
	return newEnvWith(t, overrides, server.Options{})
}

// newEnvWith builds the server with seams of server.Options (the clock and
// log are the env's).
func newEnvWith(t testing.TB, overrides map[string]string, o server.Options) *env {
	t.Helper()
	vals := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": dbURL}
	for k, v := range baseConfig {
		vals[k] = v
	}
	for k, v := range overrides {
		vals[k] = v
	}
	cfg, err := config.Load("", testsupport.ThroughPooler(vals))
	require.NoError(t, err)
	clock := testsupport.NewClock()
	logs := &testsupport.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	db, err := server.OpenDB(ctx, cfg, log)
	require.NoError(t, err)
	o.Now, o.Log = clock.Now, log
	srv, err := server.New(ctx, cfg, db, o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return &env{t: t, srv: srv, clock: clock, logs: logs}
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

// errorCode returns the "error" field of an error body.
func (r *response) errorCode(t testing.TB) string {
	t.Helper()
	var e struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	r.decode(t, &e)
	require.Equal(t, r.Status, e.Status, "status field must equal the HTTP status: %s", r.Body)
	require.NotEmpty(t, e.Message)
	return e.Error
}

type header struct{ k, v string }

func bearer(tok string) header { return header{"Authorization", "Bearer " + tok} }

// remoteAddrKey is not a header: do sets the request's socket address from it.
const remoteAddrKey = "\x00remote-addr"

// fromIP makes the request come from ip's socket (httptest's default is 192.0.2.1).
func fromIP(ip string) header { return header{remoteAddrKey, net.JoinHostPort(ip, "40000")} }

// do sends a request through the real router. body may be a string (sent as
// is), nil (no body) or a value to encode as JSON.
func (e *env) do(method, path string, body any, headers ...header) *response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		if h.k == remoteAddrKey {
			req.RemoteAddr = h.v
			continue
		}
		req.Header.Set(h.k, h.v)
	}
	rec := httptest.NewRecorder()
	e.srv.Router.ServeHTTP(rec, req)
	return &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

var emailSeq atomic.Int64

// email returns an address no other test uses.
func email(t testing.TB) string {
	return fmt.Sprintf("u%d-%s@example.com", emailSeq.Add(1), strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())))
}

type sessionBody struct {
	AccessToken          string   `json:"accessToken"`
	AccessTokenExpiresIn int64    `json:"accessTokenExpiresIn"`
	RefreshToken         string   `json:"refreshToken"`
	RefreshTokenID       string   `json:"refreshTokenId"`
	User                 userBody `json:"user"`
}

type userBody struct {
	ID            string         `json:"id"`
	Email         string         `json:"email"`
	DisplayName   string         `json:"displayName"`
	DefaultRole   string         `json:"defaultRole"`
	Roles         []string       `json:"roles"`
	Locale        string         `json:"locale"`
	IsAnonymous   bool           `json:"isAnonymous"`
	EmailVerified bool           `json:"emailVerified"`
	Metadata      map[string]any `json:"metadata"`
	ActiveMfaType *string        `json:"activeMfaType"`
}

const password = "correct horse battery"

// signUp creates a user and returns its session.
func (e *env) signUp(addr string, options map[string]any) sessionBody {
	e.t.Helper()
	body := map[string]any{"email": addr, "password": password}
	if options != nil {
		body["options"] = options
	}
	r := e.do("POST", "/v1/signup/email-password", body)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var p struct{ Session *sessionBody }
	r.decode(e.t, &p)
	require.NotNil(e.t, p.Session, "%s", r.Body)
	return *p.Session
}

func (e *env) db() *gorm.DB { return e.srv.DB }

// verifier applies Hasura's rules with this server's published keys and clock.
func (e *env) verifier() *hasura.Verifier {
	e.t.Helper()
	r := e.do("GET", "/v1/.well-known/jwks.json", nil)
	require.Equal(e.t, 200, r.Status)
	cfg := hasura.VerifierConfig{Now: e.clock.Now}
	if e.srv.Config.JWTSecret != nil {
		cfg.Secret = e.srv.Config.JWTSecret
	} else {
		keys, err := hasura.ParseJWKS(r.Body)
		require.NoError(e.t, err)
		require.NotEmpty(e.t, keys)
		cfg.Keys = keys
	}
	v, err := hasura.NewVerifier(cfg)
	require.NoError(e.t, err)
	return v
}

// hasuraClaims checks an access token the way Hasura would and returns its session variables.
func (e *env) hasuraClaims(tok string) *hasura.Claims {
	e.t.Helper()
	c, err := e.verifier().Verify(tok, "")
	require.NoError(e.t, err, "Hasura would refuse this token")
	require.Contains(e.t, c.AllowedRoles, c.DefaultRole)
	return c
}

// contract checks a response against the OpenAPI contract. The one code the
// contract's enum lacks is API-NOTES' 401 "unauthorized" for a missing or bad
// Bearer token; its body is checked against the same ErrorResponse shape with
// the code swapped for one the enum has.
func contract(t testing.TB, path, method string, r *response) {
	t.Helper()
	body := r.Body
	var e map[string]any
	if json.Unmarshal(body, &e) == nil && e["error"] == "unauthorized" {
		e["error"] = "invalid-request"
		body, _ = json.Marshal(e)
	}
	apitest.RequireResponse(t, path, method, r.Status, body)
}
