package claims

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/testsupport"
)

// testDB is a throwaway database for the function mode and for checking
// array literals against PostgreSQL's own parser.
var testDB *gorm.DB

func TestMain(m *testing.M) {
	url, drop, err := testsupport.CreateDB(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDB, err = gorm.Open(postgres.Open(url), &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	if err != nil {
		drop()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if sqlDB, err := testDB.DB(); err == nil {
		_ = sqlDB.Close()
	}
	drop()
	os.Exit(code)
}

func testUser() *models.User {
	email := "ada@example.com"
	created := time.Date(2024, 5, 6, 7, 8, 9, 123400000, time.FixedZone("CEST", 2*3600))
	return &models.User{
		ID:          uuid.MustParse("6f1c5a52-7b9e-4c57-9a55-0d8e3b5f2a10"),
		CreatedAt:   created,
		DisplayName: "Ada",
		Locale:      "en",
		Email:       &email,
		DefaultRole: "user",
		Metadata: models.JSONMap{
			"plan":  "pro",
			"seats": float64(12),
			"beta":  true,
			"org":   map[string]any{"id": "org-1", "name": `Acme "Ltd"`},
			"tags":  []any{"a", "b,c"},
			"teams": []any{map[string]any{"id": "t1"}, map[string]any{"id": "t2"}, map[string]any{"name": "no id"}},
			"solo":  []any{map[string]any{"id": "only"}},
			"empty": []any{},
		},
	}
}

func TestCustomClaimsEncode(t *testing.T) {
	cases := []struct {
		in   any
		want string
		ok   bool
	}{
		{"plain", "plain", true},
		{"", "", true},
		{nil, "", false},
		{true, "true", true},
		{float64(12), "12", true},
		{float64(1.5), "1.5", true},
		{json.Number("12345678901234567890"), "12345678901234567890", true},
		{map[string]any{"k": "v"}, `{"k":"v"}`, true},
		{[]any{}, "{}", true},
		{[]any{"a", "b"}, `{"a","b"}`, true},
		{[]any{`q"uote`, `back\slash`, "", "NULL", "x,y", "{z}", " sp ", nil, json.Number("1"), false},
			`{"q\"uote","back\\slash","","NULL","x,y","{z}"," sp ",NULL,"1","false"}`, true},
		{[]any{[]any{"a", "b"}, []any{"c", "d"}}, `{{"a","b"},{"c","d"}}`, true},
		{[]any{map[string]any{"k": `v"`}}, `{"{\"k\":\"v\\\"\"}"}`, true},
	}
	for _, c := range cases {
		got, ok := encode(c.in)
		require.Equal(t, c.ok, ok, "%#v", c.in)
		require.Equal(t, c.want, got, "%#v", c.in)
	}
}

// TestCustomClaimsArrayLiteralPostgres has PostgreSQL parse the literals: the
// elements must come back exactly, whatever characters they hold.
func TestCustomClaimsArrayLiteralPostgres(t *testing.T) {
	elems := []string{`q"uote`, `back\slash`, `\"`, "", "NULL", "null", "x,y", "{z}", "}", " sp ", "ünï\tcode\n", "'single'"}
	in := make([]any, len(elems))
	for i, e := range elems {
		in[i] = e
	}
	lit, ok := encode(in)
	require.True(t, ok)
	var back []string
	var raw string
	require.NoError(t, testDB.Raw("SELECT to_json(?::text[])::text", lit).Row().Scan(&raw))
	require.NoError(t, json.Unmarshal([]byte(raw), &back))
	require.Equal(t, elems, back)

	// null becomes SQL NULL; numbers cast to int[]; nested arrays to 2-D arrays
	require.NoError(t, testDB.Raw("SELECT to_json(?::text[])::text", mustEncode([]any{"a", nil})).Row().Scan(&raw))
	require.JSONEq(t, `["a",null]`, raw)
	require.NoError(t, testDB.Raw("SELECT to_json(?::int[])::text", mustEncode([]any{float64(1), json.Number("2")})).Row().Scan(&raw))
	require.JSONEq(t, `[1,2]`, raw)
	require.NoError(t, testDB.Raw("SELECT to_json(?::text[])::text", mustEncode([]any{[]any{"a", "b"}, []any{"c", "d"}})).Row().Scan(&raw))
	require.JSONEq(t, `[["a","b"],["c","d"]]`, raw)
}

func mustEncode(v any) string {
	s, _ := encode(v)
	return s
}

func TestCustomClaimsParsePath(t *testing.T) {
	ok := []struct {
		raw  string
		src  source
		list bool
	}{
		{"metadata", fromMetadata, false},
		{"metadata.plan", fromMetadata, false},
		{"metadata.teams[].id", fromMetadata, true},
		{"metadata.tags[0]", fromMetadata, false},
		{"displayName", fromColumn, false},
		{"display_name", fromColumn, false},
		{"isAnonymous", fromColumn, false},
		{"profile.organisation.id", fromHasura, false},
		{"profile.contributesTo[].project.id", fromHasura, true},
		{"roles[].role", fromHasura, true},
		{"otpMethodLastUsed", fromHasura, false},             // a column the loaded row does not carry
		{"profile.metadata.theme-colour", fromHasura, false}, // after a jsonb column: JSON keys
	}
	for _, c := range ok {
		p, err := parsePath(c.raw)
		require.NoError(t, err, c.raw)
		require.Equal(t, c.src, p.src, c.raw)
		require.Equal(t, c.list, p.list, c.raw)
	}
	bad := map[string]string{
		"":                 "empty path",
		"passwordHash":     "secret column",
		"totp_secret":      "secret column",
		"ticket":           "secret column",
		"email.domain":     "has no fields",
		"email[]":          "has no fields",
		"metadata[]":       "not an array",
		"a..b":             "is not name",
		"tags[x]":          "is not name",
		"profile.bad-name": "not a GraphQL field name",
		"profile { id }":   "is not name",
	}
	for raw, want := range bad {
		_, err := parsePath(raw)
		require.ErrorContains(t, err, want, raw)
	}
}

// TestCustomClaimsEval pins JSONata's rules, which hasura-auth's paths follow.
func TestCustomClaimsEval(t *testing.T) {
	root := map[string]any(testUser().Metadata)
	cases := []struct {
		path string
		want any
	}{
		{"plan", "pro"},
		{"org.name", `Acme "Ltd"`},
		{"missing", nil},
		{"org.missing", nil},
		{"plan.deeper", nil},
		{"tags", []any{"a", "b,c"}},
		{"tags[]", []any{"a", "b,c"}},
		{"tags[1]", "b,c"},
		{"tags[9]", nil},
		{"teams[].id", []any{"t1", "t2"}},
		{"teams.id", []any{"t1", "t2"}}, // a step over an array maps over it
		{"solo.id", "only"},             // one result without [] is a value ...
		{"solo[].id", []any{"only"}},    // ... and with [] stays an array
		{"empty[].id", []any{}},
		{"missing[].id", []any{}},
		{"empty.id", nil},
	}
	for _, c := range cases {
		p, err := parsePath("metadata." + c.path)
		require.NoError(t, err)
		require.Equal(t, c.want, eval(root, p.segs, p.list), c.path)
	}
}

func TestCustomClaimsQuery(t *testing.T) {
	c, err := Config{
		Claims: map[string]string{
			"org-id":      "profile.organisation.id",
			"project-ids": "profile.contributesTo[].project.id",
			"plan":        "metadata.plan",
			"org-label":   "{{profile.organisation.name}} ({{displayName}})",
			"prefs":       "profile.metadata.theme.colour",
			"org":         "profile.organisation",
		},
		GraphQLURL: "http://hasura/v1/graphql",
	}.compile()
	require.NoError(t, err)
	require.Equal(t,
		"query GetClaims($id: uuid!) { user(id: $id) { profile { contributesTo { project { id } } metadata organisation { id name } } } }",
		buildQuery(c.selection))

	local, err := Config{Claims: map[string]string{"plan": "metadata.plan", "name": "displayName"}}.compile()
	require.NoError(t, err)
	require.Nil(t, local.selection, "paths inside auth.users never need Hasura")
}

func TestCustomClaimsConfigErrors(t *testing.T) {
	cases := []struct {
		cfg  Config
		want []string
	}{
		{Config{Claims: map[string]string{"x-hasura-user-id": "metadata.id"}}, []string{VarClaims, "never overwritten"}},
		{Config{Claims: map[string]string{"Default-Role": "metadata.role"}}, []string{VarClaims, "x-hasura-default-role"}},
		{Config{Claims: map[string]string{"org": "metadata.a", "ORG": "metadata.b"}}, []string{VarClaims, "both become x-hasura-org"}},
		{Config{Claims: map[string]string{"has space": "metadata.a"}}, []string{VarClaims, "a name is"}},
		{Config{Claims: map[string]string{"org": "{{metadata.org"}}, []string{VarClaims, "{{ without }}"}},
		{Config{Claims: map[string]string{"org": "x-{{}}"}}, []string{VarClaims, "empty path"}},
		{Config{Claims: map[string]string{"hash": "passwordHash"}}, []string{VarClaims, "secret column"}},
		{Config{Claims: map[string]string{"org": "profile.org.id"}}, []string{VarClaims, VarGraphQL + " is not set"}},
		{Config{Claims: map[string]string{"org": "profile.org.id"}, GraphQLURL: "hasura:8080/v1/graphql"}, []string{VarGraphQL, "http(s) URL"}},
		{Config{Defaults: map[string]any{"x-hasura-allowed-roles": "admin"}}, []string{VarDefaults, "never overwritten"}},
		{Config{Defaults: map[string]any{"a": "1", "A": "2"}}, []string{VarDefaults, "both become"}},
		{Config{Function: "public.claims; DROP TABLE auth.users"}, []string{VarFunction, "not a function name"}},
		{Config{Function: `"unclosed`}, []string{VarFunction, "unclosed"}},
		{Config{Function: "a.b.c"}, []string{VarFunction, "more than schema.function"}},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		require.Error(t, err, "%+v", c.cfg)
		for _, w := range c.want {
			require.ErrorContains(t, err, w)
		}
	}
	require.NoError(t, Config{Claims: map[string]string{"x-hasura-Org": "metadata.org"}}.Validate())
}

func TestCustomClaimsFunctionName(t *testing.T) {
	cases := map[string]string{
		"claims":                      `"claims"`,
		"Public.Custom_Claims":        `"public"."custom_claims"`,
		` app.fn$1 `:                  `"app"."fn$1"`,
		`"My Schema"."Fn ""quoted"""`: `"My Schema"."Fn ""quoted"""`,
		`app."CamelFn"`:               `"app"."CamelFn"`,
	}
	for in, want := range cases {
		got, err := quoteFunctionName(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "1fn", "fn()", "a b", `"a"x`, `""`, "a.", ".a", strings.Repeat("x", 64)} {
		_, err := quoteFunctionName(in)
		require.Error(t, err, in)
	}
}

func newResolver(t testing.TB, cfg Config, o Options) *Resolver {
	t.Helper()
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r, err := New(context.Background(), cfg, o)
	require.NoError(t, err)
	return r
}

func builtinClaims(u *models.User) map[string]any {
	return map[string]any{
		"x-hasura-allowed-roles":     []string{"user"},
		"x-hasura-default-role":      u.DefaultRole,
		"x-hasura-user-id":           u.ID.String(),
		"x-hasura-user-is-anonymous": "false",
	}
}

func TestCustomClaimsNothingConfigured(t *testing.T) {
	r, err := New(context.Background(), Config{GraphQLURL: "http://hasura"}, Options{})
	require.NoError(t, err)
	require.Nil(t, r)
	out := map[string]any{}
	require.NoError(t, r.Resolve(context.Background(), nil, testUser(), out), "a nil resolver is a no-op")
	require.Empty(t, out)
}

func TestCustomClaimsLocal(t *testing.T) {
	r := newResolver(t, Config{
		Claims: map[string]string{
			"plan":       "metadata.plan",
			"Seats":      "metadata.seats",
			"beta":       "metadata.beta",
			"org":        "metadata.org",
			"org-name":   "metadata.org.name",
			"tags":       "metadata.tags",
			"team-ids":   "metadata.teams[].id",
			"no-teams":   "metadata.empty[].id",
			"email":      "email",
			"name":       "display_name",
			"created":    "createdAt",
			"anon":       "isAnonymous",
			"phone":      "phoneNumber",
			"missing":    "metadata.nope",
			"label":      "{{displayName}} <{{email}}> of {{ metadata.org.name }}",
			"tag-list":   "tags={{metadata.tags}}",
			"half":       "{{metadata.plan}}/{{metadata.nope}}",
			"x-hasura-a": "metadata.plan",
		},
		Defaults: map[string]any{"missing": "fallback", "half": "none", "phone": json.Number("0"), "plan": "never used"},
	}, Options{})
	require.Nil(t, r.hasura, "no Hasura source when every path stays in auth.users")
	u := testUser()
	out := builtinClaims(u)
	require.NoError(t, r.Resolve(context.Background(), nil, u, out))
	want := builtinClaims(u)
	for k, v := range map[string]string{
		"x-hasura-plan":     "pro",
		"x-hasura-seats":    "12",
		"x-hasura-beta":     "true",
		"x-hasura-org":      `{"id":"org-1","name":"Acme \"Ltd\""}`,
		"x-hasura-org-name": `Acme "Ltd"`,
		"x-hasura-tags":     `{"a","b,c"}`,
		"x-hasura-team-ids": `{"t1","t2"}`,
		"x-hasura-no-teams": `{}`,
		"x-hasura-email":    "ada@example.com",
		"x-hasura-name":     "Ada",
		"x-hasura-created":  "2024-05-06T05:08:09.1234+00:00",
		"x-hasura-anon":     "false",
		"x-hasura-phone":    "0",
		"x-hasura-missing":  "fallback",
		"x-hasura-label":    `Ada <ada@example.com> of Acme "Ltd"`,
		"x-hasura-tag-list": `tags={"a","b,c"}`,
		"x-hasura-half":     "none",
		"x-hasura-a":        "pro",
	} {
		want[k] = v
	}
	require.Equal(t, want, out)
}

// fakeHasura answers GraphQL requests the way the test says, recording them.
type fakeHasura struct {
	mu       sync.Mutex
	requests []recorded
	answer   func(w http.ResponseWriter, r *http.Request)
}

type recorded struct {
	Method, Path, Secret, ContentType string
	Body                              map[string]any
}

func (f *fakeHasura) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	raw, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(raw, &body)
	f.mu.Lock()
	f.requests = append(f.requests, recorded{r.Method, r.URL.Path, r.Header.Get("X-Hasura-Admin-Secret"), r.Header.Get("Content-Type"), body})
	f.mu.Unlock()
	f.answer(w, r)
}

func (f *fakeHasura) recorded() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

func TestCustomClaimsHasura(t *testing.T) {
	const secret = "admin-secret-that-must-not-leak"
	u := testUser()
	okAnswer := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"user":{"profile":{"organisation":{"id":12345678901234567890},
			"contributesTo":[{"project":{"id":"p1"}},{"project":{"id":"p\"2"}}]}}}}`)
	}
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		want   map[string]string // custom claims expected
		logged string            // in the warning; "" for none
	}{
		{"ok", okAnswer, map[string]string{
			"x-hasura-org-id": "12345678901234567890", "x-hasura-project-ids": `{"p1","p\"2"}`, "x-hasura-plan": "pro",
			"x-hasura-label": "org 12345678901234567890 for Ada",
		}, ""},
		{"no such user", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"data":{"user":null}}`)
		}, map[string]string{"x-hasura-org-id": "none", "x-hasura-plan": "pro"}, ""},
		{"status 500", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(500)
			_, _ = io.WriteString(w, `internal error`)
		}, map[string]string{"x-hasura-org-id": "none", "x-hasura-plan": "pro"}, "status 500"},
		{"graphql errors", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"errors":[{"message":"field 'profile' not found in type: 'users'"}]}`)
		}, map[string]string{"x-hasura-org-id": "none", "x-hasura-plan": "pro"}, "field 'profile' not found"},
		{"not json", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `<html>`)
		}, map[string]string{"x-hasura-org-id": "none", "x-hasura-plan": "pro"}, "decode response"},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // hang until the client gives up
		}, map[string]string{"x-hasura-org-id": "none", "x-hasura-plan": "pro"}, "deadline exceeded"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := &fakeHasura{answer: c.answer}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			logs := &testsupport.LogBuffer{}
			r := newResolver(t, Config{
				Claims: map[string]string{
					"org-id":      "profile.organisation.id",
					"project-ids": "profile.contributesTo[].project.id",
					"plan":        "metadata.plan",
					"label":       "org {{profile.organisation.id}} for {{displayName}}",
				},
				Defaults:    map[string]any{"org-id": "none"},
				GraphQLURL:  srv.URL + "/v1/graphql",
				AdminSecret: secret,
			}, Options{Timeout: 200 * time.Millisecond, Log: slog.New(slog.NewTextHandler(logs, nil))})

			out := builtinClaims(u)
			start := time.Now()
			require.NoError(t, r.Resolve(context.Background(), nil, u, out))
			require.Less(t, time.Since(start), 2*time.Second)

			want := builtinClaims(u)
			for k, v := range c.want {
				want[k] = v
			}
			require.Equal(t, want, out)

			reqs := fake.recorded()
			require.Len(t, reqs, 1, "one query per token")
			require.Equal(t, recorded{
				Method: "POST", Path: "/v1/graphql", Secret: secret, ContentType: "application/json",
				Body: map[string]any{
					"query":     "query GetClaims($id: uuid!) { user(id: $id) { profile { contributesTo { project { id } } organisation { id } } } }",
					"variables": map[string]any{"id": u.ID.String()},
				},
			}, reqs[0])

			if c.logged == "" {
				require.NotContains(t, logs.String(), "Hasura query failed")
			} else {
				require.Contains(t, logs.String(), "Hasura query failed")
				require.Contains(t, logs.String(), c.logged)
			}
			require.NotContains(t, logs.String(), secret)
		})
	}
}

func TestCustomClaimsHasuraUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	logs := &testsupport.LogBuffer{}
	r := newResolver(t, Config{
		Claims:     map[string]string{"org": "profile.org.id"},
		Defaults:   map[string]any{"org": "none"},
		GraphQLURL: strings.Replace(url, "http://", "http://user:pass@", 1),
	}, Options{Log: slog.New(slog.NewTextHandler(logs, nil))})
	u := testUser()
	out := map[string]any{}
	require.NoError(t, r.Resolve(context.Background(), nil, u, out))
	require.Equal(t, map[string]any{"x-hasura-org": "none"}, out)
	require.Contains(t, logs.String(), "Hasura query failed")
	require.NotContains(t, logs.String(), "pass@", "credentials in the URL stay out of the log")
}

func TestCustomClaimsFunction(t *testing.T) {
	ctx := context.Background()
	require.NoError(t, testDB.Exec(`CREATE SCHEMA IF NOT EXISTS "Claims Schema";
