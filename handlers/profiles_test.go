package handlers_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// waitForNotifications waits until the instance's LISTEN connection has
// proved itself, so that its caches answer.
func (e *env) waitForNotifications() {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !e.srv.Sessions.NotificationsLive() {
		require.True(e.t, time.Now().Before(deadline), "the LISTEN connection never came up")
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) getUser(access string) userBody {
	e.t.Helper()
	r := e.do("GET", "/v1/user", nil, bearer(access))
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var u userBody
	r.decode(e.t, &u)
	return u
}

// eventually polls GET /user until ok holds, for at most 5 s.
func (e *env) eventually(access string, ok func(userBody) bool, what string) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok(e.getUser(access)) {
		require.True(e.t, time.Now().Before(deadline), "GET /user never showed %s", what)
		time.Sleep(10 * time.Millisecond)
	}
}

var userNotifyTriggers = [][2]string{
	{"auth.users", "notify_user_changed"},
	{"auth.user_roles", "notify_user_roles_inserted"},
	{"auth.user_roles", "notify_user_roles_updated"},
	{"auth.user_roles", "notify_user_roles_deleted"},
}

// silenceUserNotifications turns off migration 0009's triggers, so that only
// what this instance does itself can refresh its cache; the returned
// function (also run at the end of the test) turns them on again.
func (e *env) silenceUserNotifications() (restore func()) {
	e.t.Helper()
	set := func(op string) {
		for _, tr := range userNotifyTriggers {
			require.NoError(e.t, e.db().Exec("ALTER TABLE "+tr[0]+" "+op+" TRIGGER "+tr[1]).Error)
		}
	}
	set("DISABLE")
	done := false
	restore = func() {
		if !done {
			done = true
			set("ENABLE")
		}
	}
	e.t.Cleanup(restore)
	return restore
}

// GET /user answers from the instance's cache, and a change written by
// anything else (SQL here, as Hasura would write it) reaches the cache by
// notification: the user's row, then roles added and removed.
func TestGetUserCacheFollowsChangesMadeElsewhere(t *testing.T) {
	e := newEnv(t, nil)
	e.waitForNotifications()
	s := e.signUp(email(t), map[string]any{"displayName": "Before"})
	require.Equal(t, "Before", e.getUser(s.AccessToken).DisplayName)

	// Proof that the answer is cached: a change nobody announces is not seen.
	restore := e.silenceUserNotifications()
	require.NoError(t, e.db().Exec(`UPDATE auth.users SET display_name = 'Unannounced' WHERE id = ?`, s.User.ID).Error)
	for range 3 {
		require.Equal(t, "Before", e.getUser(s.AccessToken).DisplayName, "served from the cache")
	}
	restore()

	require.NoError(t, e.db().Exec(`UPDATE auth.users SET display_name = 'Announced' WHERE id = ?`, s.User.ID).Error)
	e.eventually(s.AccessToken, func(u userBody) bool { return u.DisplayName == "Announced" }, "the new display name")

	require.NoError(t, e.db().Exec(`INSERT INTO auth.roles (role) VALUES ('reviewer') ON CONFLICT DO NOTHING`).Error)
	require.NoError(t, e.db().Exec(`INSERT INTO auth.user_roles (user_id, role) VALUES (?, 'reviewer')`, s.User.ID).Error)
	e.eventually(s.AccessToken, func(u userBody) bool { return slices.Contains(u.Roles, "reviewer") }, "the added role")
	require.NoError(t, e.db().Exec(`INSERT INTO auth.roles (role) VALUES ('approver') ON CONFLICT DO NOTHING`).Error)
	require.NoError(t, e.db().Exec(`UPDATE auth.user_roles SET role = 'approver' WHERE user_id = ? AND role = 'reviewer'`, s.User.ID).Error)
	e.eventually(s.AccessToken, func(u userBody) bool {
		return slices.Contains(u.Roles, "approver") && !slices.Contains(u.Roles, "reviewer")
	}, "the role renamed")
	require.NoError(t, e.db().Exec(`DELETE FROM auth.user_roles WHERE user_id = ? AND role = 'approver'`, s.User.ID).Error)
	e.eventually(s.AccessToken, func(u userBody) bool { return !slices.Contains(u.Roles, "approver") }, "the role removed")
}

