package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/janitor"
	"github.com/hasura-auth-go/auth/server"
	"github.com/hasura-auth-go/auth/testsupport"
)

// Operators: log out everywhere (sessions epoch), the admin API, the audit log,
// the purge endpoint and the janitor.

const opsAdminSecret = "ops-admin-secret-for-tests-0123456789"

var opsAdmin = header{"X-Hasura-Admin-Secret", opsAdminSecret}

func opsEnv(t testing.TB, overrides map[string]string) *env {
	t.Helper()
	return newEnv(t, merge(map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": opsAdminSecret}, overrides))
}

// ownDB gives a test its own database: purging with a clock months ahead
// would otherwise delete other tests' rows.
func ownDB(t testing.TB) string {
	t.Helper()
	url, drop, err := testsupport.CreateDB(context.Background())
	require.NoError(t, err)
	t.Cleanup(drop)
	return url
}

type auditRow struct {
	ID        int64          `json:"id"`
	CreatedAt time.Time      `json:"createdAt"`
	Event     string         `json:"event"`
	UserID    *string        `json:"userId"`
	Actor     string         `json:"actor"`
	IP        *string        `json:"ip"`
	UserAgent *string        `json:"userAgent"`
	RequestID *string        `json:"requestId"`
	Metadata  map[string]any `json:"metadata"`
}

// auditLog waits for queued events and returns the user's, oldest first.
func (e *env) auditLog(query string) []auditRow {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(e.t, e.srv.Audit.Flush(ctx))
	r := e.do("GET", "/v1/admin/audit-log?"+query, nil, opsAdmin)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var out struct{ Events []auditRow }
	r.decode(e.t, &out)
	for i, j := 0, len(out.Events)-1; i < j; i, j = i+1, j-1 {
		out.Events[i], out.Events[j] = out.Events[j], out.Events[i]
	}
	return out.Events
}

// flushAudit waits for queued events. Queued and in-transaction events get
// ids as they are written, so tests that check their order flush between them.
func (e *env) flushAudit() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(e.t, e.srv.Audit.Flush(ctx))
}

// secondInstance starts another server on e's database and clock, as a
// second replica behind a load balancer would be.
func secondInstance(t testing.TB, e *env) *env {
	t.Helper()
	ctx := context.Background()
	logs := &testsupport.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := server.OpenDB(ctx, e.srv.Config, log)
	require.NoError(t, err)
	srv, err := server.New(ctx, e.srv.Config, db, server.Options{Now: e.clock.Now, Log: log})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return &env{t: t, srv: srv, clock: e.clock, logs: logs}
}

func eventTypes(rows []auditRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Event
	}
	return out
}

func (e *env) getUserStatus(access string) int {
	e.t.Helper()
	return e.do("GET", "/v1/user", nil, bearer(access)).Status
}

func (e *env) verifyStatus(access string) (body, bearerStatus int) {
	e.t.Helper()
	rb := e.do("POST", "/v1/token/verify", map[string]any{"token": access})
	rh := e.do("POST", "/v1/token/verify", "", bearer(access))
	return rb.Status, rh.Status
}

func (e *env) requireAccess(access string, want int) {
	e.t.Helper()
	require.Equal(e.t, want, e.getUserStatus(access), "GET /user")
	b, h := e.verifyStatus(access)
	require.Equal(e.t, want, b, "POST /token/verify with the token in the body")
	require.Equal(e.t, want, h, "POST /token/verify with the Bearer token")
}

