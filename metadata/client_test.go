package metadata_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/metadata"
)

const adminSecret = "test-admin-secret-4f1c9e"

// dropConnection, as a startup answer, closes the connection unanswered (Hasura
// not listening yet, or a proxy in front of it restarting).
const dropConnection = 0

// fakeHasura answers the metadata API as Hasura does for the calls we make,
// keeping just enough state to say already-tracked / already-exists and to
// refuse a relationship on a table that is not tracked.
type fakeHasura struct {
	mu       sync.Mutex
	starting []int                      // answers to the first requests: dropConnection or a status
	refuse   map[string]string          // "type target" -> error body, answered with 400
	calls    []string                   // "type target", every request in order
	bodies   map[string]json.RawMessage // last body per "type target"
	tracked  map[string]bool
	rels     map[string]bool
}

func newFakeHasura() *fakeHasura {
	return &fakeHasura{refuse: map[string]string{}, bodies: map[string]json.RawMessage{}, tracked: map[string]bool{}, rels: map[string]bool{}}
}

func (f *fakeHasura) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, body string) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/metadata" {
		answer(404, `{"path":"$","error":"resource does not exist","code":"not-found"}`)
		return
	}
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(r.Body)
	var call struct {
		Type string `json:"type"`
		Args struct {
			Source string                  `json:"source"`
			Table  metadata.QualifiedTable `json:"table"`
			Name   string                  `json:"name"`
			Using  struct {
				FK json.RawMessage `json:"foreign_key_constraint_on"`
			} `json:"using"`
		} `json:"args"`
	}
	if err := json.Unmarshal(raw.Bytes(), &call); err != nil {
		answer(400, `{"path":"$","error":"invalid json","code":"parse-failed"}`)
		return
	}
	table := call.Args.Table.String()
	target := table
	if call.Args.Name != "" {
		target += "." + call.Args.Name
	}
	key := call.Type + " " + target

	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, key)
	f.bodies[key] = raw.Bytes()
	if r.Header.Get("X-Hasura-Admin-Secret") != adminSecret {
		answer(401, `{"path":"$","error":"invalid x-hasura-admin-secret/x-hasura-access-key","code":"access-denied"}`)
		return
	}
	if r.Header.Get("Content-Type") != "application/json" {
		answer(400, `{"path":"$","error":"content-type must be application/json","code":"bad-request"}`)
		return
	}
	if len(f.starting) > 0 {
		next := f.starting[0]
		f.starting = f.starting[1:]
		if next == dropConnection {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		answer(next, `{"path":"$","error":"the server is starting","code":"unexpected"}`)
		return
	}
	if body, ok := f.refuse[key]; ok {
		answer(400, body)
		return
	}
	if call.Args.Source != "default" {
		answer(400, hasuraErr("$.args", fmt.Sprintf("source with name %q does not exist", call.Args.Source), "not-exists"))
		return
	}
	notTracked := func(t string) {
		answer(400, hasuraErr("$.args.table", fmt.Sprintf("table %q does not exist", t), "not-exists"))
	}
	switch call.Type {
	case "pg_track_table":
		if f.tracked[table] {
			answer(400, hasuraErr("$.args", fmt.Sprintf("view/table already tracked: %q", table), "already-tracked"))
			return
		}
		f.tracked[table] = true
	case "pg_set_table_customization", "pg_set_table_is_enum":
		if !f.tracked[table] {
			notTracked(table)
			return
		}
	case "pg_create_object_relationship", "pg_create_array_relationship":
		if !f.tracked[table] {
			notTracked(table)
			return
		}
		var remote struct {
			Table *metadata.QualifiedTable `json:"table"`
		}
		_ = json.Unmarshal(call.Args.Using.FK, &remote)
		if remote.Table != nil && !f.tracked[remote.Table.String()] {
			notTracked(remote.Table.String())
			return
		}
		if f.rels[target] {
			answer(400, hasuraErr("$.args", fmt.Sprintf("field with name %q already exists in table %q", call.Args.Name, table), "already-exists"))
			return
		}
		f.rels[target] = true
	default:
		answer(400, `{"path":"$.type","error":"unknown metadata command","code":"parse-failed"}`)
		return
	}
	answer(200, `{"message":"success"}`)
}

// hasuraErr is Hasura's error body.
func hasuraErr(path, msg, code string) string {
	b, _ := json.Marshal(map[string]string{"path": path, "error": msg, "code": code})
	return string(b)
}

func (f *fakeHasura) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

// sleeps records the back-off waits instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

type harness struct {
	fake   *fakeHasura
	client *metadata.Client
	sleeps *sleeps
	logs   *bytes.Buffer
}