// A change made through this instance is in its very next GET /user answer,
// without waiting for a notification (here none comes at all).
func TestGetUserSeesThisInstancesChangesAtOnce(t *testing.T) {
	e := opsEnv(t, nil)
	e.waitForNotifications()
	s := e.signUp(email(t), nil)
	require.Equal(t, "user", e.getUser(s.AccessToken).DefaultRole)
	e.silenceUserNotifications()

	r := e.do("PUT", "/v1/admin/users/"+s.User.ID+"/roles", map[string]any{"defaultRole": "editor", "roles": []string{"editor"}}, opsAdmin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	u := e.getUser(s.AccessToken)
	require.Equal(t, "editor", u.DefaultRole)
	require.Equal(t, []string{"editor"}, u.Roles)
}

// When the LISTEN connection drops, the cache is dropped with it (and again
// when a new connection proves itself): a change nobody announces, made
// meanwhile, is read from the database.
func TestGetUserWithoutNotificationsReadsTheDatabase(t *testing.T) {
	e := newEnv(t, nil)
	e.waitForNotifications()
	s := e.signUp(email(t), map[string]any{"displayName": "Before"})
	require.Equal(t, "Before", e.getUser(s.AccessToken).DisplayName)
	require.NoError(t, e.db().Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`).Error)
	deadline := time.Now().Add(5 * time.Second)
	for e.srv.Sessions.NotificationsLive() {
		require.True(t, time.Now().Before(deadline), "the instance did not notice its LISTEN connection was cut")
		time.Sleep(5 * time.Millisecond)
	}
	e.silenceUserNotifications()
	require.NoError(t, e.db().Exec(`UPDATE auth.users SET display_name = 'After' WHERE id = ?`, s.User.ID).Error)
	require.Equal(t, "After", e.getUser(s.AccessToken).DisplayName)
}

// The hot paths that create users or sessions announce nothing: a NOTIFY
// would serialise their commits on the notification queue's lock.
func TestHotPathsSendNoUserNotifications(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.srv.Config.ListenDatabaseURL()) // LISTEN goes past a pooler
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "LISTEN auth_sessions_epoch")
	require.NoError(t, err)

	var anon struct{ Session sessionBody }
	r := e.do("POST", "/v1/signin/anonymous", nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r.decode(t, &anon)
	require.NotEmpty(t, anon.Session.User.ID)
	signedUp := e.signUp(email(t), nil)
	refreshed := e.mustRefresh(signedUp.RefreshToken)
	e.mustRefresh(refreshed.RefreshToken)

	// Notifications arrive in commit order: once the marker is here, any
	// notification of the requests above would have been too.
	marker := "marker:" + uuid.NewString()
	require.NoError(t, e.db().Exec(`SELECT pg_notify('auth_sessions_epoch', ?)`, marker).Error)
	for {
		wait, cancel := context.WithTimeout(ctx, 5*time.Second)
		n, err := conn.WaitForNotification(wait)
		cancel()
		require.NoError(t, err)
		if n.Payload == marker {
			break
		}
		require.NotContains(t, []string{anon.Session.User.ID, signedUp.User.ID}, n.Payload, "a hot path sent a notification")
	}

	// The other way round: roles given to an existing user are announced.
	require.NoError(t, e.db().Exec(`DELETE FROM auth.user_roles WHERE user_id = ? AND role = 'me'`, signedUp.User.ID).Error)
	require.NoError(t, e.db().Exec(`INSERT INTO auth.user_roles (user_id, role) VALUES (?, 'me')`, signedUp.User.ID).Error)
	for seen := 0; seen < 2; {
		wait, cancel := context.WithTimeout(ctx, 5*time.Second)
		n, err := conn.WaitForNotification(wait)
		cancel()
		require.NoError(t, err)
		if n.Payload == signedUp.User.ID {
			seen++
		}
	}
}

// Requests to no route write nothing and leave the cache as it is.
func TestUnknownRoutesKeepTheProfileCache(t *testing.T) {
	e := newEnv(t, nil)
	e.waitForNotifications()
	s := e.signUp(email(t), map[string]any{"displayName": "Before"})
	require.Equal(t, "Before", e.getUser(s.AccessToken).DisplayName)
	e.silenceUserNotifications()
	require.NoError(t, e.db().Exec(`UPDATE auth.users SET display_name = 'Unannounced' WHERE id = ?`, s.User.ID).Error)
	require.Equal(t, 404, e.do("POST", "/v1/no/such/route", map[string]any{}).Status)
	require.Equal(t, "Before", e.getUser(s.AccessToken).DisplayName, "still cached")
	// A route that may write empties it.
	require.Equal(t, 401, e.do("POST", "/v1/user/mfa", map[string]any{"code": "1", "activeMfaType": "totp"}).Status)
	require.Equal(t, "Unannounced", e.getUser(s.AccessToken).DisplayName)
}
