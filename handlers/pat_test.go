package handlers_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/session"
)

type patBody struct {
	ID                  string `json:"id"`
	PersonalAccessToken string `json:"personalAccessToken"`
}

func (e *env) createPAT(access string, expiresAt time.Time, metadata map[string]any) *response {
	e.t.Helper()
	body := map[string]any{"expiresAt": expiresAt.Format(time.RFC3339)}
	if metadata != nil {
		body["metadata"] = metadata
	}
	return e.do("POST", "/v1/pat", body, bearer(access))
}

func (e *env) mustCreatePAT(access string, expiresAt time.Time, metadata map[string]any) patBody {
	e.t.Helper()
	r := e.createPAT(access, expiresAt, metadata)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	contract(e.t, "/pat", "post", r)
	var p patBody
	r.decode(e.t, &p)
	return p
}

func (e *env) signInPAT(pat string) *response {
	e.t.Helper()
	r := e.do("POST", "/v1/signin/pat", map[string]any{"personalAccessToken": pat})
	contract(e.t, "/signin/pat", "post", r)
	return r
}

func (e *env) mustSignInPAT(pat string) sessionBody {
	e.t.Helper()
	r := e.signInPAT(pat)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var p struct{ Session *sessionBody }
	r.decode(e.t, &p)
	require.NotNil(e.t, p.Session)
	return *p.Session
}

func (e *env) listPATs(access string) []map[string]any {
	e.t.Helper()
	r := e.do("GET", "/v1/pat", nil, bearer(access))
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var out []map[string]any
	r.decode(e.t, &out)
	return out
}

func TestPATCreateAndSignIn(t *testing.T) {
	e := newEnv(t, nil)
	up := e.signUp(email(t), nil)
	expires := e.clock.Now().Add(90 * 24 * time.Hour)
	p := e.mustCreatePAT(up.AccessToken, expires, map[string]any{"name": "ci", "used-by": "deploy"})
	require.NoError(t, uuid.Validate(p.ID))
	require.NoError(t, uuid.Validate(p.PersonalAccessToken))

	// Stored as a pat row holding only the token's hash.
	var row models.RefreshToken
	require.NoError(t, e.db().Where("id = ?", p.ID).Take(&row).Error)
	require.Equal(t, "pat", row.Type)
	require.Equal(t, session.HashToken(p.PersonalAccessToken), row.RefreshTokenHash)
	require.Equal(t, up.User.ID, row.UserID.String())
	require.WithinDuration(t, expires, row.ExpiresAt, time.Second)
	require.Equal(t, "ci", row.Metadata["name"])

	// Signing in with it gives a regular session, usable at /token.
	s := e.mustSignInPAT(p.PersonalAccessToken)
	require.Equal(t, up.User.ID, s.User.ID)
	require.NotEqual(t, p.ID, s.RefreshTokenID)
	c := e.hasuraClaims(s.AccessToken)
	require.Equal(t, up.User.ID, c.SessionVariables["x-hasura-user-id"])
	require.NotContains(t, c.SessionVariables, "x-hasura-auth-elevated", "a PAT does not elevate")
	e.clock.Advance(time.Minute)
	s2 := e.mustRefresh(s.RefreshToken)
	require.Equal(t, s.RefreshTokenID, s2.RefreshTokenID)

	// The PAT is reusable and is not rotated by use.
	e.mustSignInPAT(p.PersonalAccessToken)
	var again models.RefreshToken
	require.NoError(t, e.db().Where("id = ?", p.ID).Take(&again).Error)
	require.Equal(t, row.RefreshTokenHash, again.RefreshTokenHash)
}

func TestPATRefusedAtTokenAndRegularRefusedAtSignInPAT(t *testing.T) {
	e := newEnv(t, nil)
	up := e.signUp(email(t), nil)
	p := e.mustCreatePAT(up.AccessToken, e.clock.Now().Add(time.Hour), nil)

	r := e.refresh(p.PersonalAccessToken)
	require.Equal(t, 401, r.Status)
	require.Equal(t, "invalid-refresh-token", r.errorCode(t))
	contract(t, "/token", "post", r)
	e.mustSignInPAT(p.PersonalAccessToken) // still valid: /token did not revoke it

	r = e.signInPAT(up.RefreshToken)
	require.Equal(t, 401, r.Status)
	require.Equal(t, "invalid-pat", r.errorCode(t))
	e.mustRefresh(up.RefreshToken) // nor did /signin/pat touch the session

	// /signout with a PAT as refreshToken does not delete it.
	r = e.do("POST", "/v1/signout", map[string]any{"refreshToken": p.PersonalAccessToken})
	require.Equal(t, 200, r.Status)
	e.mustSignInPAT(p.PersonalAccessToken)
}

