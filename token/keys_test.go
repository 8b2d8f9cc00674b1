package token_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/server"
	"github.com/hasura-auth-go/auth/testsupport"
	"github.com/hasura-auth-go/auth/verify"
)

// instance is one server on a test database, reachable over real HTTP.
type instance struct {
	t     *testing.T
	srv   *server.Server
	http  *httptest.Server
	clock *testsupport.Clock
	logs  *testsupport.LogBuffer
}

func newDB(t *testing.T) string {
	t.Helper()
	url, drop, err := testsupport.CreateDB(context.Background())
	require.NoError(t, err)
	t.Cleanup(drop)
	return url
}

func start(t *testing.T, dbURL string, clock *testsupport.Clock, vals map[string]string) (*instance, error) {
	t.Helper()
	all := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":               dbURL,
		"AUTH_API_PREFIX":                           "/v1",
		"AUTH_BCRYPT_COST":                          "4",
		"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "false",
		"AUTH_ANONYMOUS_USERS_ENABLED":              "true",
	}
	for k, v := range vals {
		all[k] = v
	}
	cfg, err := config.Load("", testsupport.ThroughPooler(all))
	require.NoError(t, err)
	logs := &testsupport.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	db, err := server.OpenDB(context.Background(), cfg, log)
	require.NoError(t, err)
	srv, err := server.New(context.Background(), cfg, db, server.Options{Now: clock.Now, Log: log})
	if err != nil {
		sqlDB, _ := db.DB()
		_ = sqlDB.Close()
		return nil, err
	}
	hs := httptest.NewServer(srv.Router)
	t.Cleanup(func() { hs.Close(); _ = srv.Close() })
	return &instance{t: t, srv: srv, http: hs, clock: clock, logs: logs}, nil
}

func mustStart(t *testing.T, dbURL string, clock *testsupport.Clock, vals map[string]string) *instance {
	t.Helper()
	in, err := start(t, dbURL, clock, vals)
	require.NoError(t, err)
	return in
}

// token signs in anonymously over HTTP and returns the access token.
func (in *instance) token() string {
	in.t.Helper()
	resp, err := in.http.Client().Post(in.http.URL+"/v1/signin/anonymous", "application/json", nil)
	require.NoError(in.t, err)
	defer resp.Body.Close()
	require.Equal(in.t, 200, resp.StatusCode)
	var p struct {
		Session struct{ AccessToken string }
	}
	require.NoError(in.t, decodeJSON(resp.Body, &p))
	return p.Session.AccessToken
}

func (in *instance) jwksURL() string { return in.http.URL + "/v1/.well-known/jwks.json" }

func TestEveryAlgorithmSignsPublishesAndVerifies(t *testing.T) {
	for _, alg := range config.SigningAlgorithms {
		t.Run(alg, func(t *testing.T) {
			clock := testsupport.NewClock()
			in := mustStart(t, newDB(t), clock, map[string]string{"AUTH_JWT_ALGORITHM": alg})
			tok := in.token()
			require.Contains(t, headerOf(t, tok), `"alg":"`+alg+`"`)
			// A function verifying through the JWKS over HTTP.
			v, err := verify.FromJWKS(in.jwksURL(), verify.WithClock(clock.Now))
			require.NoError(t, err)
			u, err := v.Token(context.Background(), tok)
			require.NoError(t, err)
			require.True(t, u.IsAnonymous)
			require.Equal(t, "anonymous", u.DefaultRole)
			require.Equal(t, []string{"anonymous"}, u.Roles)
			require.NotEmpty(t, u.ID)
		})
	}
}

