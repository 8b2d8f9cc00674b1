package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/hasura"
)

// Custom claims through the HTTP stack: each mode puts its claims into the
// tokens of sign-up, sign-in and refresh, and Hasura accepts them.

// customSessionVars are the session variables other than the built-in ones.
func customSessionVars(c *hasura.Claims) map[string]string {
	out := map[string]string{}
	for k, v := range c.SessionVariables {
		switch k {
		case "x-hasura-user-id", "x-hasura-default-role", "x-hasura-user-is-anonymous", "x-hasura-role", "x-hasura-auth-elevated":
		default:
			out[k] = v
		}
	}
	return out
}

// countStatements counts the statements GORM sends on db from now on.
func countStatements(t testing.TB, db *gorm.DB) *atomic.Int64 {
	t.Helper()
	n := &atomic.Int64{}
	inc := func(*gorm.DB) { n.Add(1) }
	cb := db.Callback()
	require.NoError(t, cb.Create().After("gorm:create").Register("test:count", inc))
	require.NoError(t, cb.Query().After("gorm:query").Register("test:count", inc))
	require.NoError(t, cb.Update().After("gorm:update").Register("test:count", inc))
	require.NoError(t, cb.Delete().After("gorm:delete").Register("test:count", inc))
	require.NoError(t, cb.Row().After("gorm:row").Register("test:count", inc))
	require.NoError(t, cb.Raw().After("gorm:raw").Register("test:count", inc))
	return n
}

func (e *env) claimsSignIn(addr string) sessionBody {
	e.t.Helper()
	r := e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var p struct{ Session *sessionBody }
	r.decode(e.t, &p)
	require.NotNil(e.t, p.Session, "%s", r.Body)
	return *p.Session
}

var claimsMetadata = map[string]any{
	"plan":  "pro",
	"org":   map[string]any{"id": "org-1", "name": `Acme "Ltd", Inc.`},
	"tags":  []any{"a", `b"c`, `d\e`, "x,y"},
	"seats": 12,
	"teams": []any{map[string]any{"id": "t1"}, map[string]any{"id": "t2"}},
}