CREATE TABLE IF NOT EXISTS "Claims Schema".members (user_id uuid, team text);
CREATE OR REPLACE FUNCTION "Claims Schema"."Team ""Fn"""(user_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'Teams', (SELECT coalesce(jsonb_agg(team ORDER BY team), '[]') FROM "Claims Schema".members m WHERE m.user_id = $1),
    'level', 3, 'plan', 'from-function', 'gone', null,
    'x-hasura-user-id', 'evil', 'X-Hasura-Default-Role', 'admin', 'x-hasura-allowed-roles', '["admin"]')
$$;
CREATE OR REPLACE FUNCTION public.null_claims(user_id uuid) RETURNS jsonb LANGUAGE sql AS $$ SELECT NULL::jsonb $$;
CREATE OR REPLACE FUNCTION public.array_claims(user_id uuid) RETURNS jsonb LANGUAGE sql AS $$ SELECT '[1]'::jsonb $$;
CREATE OR REPLACE FUNCTION public.failing_claims(user_id uuid) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'no claims for %', user_id; END $$;
CREATE OR REPLACE FUNCTION public.text_claims(user_id uuid) RETURNS text LANGUAGE sql AS $$ SELECT '{}' $$;`).Error)

	u := testUser()
	r := newResolver(t, Config{
		Function: `"Claims Schema"."Team ""Fn"""`,
		Claims:   map[string]string{"plan": "metadata.plan"},
		Defaults: map[string]any{"gone": "default", "other": "default"},
	}, Options{DB: testDB})

	// Inside the caller's transaction the function sees its uncommitted rows.
	err := testDB.Transaction(func(tx *gorm.DB) error {
		require.NoError(t, tx.Exec(`INSERT INTO "Claims Schema".members VALUES (?, 'b"2'), (?, 'a1')`, u.ID, u.ID).Error)
		out := builtinClaims(u)
		require.NoError(t, r.Resolve(ctx, tx, u, out))
		want := builtinClaims(u)
		want["x-hasura-teams"] = `{"a1","b\"2"}`
		want["x-hasura-level"] = "3"
		want["x-hasura-plan"] = "from-function" // the function wins over a path
		want["x-hasura-gone"] = "default"       // null: nothing, so the default
		want["x-hasura-other"] = "default"
		require.Equal(t, want, out)
		return fmt.Errorf("roll back")
	})
	require.EqualError(t, err, "roll back")

	// Without a transaction it uses the pool, and sees only committed rows.
	out := map[string]any{}
	require.NoError(t, r.Resolve(ctx, nil, u, out))
	require.Equal(t, "{}", out["x-hasura-teams"])

	// NULL adds nothing.
	out = map[string]any{}
	require.NoError(t, newResolver(t, Config{Function: "public.null_claims"}, Options{DB: testDB}).Resolve(ctx, nil, u, out))
	require.Empty(t, out)

	// Not an object, or an exception: the issue fails (the transaction is aborted anyway).
	err = newResolver(t, Config{Function: "array_claims"}, Options{DB: testDB}).Resolve(ctx, nil, u, map[string]any{})
	require.ErrorContains(t, err, "not a JSON object")
	err = newResolver(t, Config{Function: "public.failing_claims"}, Options{DB: testDB}).Resolve(ctx, nil, u, map[string]any{})
	require.ErrorContains(t, err, "no claims for "+u.ID.String())

	// A missing or mistyped function is a start-up warning, not a start-up failure.
	for fn, problem := range map[string]string{
		"public.does_not_exist": `no function \"public\".\"does_not_exist\"(uuid) exists`,
		"public.text_claims":    `returns text, not jsonb`,
	} {
		logs := &testsupport.LogBuffer{}
		newResolver(t, Config{Function: fn}, Options{DB: testDB, Log: slog.New(slog.NewTextHandler(logs, nil))})
		require.Contains(t, logs.String(), problem, fn)
	}
}