func TestSignOutAllRefusesEarlierAccessTokens(t *testing.T) {
	e := newEnv(t, nil)
	addr := email(t)
	a := e.signUp(addr, nil)
	a2 := e.signIn(addr)
	other := e.signUp(email(t), nil)
	e.requireAccess(a.AccessToken, 200)

	e.clock.Advance(time.Second)
	r := e.do("POST", "/v1/signout", map[string]any{"all": true}, bearer(a.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)

	// Every access token issued before is refused, not only the caller's.
	for _, tok := range []string{a.AccessToken, a2.AccessToken} {
		e.requireAccess(tok, 401)
		r := e.do("GET", "/v1/user", nil, bearer(tok))
		require.Equal(t, "unauthorized", r.errorCode(t))
		contract(t, "/user", "get", r)
	}
	require.Equal(t, 401, e.refresh(a2.RefreshToken).Status)
	e.requireAccess(other.AccessToken, 200)

	// A sign-in at the very instant of the revocation works: the epoch
	// compares milliseconds, not iat's whole seconds.
	b := e.signIn(addr)
	e.requireAccess(b.AccessToken, 200)
	e.clock.Advance(time.Minute)
	e.requireAccess(b.AccessToken, 200)
}

func TestAdminSignOutAll(t *testing.T) {
	e := opsEnv(t, nil)
	addr := email(t)
	a := e.signUp(addr, nil)
	a2 := e.signIn(addr)
	pat := e.mustCreatePAT(a.AccessToken, e.clock.Now().Add(time.Hour), nil)
	other := e.signUp(email(t), nil)
	require.Equal(t, int64(3), e.liveSessions(a.User.ID))

	e.clock.Advance(time.Second)
	r := e.do("POST", "/v1/admin/users/"+a.User.ID+"/signout", nil, opsAdmin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.JSONEq(t, `{"sessions": 3}`, string(r.Body))

	require.Zero(t, e.liveSessions(a.User.ID))
	e.requireAccess(a.AccessToken, 401)
	e.requireAccess(a2.AccessToken, 401)
	require.Equal(t, 401, e.refresh(a.RefreshToken).Status)
	require.Equal(t, 401, e.signInPAT(pat.PersonalAccessToken).Status)
	e.requireAccess(other.AccessToken, 200)
	require.Equal(t, int64(1), e.liveSessions(other.User.ID))

	// The user signs in again as usual.
	e.requireAccess(e.signIn(addr).AccessToken, 200)

	ev := e.auditLog("userId=" + a.User.ID + "&event=admin.sign-out-all")
	require.Len(t, ev, 1)
	require.Equal(t, "admin", ev[0].Actor)
	require.EqualValues(t, 3, ev[0].Metadata["sessions"])

	r = e.do("POST", "/v1/admin/users/"+"2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24"+"/signout", nil, opsAdmin)
	require.Equal(t, 404, r.Status, "%s", r.Body)
	require.Equal(t, "user-not-found", r.errorCode(t))
}

func TestAdminUsers(t *testing.T) {
	e := opsEnv(t, nil)
	marker := fmt.Sprintf("adm%d", time.Now().UnixNano()) // what ?q= finds: these two users only
	addr := marker + "-a@example.com"

	// Create, with a role outside the default allowed roles.
	r := e.do("POST", "/v1/admin/users", map[string]any{
		"email": addr, "password": password, "displayName": "Ada", "locale": "fr",
		"defaultRole": "user", "roles": []string{"me", "admin"}, "emailVerified": true, "metadata": map[string]any{"plan": "pro"},
	}, opsAdmin, header{"User-Agent", "ops-cli/1.0"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var u struct {
		userBody
		Disabled  bool
		LastSeen  *time.Time
		UpdatedAt time.Time
	}
	r.decode(t, &u)
	require.Equal(t, addr, u.Email)
	require.Equal(t, "Ada", u.DisplayName)
	require.Equal(t, "fr", u.Locale)
	require.True(t, u.EmailVerified)
	require.ElementsMatch(t, []string{"admin", "me", "user"}, u.Roles)
	require.Equal(t, "pro", u.Metadata["plan"])
	require.False(t, u.Disabled)
	require.NotContains(t, string(r.Body), "password")

	s := e.signIn(addr)
	require.Equal(t, u.ID, s.User.ID)
	require.Contains(t, e.hasuraClaims(s.AccessToken).AllowedRoles, "admin")

	r = e.do("POST", "/v1/admin/users", map[string]any{"email": strings.ToUpper(addr)}, opsAdmin)
	require.Equal(t, 409, r.Status, "%s", r.Body)
	require.Equal(t, "email-already-in-use", r.errorCode(t))

	// Find: by id, by exact email, by substring.
	r = e.do("GET", "/v1/admin/users/"+u.ID, nil, opsAdmin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Contains(t, string(r.Body), `"lastSeen":"`)
	var list struct{ Users []userBody }
	r = e.do("GET", "/v1/admin/users?email="+strings.ToUpper(addr), nil, opsAdmin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r.decode(t, &list)
	require.Len(t, list.Users, 1)
	require.Equal(t, u.ID, list.Users[0].ID)
	second := e.signUp(marker+"-b@example.com", nil)
	r = e.do("GET", "/v1/admin/users?q="+strings.ToUpper(marker)+"&limit=10", nil, opsAdmin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r.decode(t, &list)
	require.Len(t, list.Users, 2)
	require.Equal(t, second.User.ID, list.Users[0].ID, "newest first")
	r = e.do("GET", "/v1/admin/users?q="+marker+"&limit=1&offset=1", nil, opsAdmin)
	r.decode(t, &list)
	require.Len(t, list.Users, 1)
	require.Equal(t, u.ID, list.Users[0].ID)
	r = e.do("GET", "/v1/admin/users?q=100%25_", nil, opsAdmin)
	r.decode(t, &list)
	require.Empty(t, list.Users, "LIKE wildcards in q are literal")

	// Disable: sessions end, tokens are refused, sign-in says why.
	e.clock.Advance(time.Second)
	r = e.do("POST", "/v1/admin/users/"+u.ID+"/disable", nil, opsAdmin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Contains(t, string(r.Body), `"disabled":true`)
	require.Zero(t, e.liveSessions(u.ID))
	e.requireAccess(s.AccessToken, 401)
	r = e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(t, 401, r.Status)
	require.Equal(t, "disabled-user", r.errorCode(t))

	// Enable.
	r = e.do("POST", "/v1/admin/users/"+u.ID+"/enable", nil, opsAdmin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Contains(t, string(r.Body), `"disabled":false`)
	s = e.signIn(addr)

	// Set roles: the default role joins the roles; refreshed tokens carry them.
	r = e.do("PUT", "/v1/admin/users/"+u.ID+"/roles", map[string]any{"defaultRole": "editor", "roles": []string{"me"}}, opsAdmin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r.decode(t, &u)
	require.Equal(t, "editor", u.DefaultRole)
	require.ElementsMatch(t, []string{"editor", "me"}, u.Roles)
	c := e.hasuraClaims(e.mustRefresh(s.RefreshToken).AccessToken)
	require.Equal(t, "editor", c.DefaultRole)
	require.ElementsMatch(t, []string{"editor", "me"}, c.AllowedRoles)
	r = e.do("PUT", "/v1/admin/users/"+u.ID+"/roles", map[string]any{"roles": []string{"bad role"}}, opsAdmin)
	require.Equal(t, 400, r.Status, "%s", r.Body)
	r = e.do("PUT", "/v1/admin/users/"+u.ID+"/roles", map[string]any{"defaultRole": "me"}, opsAdmin)
	require.Equal(t, 400, r.Status, "roles is required: %s", r.Body)

	// Delete: the user, their sessions and the validity of their tokens go.
	r = e.do("DELETE", "/v1/admin/users/"+u.ID, nil, opsAdmin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, `"OK"`, string(r.Body))
	require.Zero(t, e.liveSessions(u.ID))
	e.requireAccess(s.AccessToken, 401)
	require.Equal(t, 404, e.do("GET", "/v1/admin/users/"+u.ID, nil, opsAdmin).Status)
	require.Equal(t, 404, e.do("DELETE", "/v1/admin/users/"+u.ID, nil, opsAdmin).Status)

	// Every change is in the audit log, by the admin, and the trail outlives the user.
	ev := e.auditLog("userId=" + u.ID)
	var adminEvents []string
	for _, x := range ev {
		if x.Actor == "admin" {
			adminEvents = append(adminEvents, x.Event)
		}
	}
	require.Equal(t, []string{"admin.user-created", "admin.user-updated", "admin.user-updated", "admin.user-updated", "admin.user-deleted"}, adminEvents)
	require.Equal(t, "ops-cli/1.0", *ev[0].UserAgent)
}

func TestAdminAPIGuard(t *testing.T) {
	e := opsEnv(t, nil)
	off := newEnv(t, nil)
	id := e.signUp(email(t), nil).User.ID
	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/admin/users", nil},
		{"POST", "/v1/admin/users", map[string]any{"email": "x@example.com"}},
		{"GET", "/v1/admin/users/" + id, nil},
		{"DELETE", "/v1/admin/users/" + id, nil},
		{"POST", "/v1/admin/users/" + id + "/disable", nil},
		{"POST", "/v1/admin/users/" + id + "/enable", nil},
		{"PUT", "/v1/admin/users/" + id + "/roles", map[string]any{"roles": []string{"me"}}},
		{"POST", "/v1/admin/users/" + id + "/signout", nil},
		{"GET", "/v1/admin/audit-log", nil},
	}
	for _, rt := range routes {
		for _, h := range [][]header{nil, {{"X-Hasura-Admin-Secret", "wrong"}}, {{"X-Hasura-Admin-Secret", opsAdminSecret + "x"}}, {bearer(e.signUp(email(t), nil).AccessToken)}} {
			r := e.do(rt.method, rt.path, rt.body, h...)
			require.Equal(t, 401, r.Status, "%s %s %v: %s", rt.method, rt.path, h, r.Body)
			require.Equal(t, "unauthorized", r.errorCode(t))
		}
		r := off.do(rt.method, rt.path, rt.body, opsAdmin)
		require.Equal(t, 409, r.Status, "%s %s without HASURA_GRAPHQL_ADMIN_SECRET: %s", rt.method, rt.path, r.Body)
		require.Equal(t, "disabled-endpoint", r.errorCode(t))
	}
	// The user is untouched.
	require.Equal(t, 200, e.do("GET", "/v1/admin/users/"+id, nil, opsAdmin).Status)

	bad := []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/admin/users/not-a-uuid", nil},
		{"GET", "/v1/admin/users?limit=0", nil},
		{"GET", "/v1/admin/users?limit=501", nil},
		{"GET", "/v1/admin/users?offset=-1", nil},
		{"GET", "/v1/admin/users?q=%00", nil},
		{"GET", "/v1/admin/users?email=%ff", nil},
		{"GET", "/v1/admin/audit-log?userId=x", nil},
		{"GET", "/v1/admin/audit-log?before=x", nil},
		{"GET", "/v1/admin/audit-log?event=%00", nil},
		{"POST", "/v1/admin/users", map[string]any{"email": "not an email"}},
		{"POST", "/v1/admin/users", map[string]any{"email": "short@example.com", "password": "x"}},
		{"POST", "/v1/admin/users", map[string]any{"email": "loc@example.com", "locale": "de"}},
		{"POST", "/v1/admin/users", map[string]any{"email": "x@example.com", "isAdmin": true}},
		{"POST", "/v1/admin/users", `{"email":`},
	}
	for _, b := range bad {
		r := e.do(b.method, b.path, b.body, opsAdmin)
		require.Equal(t, 400, r.Status, "%s %s %v: %s", b.method, b.path, b.body, r.Body)
		require.NotEmpty(t, r.errorCode(t))
	}
}

func TestAuditLogRecordsSecurityEvents(t *testing.T) {
	e := opsEnv(t, map[string]string{"AUTH_MFA_ENABLED": "true"})
	addr := email(t)
	ua := header{"User-Agent", "Mozilla/5.0 (audit test)"}
	r := e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password}, ua, header{"X-Request-Id", "req-signup-1"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var p struct{ Session sessionBody }
	r.decode(t, &p)
	s := p.Session
	id := s.User.ID

	r = e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": "wrong password!"}, ua)
	require.Equal(t, 401, r.Status)
	r = e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password}, ua)
	require.Equal(t, 409, r.Status)
	e.flushAudit() // refusals are queued; the sign-in's row is written with its session
	s1 := e.signIn(addr)
	// Refresh reuse: the rotated token presented after the window.
	s2 := e.mustRefresh(s1.RefreshToken)
	e.clock.Advance(time.Minute)
	require.Equal(t, 401, e.refresh(s1.RefreshToken).Status)
	require.Equal(t, 401, e.refresh(s2.RefreshToken).Status)
	e.flushAudit()
	// MFA on and off.
	secret := e.enableTOTP(s.AccessToken)
	r = e.do("POST", "/v1/user/mfa", map[string]any{"code": e.code(secret), "activeMfaType": ""}, bearer(s.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	// PAT made and revoked.
	pat := e.mustCreatePAT(s.AccessToken, e.clock.Now().Add(time.Hour), nil)
	require.Equal(t, 200, e.do("DELETE", "/v1/pat/"+pat.ID, nil, bearer(s.AccessToken)).Status)
	// Sign out one session, then all.
	require.Equal(t, 200, e.do("POST", "/v1/signout", map[string]any{"refreshToken": s.RefreshToken}).Status)
	e.flushAudit()
	require.Equal(t, 200, e.do("POST", "/v1/signout", map[string]any{"all": true}, bearer(s.AccessToken)).Status)

	ev := e.auditLog("userId=" + id)
	require.Equal(t, []string{
		"sign-up", "sign-in-failed", "sign-up-failed", "sign-in", "refresh-token-reuse",
		"mfa-enabled", "mfa-disabled", "pat-created", "pat-revoked", "sign-out", "sign-out-all",
	}, eventTypes(ev))

	signUp := ev[0]
	require.Equal(t, "192.0.2.1", *signUp.IP, "httptest's client address")
	require.Equal(t, "Mozilla/5.0 (audit test)", *signUp.UserAgent)
	require.Equal(t, "req-signup-1", *signUp.RequestID)
	require.Equal(t, "user", signUp.Actor)
	require.Equal(t, "email-password", signUp.Metadata["method"])
	require.WithinDuration(t, e.clock.Now(), signUp.CreatedAt, 2*time.Minute)

	failed := ev[1]
	require.Equal(t, "invalid-email-password", failed.Metadata["reason"])
	require.Equal(t, addr, failed.Metadata["email"], "the email tried, resolved to the user id at write time")
	require.Equal(t, "system", ev[4].Actor)
	require.Equal(t, s1.RefreshTokenID, ev[4].Metadata["refreshTokenId"])

	// A failure for an unknown email is kept without a user id.
	ghost := email(t)
	require.Equal(t, 401, e.do("POST", "/v1/signin/email-password", map[string]any{"email": ghost, "password": password}).Status)
	ev = e.auditLog("event=sign-in-failed&limit=5")
	require.Equal(t, ghost, ev[len(ev)-1].Metadata["email"])
	require.Nil(t, ev[len(ev)-1].UserID)

	// Never a secret: no password, token, TOTP secret or hash anywhere in the log.
	var dump []string
	require.NoError(t, e.db().Raw(`SELECT row_to_json(a)::text FROM auth.audit_log a`).Scan(&dump).Error)
	all := strings.Join(dump, "\n")
	for _, secretValue := range []string{password, "wrong password!", s.RefreshToken, s1.RefreshToken, s2.RefreshToken, s.AccessToken, secret, pat.PersonalAccessToken, `\x`} {
		require.NotContains(t, all, secretValue)
	}
}

func TestAuditLogWrittenWithItsTransaction(t *testing.T) {
	e := opsEnv(t, nil)
	addr := email(t)
	e.signUp(addr, nil)
	before := len(e.auditLog("event=admin.user-created&limit=1000"))
	// Refused inside the transaction (duplicate email): neither user nor audit row.
	r := e.do("POST", "/v1/admin/users", map[string]any{"email": addr}, opsAdmin)
	require.Equal(t, 409, r.Status, "%s", r.Body)
	require.Len(t, e.auditLog("event=admin.user-created&limit=1000"), before)
	// A user agent PostgreSQL could not store (NUL, invalid UTF-8) does not fail the change.
	r = e.do("POST", "/v1/admin/users", map[string]any{"email": email(t)}, opsAdmin, header{"User-Agent", "bad\x00\xff"})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	ev := e.auditLog("event=admin.user-created&limit=1")
	require.Equal(t, "bad\uFFFD", *ev[0].UserAgent)
}

func TestPurgeExpired(t *testing.T) {
	const webhookKey = "cron-webhook-key-0123456789"
	e := opsEnv(t, map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": ownDB(t), "AUTH_WEBHOOK_KEY": webhookKey,
		"AUTH_JANITOR_BATCH_SIZE": "2", "AUTH_AUDIT_LOG_RETENTION": "720h",
	})
	hook := header{"X-Webhook-Key", webhookKey}

	// Guard.
	for _, h := range [][]header{nil, {{"X-Webhook-Key", "wrong-key-0123456789"}}, {{"X-Hasura-Admin-Secret", "wrong"}}} {
		r := e.do("POST", "/v1/sessions/purge-expired", nil, h...)
		require.Equal(t, 401, r.Status, "%s", r.Body)
		require.Equal(t, "unauthorized", r.errorCode(t))
	}
	off := newEnv(t, nil)
	r := off.do("POST", "/v1/sessions/purge-expired", nil, hook)
	require.Equal(t, 409, r.Status, "%s", r.Body)

	// Five users, each with sessions rotated a few times (history rows).
	var live []sessionBody
	for range 5 {
		s := e.signUp(email(t), nil)
		s = e.mustRefresh(s.RefreshToken)
		live = append(live, e.mustRefresh(s.RefreshToken))
	}
	// An expired MFA ticket.
	tickets := e.signUp(email(t), nil)
	require.NoError(t, e.db().Exec(`UPDATE auth.users SET ticket = 'mfaTotp:abc', ticket_expires_at = ? WHERE id = ?`, e.clock.Now().Add(5*time.Minute), tickets.User.ID).Error)
	e.auditLog("limit=1") // flush

	// Nothing has expired yet.
	r = e.do("POST", "/v1/sessions/purge-expired", nil, hook)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.JSONEq(t, `{"refreshTokens":0,"refreshTokenHistory":0,"tickets":0,"auditLog":0,"webauthnChallenges":0,"providerRequests":0,"oauth2":0}`, string(r.Body))

	// A fresh session made 31 days later survives; everything older goes.
	e.clock.Advance(31 * 24 * time.Hour)
	fresh := e.signUp(email(t), nil)
	e.auditLog("limit=1")
	var audits int64
	require.NoError(t, e.db().Raw(`SELECT count(*) FROM auth.audit_log WHERE created_at < ?`, e.clock.Now().Add(-720*time.Hour)).Scan(&audits).Error)
	require.Positive(t, audits)

	r = e.do("POST", "/v1/sessions/purge-expired", nil, opsAdmin) // the admin secret works too
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var res janitor.Result
	r.decode(t, &res)
	require.Equal(t, janitor.Result{RefreshTokens: 6, RefreshTokenHistory: 10, Tickets: 1, AuditLog: audits}, res,
		"batches of 2 until done: 6 sessions, 2 retired generations of 5 of them, 1 ticket")
	for _, s := range live {
		require.Zero(t, e.liveSessions(s.User.ID))
	}
	require.Equal(t, int64(1), e.liveSessions(fresh.User.ID))
	require.Nil(t, e.user(tickets.User.ID).Ticket)
	e.requireAccess(fresh.AccessToken, 200)
	r = e.do("POST", "/v1/sessions/purge-expired", nil, hook)
	require.JSONEq(t, `{"refreshTokens":0,"refreshTokenHistory":0,"tickets":0,"auditLog":0,"webauthnChallenges":0,"providerRequests":0,"oauth2":0}`, string(r.Body))
}

// Several instances purge at once: each row goes exactly once, nobody waits
// or fails, and rows locked by a request are left for the next run.
func TestJanitorInstancesShareTheWork(t *testing.T) {
	e := newEnv(t, map[string]string{"HASURA_GRAPHQL_DATABASE_URL": ownDB(t)})
	u := e.signUp(email(t), nil)
	const n = 1200
	require.NoError(t, e.db().Exec(`INSERT INTO auth.refresh_tokens (id, created_at, expires_at, user_id, type, refresh_token_hash)
SELECT gen_random_uuid(), now(), ?, ?, 'regular', md5(g::text) FROM generate_series(1, ?) g`, e.clock.Now().Add(-time.Minute), u.User.ID, n).Error)

	// A request holds one expired row (as a refresh does while it decides).
	ctx := context.Background()
	tx := e.db().WithContext(ctx).Begin()
	var held string
	require.NoError(t, tx.Raw(`SELECT id FROM auth.refresh_tokens WHERE user_id = ? AND expires_at < ? LIMIT 1 FOR UPDATE`, u.User.ID, e.clock.Now()).Scan(&held).Error)

	const instances = 4
	var wg sync.WaitGroup
	results := make([]janitor.Result, instances)
	errs := make([]error, instances)
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j := janitor.New(janitor.Options{DB: e.db(), Now: e.clock.Now, BatchSize: 25})
			results[i], errs[i] = j.RunOnce(ctx)
		}()
	}
	wg.Wait()
	var total int64
	for i := range instances {
		require.NoError(t, errs[i])
		total += results[i].RefreshTokens
	}
	require.Equal(t, int64(n-1), total, "every expired row but the held one, each deleted once")
	require.Equal(t, int64(2), e.liveSessions(u.User.ID), "the held row and the live session")
	require.NoError(t, tx.Rollback().Error)

	res, err := janitor.New(janitor.Options{DB: e.db(), Now: e.clock.Now, BatchSize: 25}).RunOnce(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), res.RefreshTokens, "the held row goes on the next run")
}

// The background janitor purges on its own and stops when told.
func TestJanitorRunsInBackgroundAndStops(t *testing.T) {
	e := newEnv(t, map[string]string{"HASURA_GRAPHQL_DATABASE_URL": ownDB(t)})
	u := e.signUp(email(t), nil)
	require.NoError(t, e.db().Exec(`UPDATE auth.refresh_tokens SET expires_at = ? WHERE user_id = ?`, e.clock.Now().Add(-time.Second), u.User.ID).Error)
	j := janitor.New(janitor.Options{DB: e.db(), Now: e.clock.Now, Interval: 20 * time.Millisecond})
	stop := j.Start(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for e.liveSessions(u.User.ID) != 0 {
		require.True(t, time.Now().Before(deadline), "the background janitor never purged")
		time.Sleep(10 * time.Millisecond) // polling for a background goroutine, not for time behaviour
	}
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stop did not return")
	}
}

// 100 sign-ups of one email at once: exactly one account, the others 409.
func TestSignUpSameEmailConcurrently(t *testing.T) {
	e := newEnv(t, nil)
	addr := email(t)
	results := concurrently(100, func(i int) *response {
		// Case differs per caller: email is citext, so these are one address.
		a := addr
		if i%2 == 1 {
			a = strings.ToUpper(addr[:1]) + addr[1:]
		}
		return e.do("POST", "/v1/signup/email-password", map[string]any{"email": a, "password": password})
	})
	ok := 0
	for _, r := range results {
		if r.Status == 200 {
			ok++
			continue
		}
		var body struct{ Error string }
		require.NoError(t, json.Unmarshal(r.Body, &body))
		require.Equal(t, "409 email-already-in-use", fmt.Sprint(r.Status, " ", body.Error))
	}
	require.Equal(t, 1, ok, "exactly one sign-up wins")
	var users, roles, sessions int64
	require.NoError(t, e.db().Raw(`SELECT count(*) FROM auth.users WHERE email = ?`, addr).Scan(&users).Error)
	require.NoError(t, e.db().Raw(`SELECT count(*) FROM auth.user_roles r JOIN auth.users u ON u.id = r.user_id WHERE u.email = ?`, addr).Scan(&roles).Error)
	require.NoError(t, e.db().Raw(`SELECT count(*) FROM auth.refresh_tokens r JOIN auth.users u ON u.id = r.user_id WHERE u.email = ?`, addr).Scan(&sessions).Error)
	require.Equal(t, int64(1), users)
	require.Equal(t, int64(len(e.srv.Config.DefaultAllowedRoles)), roles, "the losers left no role rows")
	require.Equal(t, int64(1), sessions, "the losers left no sessions")
}

// Two server instances on one database, one refresh token presented 50
// times to each at once: every caller gets 200 and the same new token.
func TestRefreshRaceAcrossInstances(t *testing.T) {
	a := newEnv(t, nil)
	b := secondInstance(t, a)
	s0 := a.signUp(email(t), nil)
	results := refreshConcurrently([]*env{a, b}, s0.RefreshToken, 2*50)
	tokens := map[string]int{}
	for _, r := range results {
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var s sessionBody
		r.decode(t, &s)
		require.Equal(t, s0.RefreshTokenID, s.RefreshTokenID)
		tokens[s.RefreshToken]++
		// Either instance's access token is good on the other.
		require.Equal(t, 200, a.getUserStatus(s.AccessToken))
		require.Equal(t, 200, b.getUserStatus(s.AccessToken))
	}
	require.Len(t, tokens, 1, "every caller on both instances gets one and the same new token")
	require.Equal(t, int64(1), a.liveSessions(s0.User.ID))
	for tok := range tokens {
		require.NotEqual(t, s0.RefreshToken, tok)
		b.mustRefresh(tok)
	}
}

// BenchmarkSessionsEpochCheck measures what the sessions epoch adds to each
// Bearer request (one primary-key lookup), next to a whole POST /token/verify.
// Run: go test ./handlers -run '^$' -bench SessionsEpoch
func BenchmarkSessionsEpochCheck(b *testing.B) {
	e := newEnv(b, nil)
	s := e.signUp(email(b), nil)
	v, err := e.srv.Tokens.Verify(s.AccessToken)
	require.NoError(b, err)
	ctx := context.Background()
	b.Run("signature-only", func(b *testing.B) {
		for range b.N {
			if _, err := e.srv.Tokens.Verify(s.AccessToken); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("epoch-lookup", func(b *testing.B) {
		for range b.N {
			if err := e.srv.Sessions.CheckAccess(ctx, v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("POST-token-verify", func(b *testing.B) {
		for range b.N {
			if r := e.do("POST", "/v1/token/verify", map[string]any{"token": s.AccessToken}); r.Status != 200 {
				b.Fatalf("%d %s", r.Status, r.Body)
			}
		}
	})
}

// Instance B answers Bearer checks from its epoch cache; a sign-out of all
// sessions on instance A reaches it through NOTIFY without a restart or TTL.
func TestSignOutAllReachesOtherInstancesCache(t *testing.T) {
	a := newEnv(t, nil)
	b := secondInstance(t, a)
	s := a.signUp(email(t), nil)
	b.requireAccess(s.AccessToken, 200) // now cached on b
	a.clock.Advance(time.Second)
	require.Equal(t, 200, a.do("POST", "/v1/signout", map[string]any{"all": true}, bearer(s.AccessToken)).Status)
	deadline := time.Now().Add(5 * time.Second)
	for b.getUserStatus(s.AccessToken) != 401 {
		require.True(t, time.Now().Before(deadline), "instance b still accepts the revoked token")
		time.Sleep(10 * time.Millisecond)
	}
	b.requireAccess(s.AccessToken, 401)
}