func newHarness(t *testing.T, secret string) *harness {
	t.Helper()
	h := &harness{fake: newFakeHasura(), sleeps: &sleeps{}, logs: &bytes.Buffer{}}
	srv := httptest.NewServer(h.fake)
	t.Cleanup(srv.Close)
	var err error
	h.client, err = metadata.NewClient(srv.URL+"/v1/graphql", secret, metadata.ClientOptions{
		InitialBackoff: time.Second,
		MaxBackoff:     4 * time.Second,
		Sleep:          h.sleeps.sleep,
		Log:            slog.New(slog.NewTextHandler(&syncWriter{w: h.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	return h
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func authMetadata(t *testing.T) []metadata.Source {
	t.Helper()
	sources, err := metadata.Load()
	require.NoError(t, err)
	return sources
}

var (
	wantTracks = []string{
		"pg_track_table auth.provider_requests",
		"pg_track_table auth.oauth2_auth_requests",
		"pg_track_table auth.oauth2_authorization_codes",
		"pg_track_table auth.oauth2_clients",
		"pg_track_table auth.oauth2_refresh_tokens",
		"pg_track_table auth.providers",
		"pg_track_table auth.refresh_token_types",
		"pg_track_table auth.refresh_tokens",
		"pg_track_table auth.roles",
		"pg_track_table auth.user_providers",
		"pg_track_table auth.user_roles",
		"pg_track_table auth.user_security_keys",
		"pg_track_table auth.users",
	}
	wantRelationships = []string{
		"pg_create_object_relationship auth.oauth2_auth_requests.client",
		"pg_create_object_relationship auth.oauth2_auth_requests.user",
		"pg_create_array_relationship auth.oauth2_auth_requests.authorizationCodes",
		"pg_create_array_relationship auth.oauth2_auth_requests.refreshTokens",
		"pg_create_object_relationship auth.oauth2_authorization_codes.authRequest",
		"pg_create_object_relationship auth.oauth2_clients.createdByUser",
		"pg_create_array_relationship auth.oauth2_clients.authRequests",
		"pg_create_array_relationship auth.oauth2_clients.oauth2RefreshTokens",
		"pg_create_object_relationship auth.oauth2_refresh_tokens.authRequest",
		"pg_create_object_relationship auth.oauth2_refresh_tokens.client",
		"pg_create_object_relationship auth.oauth2_refresh_tokens.user",
		"pg_create_array_relationship auth.providers.userProviders",
		"pg_create_array_relationship auth.refresh_token_types.refreshTokens",
		"pg_create_object_relationship auth.refresh_tokens.user",
		"pg_create_array_relationship auth.roles.userRoles",
		"pg_create_array_relationship auth.roles.usersByDefaultRole",
		"pg_create_object_relationship auth.user_providers.provider",
		"pg_create_object_relationship auth.user_providers.user",
		"pg_create_object_relationship auth.user_roles.roleByRole",
		"pg_create_object_relationship auth.user_roles.user",
		"pg_create_object_relationship auth.user_security_keys.user",
		"pg_create_object_relationship auth.users.defaultRoleByRole",
		"pg_create_array_relationship auth.users.oauth2AuthRequests",
		"pg_create_array_relationship auth.users.oauth2RefreshTokens",
		"pg_create_array_relationship auth.users.refreshTokens",
		"pg_create_array_relationship auth.users.roles",
		"pg_create_array_relationship auth.users.securityKeys",
		"pg_create_array_relationship auth.users.userProviders",
	}
)

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// A fresh Hasura: every table tracked with its names, then every relationship.
func TestMetadataApplyFresh(t *testing.T) {
	h := newHarness(t, adminSecret)
	res, err := h.client.Apply(context.Background(), authMetadata(t))
	require.NoError(t, err)
	require.Equal(t, concat(wantTracks, wantRelationships), h.fake.takeCalls())
	require.Equal(t, metadata.Result{Tracked: 13, RelationshipsCreated: 28}, res)
	require.Empty(t, h.sleeps.d)
}

// The wire format: what the files say, in the shapes Hasura's API takes.
func TestMetadataApplyRequestBodies(t *testing.T) {
	h := newHarness(t, adminSecret)
	_, err := h.client.Apply(context.Background(), authMetadata(t))
	require.NoError(t, err)
	cases := map[string]string{
		"pg_track_table auth.refresh_token_types": `{"type":"pg_track_table","args":{"source":"default",
			"table":{"name":"refresh_token_types","schema":"auth"},"is_enum":true,
			"configuration":{"custom_name":"authRefreshTokenTypes","custom_root_fields":{
				"delete":"deleteAuthRefreshTokenTypes","delete_by_pk":"deleteAuthRefreshTokenType",
				"insert":"insertAuthRefreshTokenTypes","insert_one":"insertAuthRefreshTokenType",
				"select":"authRefreshTokenTypes","select_aggregate":"authRefreshTokenTypesAggregate",
				"select_by_pk":"authRefreshTokenType","update":"updateAuthRefreshTokenTypes",
				"update_by_pk":"updateAuthRefreshTokenType"}}}}`,
		"pg_track_table auth.user_roles": `{"type":"pg_track_table","args":{"source":"default",
			"table":{"name":"user_roles","schema":"auth"},
			"configuration":{"custom_name":"authUserRoles","custom_root_fields":{
				"delete":"deleteAuthUserRoles","delete_by_pk":"deleteAuthUserRole",
				"insert":"insertAuthUserRoles","insert_one":"insertAuthUserRole",
				"select":"authUserRoles","select_aggregate":"authUserRolesAggregate",
				"select_by_pk":"authUserRole","update":"updateAuthUserRoles","update_by_pk":"updateAuthUserRole"},
				"column_config":{"created_at":{"custom_name":"createdAt"},"user_id":{"custom_name":"userId"}}}}}`,
		"pg_create_object_relationship auth.user_roles.user": `{"type":"pg_create_object_relationship","args":{
			"source":"default","table":{"name":"user_roles","schema":"auth"},"name":"user",
			"using":{"foreign_key_constraint_on":"user_id"}}}`,
		"pg_create_array_relationship auth.users.roles": `{"type":"pg_create_array_relationship","args":{
			"source":"default","table":{"name":"users","schema":"auth"},"name":"roles",
			"using":{"foreign_key_constraint_on":{"column":"user_id","table":{"name":"user_roles","schema":"auth"}}}}}`,
	}
	for key, want := range cases {
		require.JSONEq(t, want, string(h.fake.bodies[key]), key)
	}
	var users struct {
		Args struct {
			Configuration metadata.TableConfig `json:"configuration"`
		} `json:"args"`
	}
	require.NoError(t, json.Unmarshal(h.fake.bodies["pg_track_table auth.users"], &users))
	cfg := users.Args.Configuration
	require.Equal(t, "users", cfg.CustomName)
	require.Equal(t, "user", cfg.CustomRootFields["select_by_pk"])
	require.Equal(t, "displayName", cfg.ColumnConfig["display_name"].CustomName)
}

// Applying again (every restart) changes nothing and succeeds: already-tracked
// tables get their configuration set again, existing relationships are kept.
func TestMetadataApplyIdempotent(t *testing.T) {
	h := newHarness(t, adminSecret)
	_, err := h.client.Apply(context.Background(), authMetadata(t))
	require.NoError(t, err)
	h.fake.takeCalls()

	res, err := h.client.Apply(context.Background(), authMetadata(t))
	require.NoError(t, err)
	var want []string
	for _, track := range wantTracks {
		table := strings.TrimPrefix(track, "pg_track_table ")
		want = append(want, track, "pg_set_table_customization "+table)
		if table == "auth.refresh_token_types" {
			want = append(want, "pg_set_table_is_enum "+table)
		}
	}
	require.Equal(t, concat(want, wantRelationships), h.fake.takeCalls())
	require.Equal(t, metadata.Result{AlreadyTracked: 13, AlreadyExisted: 28}, res)
	require.JSONEq(t, `{"type":"pg_set_table_is_enum","args":{"source":"default",
		"table":{"name":"refresh_token_types","schema":"auth"},"is_enum":true}}`,
		string(h.fake.bodies["pg_set_table_is_enum auth.refresh_token_types"]))
}

// Hasura starting after us: dropped connections, 5xx and 429 are retried with
// a doubling wait up to the cap, then everything is applied once.
func TestMetadataApplyWaitsForHasura(t *testing.T) {
	h := newHarness(t, adminSecret)
	h.fake.starting = []int{dropConnection, dropConnection, 503, 502, 429, 500}
	res, err := h.client.Apply(context.Background(), authMetadata(t))
	require.NoError(t, err)

	require.Equal(t, []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second}, h.sleeps.d)
	retried := make([]string, 6)
	for i := range retried {
		retried[i] = wantTracks[0]
	}
	require.Equal(t, concat(retried, wantTracks, wantRelationships), h.fake.takeCalls())
	require.Equal(t, metadata.Result{Tracked: 13, RelationshipsCreated: 28, Retries: 6}, res)

	logs := h.logs.String()
	require.Equal(t, 1, strings.Count(logs, "level=WARN msg=\"hasura metadata API not ready, retrying\""), logs)
	require.Equal(t, 5, strings.Count(logs, "level=DEBUG msg=\"hasura metadata API not ready, retrying\""), logs)
	require.NotContains(t, logs, adminSecret)
}

// A refused call is reported with Hasura's reason while the rest is still
// applied; relationships of a table that could not be tracked are not tried.
func TestMetadataApplyPermanentErrors(t *testing.T) {
	cases := []struct {
		name        string
		refuse      string
		body        string
		wantErr     string
		wantSkipped []string
		wantResult  metadata.Result
	}{
		{
			name:       "one relationship refused",
			refuse:     "pg_create_array_relationship auth.users.roles",
			body:       `{"path":"$.args","error":"no foreign constraint exists on the given column","code":"constraint-violation"}`,
			wantErr:    "pg_create_array_relationship auth.users.roles: hasura answered 400 constraint-violation: no foreign constraint exists on the given column",
			wantResult: metadata.Result{Tracked: 13, RelationshipsCreated: 27},
		},
		{
			name:    "one table refused",
			refuse:  "pg_track_table auth.user_roles",
			body:    `{"path":"$.args","error":"no such table/view exists in source: \"auth.user_roles\"","code":"not-exists"}`,
			wantErr: `pg_track_table auth.user_roles: hasura answered 400 not-exists: no such table/view exists in source: "auth.user_roles"`,
			wantSkipped: []string{
				"pg_create_array_relationship auth.roles.userRoles",
				"pg_create_object_relationship auth.user_roles.roleByRole",
				"pg_create_object_relationship auth.user_roles.user",
				"pg_create_array_relationship auth.users.roles",
			},
			wantResult: metadata.Result{Tracked: 12, RelationshipsCreated: 24, Skipped: 4},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, adminSecret)
			h.fake.refuse[tc.refuse] = tc.body
			res, err := h.client.Apply(context.Background(), authMetadata(t))
			require.EqualError(t, err, tc.wantErr)
			require.Equal(t, tc.wantResult, res)
			var want []string
			for _, c := range concat(wantTracks, wantRelationships) {
				skipped := false
				for _, s := range tc.wantSkipped {
					skipped = skipped || s == c
				}
				if !skipped {
					want = append(want, c)
				}
			}
			require.Equal(t, want, h.fake.takeCalls())
			require.Empty(t, h.sleeps.d, "a refusal is not retried")
		})
	}
}

// A wrong admin secret would be refused for every call: stop at the first,
// and never echo the secret.
func TestMetadataApplyWrongSecret(t *testing.T) {
	const wrong = "wrong-secret-value-93b1"
	h := newHarness(t, wrong)
	_, err := h.client.Apply(context.Background(), authMetadata(t))
	require.ErrorContains(t, err, "access-denied")
	require.NotContains(t, err.Error(), wrong)
	require.NotContains(t, h.logs.String(), wrong)
	require.Equal(t, wantTracks[:1], h.fake.takeCalls())
	require.Empty(t, h.sleeps.d)
}

// Shutting down while Hasura is still unreachable ends the retries promptly.
func TestMetadataApplyStopsOnCancel(t *testing.T) {
	fake := newFakeHasura()
	for range 10000 {
		fake.starting = append(fake.starting, 503)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client, err := metadata.NewClient(srv.URL+"/v1/graphql", adminSecret, metadata.ClientOptions{
		InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, // real timers
		Log: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := client.Apply(ctx, authMetadata(t))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second)
	require.Positive(t, res.Retries)
	require.Zero(t, res.Tracked)
}

func TestMetadataEndpoint(t *testing.T) {
	cases := []struct{ in, want, wantErr string }{
		{in: "http://graphql:8080/v1/graphql", want: "http://graphql:8080/v1/metadata"},
		{in: "http://graphql:8080/v1/graphql/", want: "http://graphql:8080/v1/metadata"},
		{in: "https://abc.hasura.app/v1/graphql", want: "https://abc.hasura.app/v1/metadata"},
		{in: "https://example.com/hasura/v1/graphql?x=1", want: "https://example.com/hasura/v1/metadata"},
		{in: "http://graphql:8080/graphql", wantErr: "must end in /v1/graphql"},
		{in: "graphql:8080/v1/graphql", wantErr: "http(s) URL"},
		{in: "", wantErr: "http(s) URL"},
	}
	for _, tc := range cases {
		got, err := metadata.Endpoint(tc.in)
		if tc.wantErr != "" {
			require.ErrorContains(t, err, tc.wantErr, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	_, err := metadata.NewClient("http://graphql:8080/v1/graphql", "", metadata.ClientOptions{})
	require.ErrorContains(t, err, "HASURA_GRAPHQL_ADMIN_SECRET")
}