// BenchmarkCustomClaimsResolve is the cost of Resolve alone in each mode.
// Run: go test ./claims -run '^$' -bench CustomClaims -benchmem
func BenchmarkCustomClaimsResolve(b *testing.B) {
	require.NoError(b, testDB.Exec(`CREATE OR REPLACE FUNCTION public.bench_claims(user_id uuid) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object('org', 'acme', 'teams', '["t1","t2"]'::jsonb, 'level', 3) $$`).Error)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"data":{"user":{"profile":{"organisation":{"id":"org-1"},"contributesTo":[{"project":{"id":"p1"}},{"project":{"id":"p2"}}]}}}}`)
	}))
	defer srv.Close()
	modes := []struct {
		name string
		cfg  Config
	}{
		{"user-row", Config{
			Claims:   map[string]string{"plan": "metadata.plan", "org": "metadata.org.name", "tags": "metadata.tags", "teams": "metadata.teams[].id", "name": "displayName"},
			Defaults: map[string]any{"tier": "free"},
		}},
		{"template", Config{Claims: map[string]string{"label": "{{displayName}} of {{metadata.org.name}} ({{metadata.plan}})"}}},
		{"hasura", Config{
			Claims:     map[string]string{"org-id": "profile.organisation.id", "project-ids": "profile.contributesTo[].project.id"},
			GraphQLURL: srv.URL,
		}},
		{"function", Config{Function: "public.bench_claims"}},
	}
	u := testUser()
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			r := newResolver(b, m.cfg, Options{DB: testDB})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				out := builtinClaims(u)
				if err := r.Resolve(ctx, nil, u, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