func TestCustomClaimsFromUserRow(t *testing.T) {
	e := newEnv(t, map[string]string{
		"AUTH_JWT_CUSTOM_CLAIMS": `{
			"plan": "metadata.plan", "Org-Name": "metadata.org.name", "tags": "metadata.tags", "seats": "metadata.seats",
			"team-ids": "metadata.teams[].id", "projects": "metadata.projects[].id", "tier": "metadata.tier",
			"locale": "locale", "name": "display_name", "verified": "emailVerified", "email": "email",
			"x-hasura-greeting": "{{displayName}} of {{metadata.org.name}}", "missing-template": "{{metadata.nope}}!"
		}`,
		"AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS": `{"tier": "free", "missing-template": "none", "plan": "basic", "extra": 7}`,
	})
	addr := email(t)
	want := map[string]string{
		"x-hasura-plan":             "pro",
		"x-hasura-org-name":         `Acme "Ltd", Inc.`,
		"x-hasura-tags":             `{"a","b\"c","d\\e","x,y"}`,
		"x-hasura-seats":            "12",
		"x-hasura-team-ids":         `{"t1","t2"}`,
		"x-hasura-projects":         "{}", // a [] path with no elements is an empty array, as in hasura-auth
		"x-hasura-tier":             "free",
		"x-hasura-locale":           "fr",
		"x-hasura-name":             "Ada",
		"x-hasura-verified":         "false",
		"x-hasura-email":            addr,
		"x-hasura-greeting":         `Ada of Acme "Ltd", Inc.`,
		"x-hasura-missing-template": "none",
		"x-hasura-extra":            "7",
	}
	s := e.signUp(addr, map[string]any{"displayName": "Ada", "locale": "fr", "metadata": claimsMetadata})
	c := e.hasuraClaims(s.AccessToken)
	require.Equal(t, want, customSessionVars(c))
	require.Equal(t, s.User.ID, c.SessionVariables["x-hasura-user-id"])
	require.Equal(t, "user", c.DefaultRole)

	require.Equal(t, want, customSessionVars(e.hasuraClaims(e.claimsSignIn(addr).AccessToken)))
	require.Equal(t, want, customSessionVars(e.hasuraClaims(e.mustRefresh(s.RefreshToken).AccessToken)))

	// An anonymous user with no metadata gets the defaults.
	r := e.do("POST", "/v1/signin/anonymous", nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var anon struct{ Session sessionBody }
	r.decode(t, &anon)
	got := customSessionVars(e.hasuraClaims(anon.Session.AccessToken))
	require.Equal(t, "free", got["x-hasura-tier"])
	require.Equal(t, "none", got["x-hasura-missing-template"])
	require.Equal(t, "{}", got["x-hasura-team-ids"])
	require.Equal(t, "basic", got["x-hasura-plan"])
	require.NotContains(t, got, "x-hasura-email", "no value and no default: no claim")
}

// claimsHasura plays Hasura's GraphQL endpoint; mode switches its answer.
type claimsHasura struct {
	t    testing.TB
	mode atomic.Value // "ok", "500", "errors", "hang"
	mu   sync.Mutex
	seen []map[string]any // request bodies
	bad  []string         // what was wrong with a request
}

const (
	fakeSecret = "hasura-admin-secret-for-tests"
	wantQuery  = "query GetClaims($id: uuid!) { user(id: $id) { profile { contributesTo { project { id } } organisation { id } } } }"
)

func (f *claimsHasura) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/graphql" {
		http.NotFound(w, r) // not ours (the metadata API, say)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	f.mu.Lock()
	f.seen = append(f.seen, body)
	if r.Method != "POST" || r.Header.Get("X-Hasura-Admin-Secret") != fakeSecret || r.Header.Get("Content-Type") != "application/json" {
		f.bad = append(f.bad, r.Method+" "+r.Header.Get("X-Hasura-Admin-Secret")+" "+r.Header.Get("Content-Type"))
	}
	vars, _ := body["variables"].(map[string]any)
	if body["query"] != wantQuery || len(body) != 2 || len(vars) != 1 {
		f.bad = append(f.bad, string(raw))
	}
	f.mu.Unlock()
	switch f.mode.Load() {
	case "500":
		w.WriteHeader(500)
	case "errors":
		_, _ = io.WriteString(w, `{"errors":[{"message":"field 'profile' not found in type: 'users'","extensions":{"code":"validation-failed"}}]}`)
	case "hang":
		<-r.Context().Done()
	default:
		// Answers for the user asked about, so the id round-trips.
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"user": map[string]any{"profile": map[string]any{
			"organisation":  map[string]any{"id": "org-" + vars["id"].(string)[:8]},
			"contributesTo": []any{map[string]any{"project": map[string]any{"id": 1}}, map[string]any{"project": map[string]any{"id": "p\"2"}}},
		}}}})
	}
}

func (f *claimsHasura) requests() ([]map[string]any, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.seen...), append([]string(nil), f.bad...)
}

func newClaimsHasura(t testing.TB) (*claimsHasura, string) {
	f := &claimsHasura{t: t}
	f.mode.Store("ok")
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL + "/v1/graphql"
}

func hasuraModeEnv(t testing.TB, url string) map[string]string {
	return map[string]string{
		"AUTH_JWT_CUSTOM_CLAIMS":          `{"org-id":"profile.organisation.id","project-ids":"profile.contributesTo[].project.id","plan":"metadata.plan"}`,
		"AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS": `{"org-id":"none","project-ids":[]}`,
		"HASURA_GRAPHQL_GRAPHQL_URL":      url,
		"HASURA_GRAPHQL_ADMIN_SECRET":     fakeSecret,
	}
}