func TestPATExpiry(t *testing.T) {
	e := newEnv(t, nil)
	up := e.signUp(email(t), nil)
	p := e.mustCreatePAT(up.AccessToken, e.clock.Now().Add(time.Hour), nil)

	// A session started with the PAT ends with it, whatever the refresh lifetime.
	s := e.mustSignInPAT(p.PersonalAccessToken)
	var rt models.RefreshToken
	require.NoError(t, e.db().Where("id = ?", s.RefreshTokenID).Take(&rt).Error)
	require.WithinDuration(t, e.clock.Now().Add(time.Hour), rt.ExpiresAt, time.Second)
	e.clock.Advance(30 * time.Minute)
	s = e.mustRefresh(s.RefreshToken)
	require.NoError(t, e.db().Where("id = ?", s.RefreshTokenID).Take(&rt).Error)
	require.WithinDuration(t, e.clock.Now().Add(30*time.Minute), rt.ExpiresAt, time.Second, "refresh does not slide past the PAT")

	e.clock.Advance(30 * time.Minute)
	r := e.signInPAT(p.PersonalAccessToken)
	require.Equal(t, 401, r.Status)
	require.Equal(t, "invalid-pat", r.errorCode(t))
	r = e.refresh(s.RefreshToken)
	require.Equal(t, 401, r.Status)
	require.Equal(t, "invalid-refresh-token", r.errorCode(t))
}