// TestRotationHasNoFailedVerification walks the clock through a rotation and
// verifies every live token after every step with a client that behaves like
// Hasura: it refetches the JWKS only when max-age says so, never on an unknown kid.
func TestRotationHasNoFailedVerification(t *testing.T) {
	clock := testsupport.NewClock()
	const maxAge, ttl = 60 * time.Second, 300 * time.Second
	const stepEvery = 11 * time.Second // not a divisor of max-age: steps land at every phase
	vals := map[string]string{"AUTH_JWKS_MAX_AGE": "60", "AUTH_ACCESS_TOKEN_EXPIRES_IN": "300"}
	dbURL := newDB(t)
	a := mustStart(t, dbURL, clock, vals)
	b := mustStart(t, dbURL, clock, vals) // a second instance on the same database
	// The client reads instance b's JWKS while a rotates: b learns of the
	// new key only at its next reload.
	hasuraLike, err := verify.FromJWKS(b.jwksURL(), verify.WithClock(clock.Now), verify.WithMinRefetch(1000*time.Hour))
	require.NoError(t, err)

	type issued struct {
		tok string
		at  time.Time
	}
	var live []issued
	kids := map[string]bool{}
	step := func() {
		for _, in := range []*instance{a, b} {
			tok := in.token()
			kids[kidOf(t, tok)] = true
			live = append(live, issued{tok, clock.Now()})
		}
		kept := live[:0]
		for _, it := range live {
			if clock.Now().Sub(it.at) >= ttl {
				continue // expired: Hasura refuses it for that reason, not for its key
			}
			_, err := hasuraLike.Token(context.Background(), it.tok)
			require.NoError(t, err, "token issued at %s, now %s", it.at.Format(time.TimeOnly), clock.Now().Format(time.TimeOnly))
			kept = append(kept, it)
		}
		live = kept
	}

	step()
	for range 3 {
		clock.Advance(stepEvery)
		step()
	}
	created, err := a.srv.Tokens.Store().Rotate(context.Background(), "")
	require.NoError(t, err)
	require.Equal(t, clock.Now().Add(maxAge+15*time.Second), created.ActivatesAt, "max-age plus one reload period (max-age/4)")
	for range int((ttl + maxAge + 2*time.Minute) / stepEvery) {
		clock.Advance(stepEvery)
		step()
	}
	require.Len(t, kids, 2, "both instances switched to the new key")
	require.True(t, kids[created.ID])

	// The retired key has left the JWKS; the new one remains.
	body, _, _ := a.srv.Tokens.JWKS()
	require.Contains(t, string(body), created.ID)
	require.Equal(t, 1, strings.Count(string(body), `"kid"`), "%s", body)
}

func TestAutomaticRotation(t *testing.T) {
	clock := testsupport.NewClock()
	in := mustStart(t, newDB(t), clock, map[string]string{
		"AUTH_JWKS_MAX_AGE": "60", "AUTH_ACCESS_TOKEN_EXPIRES_IN": "300", "AUTH_JWT_KEY_ROTATION_INTERVAL": "1h",
	})
	hasuraLike, err := verify.FromJWKS(in.jwksURL(), verify.WithClock(clock.Now), verify.WithMinRefetch(1000*time.Hour))
	require.NoError(t, err)
	kids := map[string]bool{}
	for range int(3 * time.Hour / (30 * time.Second)) {
		clock.Advance(30 * time.Second)
		tok := in.token()
		kids[kidOf(t, tok)] = true
		_, err := hasuraLike.Token(context.Background(), tok)
		require.NoError(t, err, "at %s", clock.Now())
	}
	require.GreaterOrEqual(t, len(kids), 3, "a new key about every hour")
	require.LessOrEqual(t, len(kids), 4)
}

func TestMasterKeyChange(t *testing.T) {
	k1, k2, k3 := strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64)
	clock := testsupport.NewClock()
	dbURL := newDB(t)

	first := mustStart(t, dbURL, clock, map[string]string{"AUTH_ENCRYPTION_KEY": k1})
	tok := first.token()
	row := onlyKey(t, first)
	require.True(t, strings.HasPrefix(row.PrivateKey, "enc:v1:"), "private key sealed at rest")
	require.NotContains(t, row.PrivateKey, "PRIVATE KEY")

	// Changing the master key with the old one listed as previous keeps every key.
	second := mustStart(t, dbURL, clock, map[string]string{"AUTH_ENCRYPTION_KEY": k2, "AUTH_ENCRYPTION_KEY_PREVIOUS": k1})
	require.Equal(t, row.ID, kidOf(t, second.token()))
	_, err := second.srv.Tokens.Verify(tok)
	require.NoError(t, err)
	resealed := onlyKey(t, second)
	require.NotEqual(t, row.PrivateKey, resealed.PrivateKey, "re-encrypted under the new master key")

	// Now k2 alone is enough.
	mustStart(t, dbURL, clock, map[string]string{"AUTH_ENCRYPTION_KEY": k2})

	cases := []struct {
		name string
		vals map[string]string
		want string
	}{
		{"unknown master key", map[string]string{"AUTH_ENCRYPTION_KEY": k3}, "signing key " + row.ID + " was encrypted with master key"},
		{"no master key", map[string]string{}, "signing key " + row.ID + " is encrypted"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := start(t, dbURL, clock, tc.vals)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), k2)
		})
	}

	t.Run("tampered ciphertext", func(t *testing.T) {
		flipped := []byte(resealed.PrivateKey)
		flipped[len(flipped)-3] ^= 1
		require.NoError(t, second.srv.DB.Model(&models.JWTSigningKey{}).Where("id = ?", row.ID).Update("private_key", string(flipped)).Error)
		_, err := start(t, dbURL, clock, map[string]string{"AUTH_ENCRYPTION_KEY": k2})
		require.Error(t, err)
		require.Contains(t, err.Error(), "signing key "+row.ID+" could not be decrypted")
	})
}