func TestCustomClaimsThroughHasura(t *testing.T) {
	fake, url := newClaimsHasura(t)
	e := newEnv(t, hasuraModeEnv(t, url))
	addr := email(t)
	s := e.signUp(addr, map[string]any{"metadata": map[string]any{"plan": "team"}})
	ok := map[string]string{
		"x-hasura-org-id":      "org-" + s.User.ID[:8],
		"x-hasura-project-ids": `{"1","p\"2"}`,
		"x-hasura-plan":        "team", // from the loaded row, even when Hasura fails
	}
	defaults := map[string]string{"x-hasura-org-id": "none", "x-hasura-project-ids": "{}", "x-hasura-plan": "team"}
	require.Equal(t, ok, customSessionVars(e.hasuraClaims(s.AccessToken)))

	tok := s.RefreshToken
	for _, step := range []struct {
		mode, logged string
		want         map[string]string
	}{
		{"500", "status 500", defaults},
		{"errors", "field 'profile' not found", defaults},
		{"hang", "deadline exceeded", defaults}, // after claims.DefaultTimeout
		{"ok", "", ok},
	} {
		fake.mode.Store(step.mode)
		before := strings.Count(e.logs.String(), "Hasura query failed")
		next := e.mustRefresh(tok)
		tok = next.RefreshToken
		require.Equal(t, step.want, customSessionVars(e.hasuraClaims(next.AccessToken)), step.mode)
		if step.logged != "" {
			require.Equal(t, before+1, strings.Count(e.logs.String(), "Hasura query failed"), step.mode)
			require.Contains(t, e.logs.String(), step.logged)
		}
	}
	require.Equal(t, ok, customSessionVars(e.hasuraClaims(e.claimsSignIn(addr).AccessToken)))
	require.NotContains(t, e.logs.String(), fakeSecret)

	seen, bad := fake.requests()
	require.Empty(t, bad, "every request has the exact query, variables and admin secret")
	require.Len(t, seen, 6, "one query per token issued: sign-up, 4 refreshes, sign-in")
	for _, body := range seen {
		require.Equal(t, map[string]any{"query": wantQuery, "variables": map[string]any{"id": s.User.ID}}, body)
	}
}

const claimsFunction = `CREATE OR REPLACE FUNCTION public.test_custom_claims(user_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'Org', u.metadata->>'org',
    'roles', (SELECT jsonb_agg(r.role ORDER BY r.role) FROM auth.user_roles r WHERE r.user_id = u.id),
    'level', 3,
    'plan', 'from-function',
    'x-hasura-user-id', 'evil', 'X-Hasura-Default-Role', 'admin', 'x-hasura-user-is-anonymous', 'true',
    'x-hasura-auth-elevated', u.id)
  FROM auth.users u WHERE u.id = $1
$$;
CREATE OR REPLACE FUNCTION public.test_failing_claims(user_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'claims unavailable'; END $$;`

func TestCustomClaimsFunction(t *testing.T) {
	base := newEnv(t, nil)
	require.NoError(t, base.db().Exec(claimsFunction).Error)

	e := newEnv(t, map[string]string{
		"AUTH_JWT_CUSTOM_CLAIMS_FUNCTION": "public.test_custom_claims",
		"AUTH_JWT_CUSTOM_CLAIMS":          `{"plan":"metadata.plan","seat":"metadata.seat"}`,
		"AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS": `{"seat":"none"}`,
	})
	addr := email(t)
	// At sign-up the user is not committed yet: the function runs in the same
	// transaction and still finds the user and their roles.
	s := e.signUp(addr, map[string]any{"metadata": map[string]any{"org": "acme", "plan": "pro"}})
	want := map[string]string{
		"x-hasura-org":   "acme",
		"x-hasura-roles": `{"editor","me","user"}`,
		"x-hasura-level": "3",
		"x-hasura-plan":  "from-function", // the function wins over a path
		"x-hasura-seat":  "none",
	}
	for _, tok := range []string{s.AccessToken, e.claimsSignIn(addr).AccessToken, e.mustRefresh(s.RefreshToken).AccessToken} {
		c := e.hasuraClaims(tok)
		require.Equal(t, want, customSessionVars(c))
		// Built-in claims are never overwritten.
		require.Equal(t, s.User.ID, c.SessionVariables["x-hasura-user-id"])
		require.Equal(t, "user", c.DefaultRole)
		require.Equal(t, "false", c.SessionVariables["x-hasura-user-is-anonymous"])
		require.ElementsMatch(t, []string{"editor", "me", "user"}, c.AllowedRoles)
	}
	// Nor is the elevated claim: only a fresh credential check sets it.
	refreshed := e.hasuraClaims(e.mustRefresh(e.claimsSignIn(addr).RefreshToken).AccessToken)
	require.NotContains(t, refreshed.SessionVariables, "x-hasura-auth-elevated")

	// A function that raises fails the sign-in (it ran in the sign-in's
	// transaction, which PostgreSQL aborts) and leaves no session behind.
	failing := newEnv(t, map[string]string{"AUTH_JWT_CUSTOM_CLAIMS_FUNCTION": "test_failing_claims"})
	before := failing.liveSessions(s.User.ID)
	r := failing.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(t, 500, r.Status, "%s", r.Body)
	require.Equal(t, "internal-server-error", r.errorCode(t))
	require.NotContains(t, string(r.Body), "claims unavailable")
	require.Equal(t, before, failing.liveSessions(s.User.ID))

	// A refresh whose function raises answers 500 too, and leaves the
	// presented token current: retried after the reuse window, it is a
	// plain refresh, not a replay that would revoke the session.
	live := e.claimsSignIn(addr)
	r = failing.do("POST", "/v1/token", map[string]any{"refreshToken": live.RefreshToken})
	require.Equal(t, 500, r.Status, "%s", r.Body)
	e.clock.Advance(time.Minute)
	e.mustRefresh(live.RefreshToken)
}