func TestPATListAndRevoke(t *testing.T) {
	e := newEnv(t, nil)
	up := e.signUp(email(t), nil)
	other := e.signUp(email(t), nil)
	exp := e.clock.Now().Add(24 * time.Hour).UTC()
	p1 := e.mustCreatePAT(up.AccessToken, exp, map[string]any{"name": "one"})
	e.clock.Advance(time.Second)
	p2 := e.mustCreatePAT(up.AccessToken, exp, nil)
	e.mustCreatePAT(other.AccessToken, exp, nil)

	list := e.listPATs(up.AccessToken)
	require.Len(t, list, 2)
	require.Equal(t, p2.ID, list[0]["id"], "newest first")
	require.Equal(t, p1.ID, list[1]["id"])
	require.Equal(t, map[string]any{"name": "one"}, list[1]["metadata"])
	require.Equal(t, map[string]any{}, list[0]["metadata"])
	require.Equal(t, exp.Format(time.RFC3339), list[1]["expiresAt"])
	require.ElementsMatch(t, []string{"id", "createdAt", "expiresAt", "metadata"}, keys(list[0]), "never the token or its hash")
	require.Len(t, e.listPATs(other.AccessToken), 1)

	// Someone else's PAT cannot be revoked, and looks like none.
	r := e.do("DELETE", "/v1/pat/"+p1.ID, nil, bearer(other.AccessToken))
	require.Equal(t, 400, r.Status, "%s", r.Body)
	require.Equal(t, "invalid-request", r.errorCode(t))
	e.mustSignInPAT(p1.PersonalAccessToken)

	// Revoking ends the PAT and every session started with it.
	derived := e.mustSignInPAT(p1.PersonalAccessToken)
	r = e.do("DELETE", "/v1/pat/"+p1.ID, nil, bearer(up.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, `"OK"`, string(r.Body))
	require.Equal(t, "invalid-pat", e.signInPAT(p1.PersonalAccessToken).errorCode(t))
	require.Equal(t, "invalid-refresh-token", e.refresh(derived.RefreshToken).errorCode(t))
	e.mustRefresh(up.RefreshToken) // the user's own session stays
	e.mustSignInPAT(p2.PersonalAccessToken)
	require.Len(t, e.listPATs(up.AccessToken), 1)

	r = e.do("DELETE", "/v1/pat/"+p1.ID, nil, bearer(up.AccessToken))
	require.Equal(t, "invalid-request", r.errorCode(t), "already revoked")

	// Browsers may revoke cross-origin.
	r = e.do("OPTIONS", "/v1/pat/"+p2.ID, nil, header{"Origin", "https://app.example.com"}, header{"Access-Control-Request-Method", "DELETE"})
	require.Equal(t, 204, r.Status)
	require.Contains(t, r.Header.Get("Access-Control-Allow-Methods"), "DELETE")
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPATSignOutAllRemovesPATs(t *testing.T) {
	e := newEnv(t, nil)
	up := e.signUp(email(t), nil)
	p := e.mustCreatePAT(up.AccessToken, e.clock.Now().Add(time.Hour), nil)
	e.mustSignInPAT(p.PersonalAccessToken)

	r := e.do("POST", "/v1/signout", map[string]any{"all": true}, bearer(up.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, "invalid-pat", e.signInPAT(p.PersonalAccessToken).errorCode(t))
	require.Equal(t, int64(0), e.liveSessions(up.User.ID))
	require.Empty(t, e.listPATs(up.AccessToken))
}

func TestPATErrors(t *testing.T) {
	e := newEnv(t, nil)
	up := e.signUp(email(t), nil)
	anon := e.anonymous()
	disabledUser := e.signUp(email(t), nil)
	disabledPAT := e.mustCreatePAT(disabledUser.AccessToken, e.clock.Now().Add(time.Hour), nil)
	require.NoError(t, e.db().Model(&models.User{}).Where("id = ?", disabledUser.User.ID).Update("disabled", true).Error)
	future := e.clock.Now().Add(time.Hour).Format(time.RFC3339)
	auth := []header{bearer(up.AccessToken)}

	cases := []struct {
		name         string
		method, path string
		body         any
		headers      []header
		status       int
		code         string
	}{
		{"create: no bearer", "POST", "/pat", map[string]any{"expiresAt": future}, nil, 401, "unauthorized"},
		{"create: bad bearer", "POST", "/pat", map[string]any{"expiresAt": future}, []header{bearer("nope")}, 401, "unauthorized"},
		{"create: missing expiresAt", "POST", "/pat", map[string]any{"metadata": map[string]any{}}, auth, 400, "invalid-request"},
		{"create: expiresAt not a date", "POST", "/pat", map[string]any{"expiresAt": "tomorrow"}, auth, 400, "invalid-request"},
		{"create: expiresAt in the past", "POST", "/pat", map[string]any{"expiresAt": e.clock.Now().Add(-time.Second).Format(time.RFC3339)}, auth, 400, "invalid-request"},
		{"create: expiresAt now", "POST", "/pat", map[string]any{"expiresAt": e.clock.Now().Format(time.RFC3339)}, auth, 400, "invalid-request"},
		{"create: metadata not an object", "POST", "/pat", map[string]any{"expiresAt": future, "metadata": []string{"x"}}, auth, 400, "invalid-request"},
		{"create: unknown field", "POST", "/pat", map[string]any{"expiresAt": future, "name": "x"}, auth, 400, "invalid-request"},
		{"create: anonymous", "POST", "/pat", map[string]any{"expiresAt": future}, []header{bearer(anon.AccessToken)}, 403, "forbidden-anonymous"},
		{"create: disabled user", "POST", "/pat", map[string]any{"expiresAt": future}, []header{bearer(disabledUser.AccessToken)}, 401, "disabled-user"},

		{"signin: missing token", "POST", "/signin/pat", map[string]any{}, nil, 400, "invalid-request"},
		{"signin: not a uuid", "POST", "/signin/pat", map[string]any{"personalAccessToken": "nope"}, nil, 401, "invalid-pat"},
		{"signin: unknown", "POST", "/signin/pat", map[string]any{"personalAccessToken": uuid.NewString()}, nil, 401, "invalid-pat"},
		{"signin: hash instead of token", "POST", "/signin/pat", map[string]any{"personalAccessToken": session.HashToken(disabledPAT.PersonalAccessToken)}, nil, 401, "invalid-pat"},
		{"signin: disabled user", "POST", "/signin/pat", map[string]any{"personalAccessToken": disabledPAT.PersonalAccessToken}, nil, 401, "disabled-user"},
		{"signin: malformed", "POST", "/signin/pat", `{"personalAccessToken":`, nil, 400, "invalid-request"},

		{"list: no bearer", "GET", "/pat", nil, nil, 401, "unauthorized"},
		{"revoke: no bearer", "DELETE", "/pat/" + disabledPAT.ID, nil, nil, 401, "unauthorized"},
		{"revoke: not a uuid", "DELETE", "/pat/nope", nil, auth, 400, "invalid-request"},
		{"revoke: unknown", "DELETE", "/pat/" + uuid.NewString(), nil, auth, 400, "invalid-request"},
	}
	var before int64
	require.NoError(t, e.db().Model(&models.RefreshToken{}).Count(&before).Error)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, "/v1"+c.path, c.body, c.headers...)
			require.Equal(t, c.status, r.Status, "%s", r.Body)
			require.Equal(t, c.code, r.errorCode(t))
			if c.method == "POST" { // GET /pat and DELETE /pat/{id} are ours, not the contract's
				contract(t, c.path, "post", r)
			}
		})
	}
	var after int64
	require.NoError(t, e.db().Model(&models.RefreshToken{}).Count(&after).Error)
	require.Equal(t, before, after, "no error path wrote a token")
}