func TestPlainKeysGetSealedWhenMasterKeyArrives(t *testing.T) {
	clock := testsupport.NewClock()
	dbURL := newDB(t)
	plain := mustStart(t, dbURL, clock, nil)
	require.Contains(t, onlyKey(t, plain).PrivateKey, "PRIVATE KEY")
	require.Contains(t, plain.logs.String(), "AUTH_ENCRYPTION_KEY is not set")
	sealed := mustStart(t, dbURL, clock, map[string]string{"AUTH_ENCRYPTION_KEY": hex.EncodeToString(bytes.Repeat([]byte{7}, 32))})
	require.True(t, strings.HasPrefix(onlyKey(t, sealed).PrivateKey, "enc:v1:"))
}

func TestAlgorithmChangeIsARotation(t *testing.T) {
	clock := testsupport.NewClock()
	dbURL := newDB(t)
	ed := mustStart(t, dbURL, clock, map[string]string{"AUTH_JWKS_MAX_AGE": "60"})
	edKid := kidOf(t, ed.token())
	es := mustStart(t, dbURL, clock, map[string]string{"AUTH_JWKS_MAX_AGE": "60", "AUTH_JWT_ALGORITHM": "ES256"})
	require.Equal(t, edKid, kidOf(t, es.token()), "keeps signing with the published key until the new one may sign")
	body, _, _ := es.srv.Tokens.JWKS()
	require.Equal(t, 2, strings.Count(string(body), `"kid"`), "the new key is published at once")
	clock.Advance(76 * time.Second) // max-age + reload period
	require.Contains(t, headerOf(t, es.token()), `"alg":"ES256"`)
}

func onlyKey(t *testing.T, in *instance) models.JWTSigningKey {
	t.Helper()
	var rows []models.JWTSigningKey
	require.NoError(t, in.srv.DB.Find(&rows).Error)
	require.Len(t, rows, 1)
	return rows[0]
}

func ExampleGenerateKey() {
	row, _ := tokenGenerate("ES256")
	fmt.Println(row.Algorithm, strings.HasPrefix(row.PublicKey, "-----BEGIN PUBLIC KEY-----"))
	// Output: ES256 true
}

// TestRotationSeenThroughAnotherInstance is the worst case across instances:
// a client fetches the JWKS from an instance that has not yet reloaded since
// another one rotated, and keeps that stale set for a full max-age.
func TestRotationSeenThroughAnotherInstance(t *testing.T) {
	clock := testsupport.NewClock()
	vals := map[string]string{"AUTH_JWKS_MAX_AGE": "60", "AUTH_ACCESS_TOKEN_EXPIRES_IN": "300"}
	dbURL := newDB(t)
	a := mustStart(t, dbURL, clock, vals)
	b := mustStart(t, dbURL, clock, vals)
	b.token() // b's key state is fresh now and will be kept for its reload period

	clock.Advance(time.Second)
	created, err := a.srv.Tokens.Rotate(context.Background(), "")
	require.NoError(t, err)
	clock.Advance(time.Second)
	client, err := verify.FromJWKS(b.jwksURL(), verify.WithClock(clock.Now), verify.WithMinRefetch(1000*time.Hour))
	require.NoError(t, err)
	_, err = client.Token(context.Background(), b.token()) // fetches b's stale set
	require.NoError(t, err)

	for clock.Now().Before(created.ActivatesAt.Add(2 * time.Minute)) {
		clock.Advance(time.Second)
		for _, in := range []*instance{a, b} {
			tok := in.token()
			_, err := client.Token(context.Background(), tok)
			require.NoError(t, err, "kid %s at +%s after rotation", kidOf(t, tok), clock.Now().Sub(created.CreatedAt))
		}
	}
}