// TestCustomClaimsQueryCount: claims from the loaded row or from Hasura add
// no database statement to a sign-in or a refresh; the function adds one.
func TestCustomClaimsQueryCount(t *testing.T) {
	base := newEnv(t, nil)
	require.NoError(t, base.db().Exec(claimsFunction).Error)
	_, url := newClaimsHasura(t)

	count := func(overrides map[string]string) (signIn, refresh int64) {
		e := newEnv(t, overrides)
		addr := email(t)
		s := e.signUp(addr, map[string]any{"metadata": claimsMetadata})
		n := countStatements(t, e.db())
		e.claimsSignIn(addr)
		signIn = n.Swap(0)
		e.mustRefresh(s.RefreshToken)
		return signIn, n.Load()
	}
	noneIn, noneRefresh := count(nil)
	require.Positive(t, noneIn)
	t.Logf("statements without custom claims: sign-in %d, refresh %d", noneIn, noneRefresh)

	for name, c := range map[string]struct {
		env   map[string]string
		extra int64
	}{
		"user row": {map[string]string{
			"AUTH_JWT_CUSTOM_CLAIMS":          `{"plan":"metadata.plan","tags":"metadata.tags[]","name":"displayName","label":"{{displayName}}/{{metadata.org.id}}"}`,
			"AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS": `{"tier":"free"}`,
		}, 0},
		"hasura":   {hasuraModeEnv(t, url), 0},
		"function": {map[string]string{"AUTH_JWT_CUSTOM_CLAIMS_FUNCTION": "public.test_custom_claims"}, 1},
	} {
		in, refresh := count(c.env)
		require.Equal(t, noneIn+c.extra, in, "%s: sign-in statements", name)
		require.Equal(t, noneRefresh+c.extra, refresh, "%s: refresh statements", name)
	}
}

// BenchmarkCustomClaimsRefresh measures what each mode adds to issuing a
// token: POST /token through the router and PostgreSQL, no bcrypt involved.
// Run: go test ./handlers -run '^$' -bench CustomClaims -benchmem
func BenchmarkCustomClaimsRefresh(b *testing.B) {
	base := newEnv(b, nil)
	require.NoError(b, base.db().Exec(claimsFunction).Error)
	_, url := newClaimsHasura(b)
	modes := []struct {
		name string
		env  map[string]string
	}{
		{"none", nil},
		{"user-row", map[string]string{
			"AUTH_JWT_CUSTOM_CLAIMS":          `{"plan":"metadata.plan","org":"metadata.org.name","tags":"metadata.tags","teams":"metadata.teams[].id","name":"displayName"}`,
			"AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS": `{"tier":"free"}`,
		}},
		{"template", map[string]string{"AUTH_JWT_CUSTOM_CLAIMS": `{"label":"{{displayName}} of {{metadata.org.name}} ({{metadata.plan}})"}`}},
		{"hasura", hasuraModeEnv(b, url)},
		{"function", map[string]string{"AUTH_JWT_CUSTOM_CLAIMS_FUNCTION": "public.test_custom_claims"}},
	}
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			e := newEnv(b, m.env)
			tok := e.signUp(email(b), map[string]any{"metadata": claimsMetadata}).RefreshToken
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r := e.refresh(tok)
				if r.Status != 200 {
					b.Fatalf("%d %s", r.Status, r.Body)
				}
				var s struct{ RefreshToken string }
				require.NoError(b, json.Unmarshal(r.Body, &s))
				tok = s.RefreshToken
			}
		})
	}
}
