package webauthn_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/testsupport"
	"github.com/hasura-auth-go/auth/webauthn"
	"github.com/hasura-auth-go/auth/webauthn/webauthntest"
)

const (
	testOrigin = "https://app.example.com"
	testRPID   = "example.com"
)

// env is a migrated throwaway database, a clock, a service and the relying
// party a software authenticator talks to.
type env struct {
	t     testing.TB
	ctx   context.Context
	db    *gorm.DB
	clock *testsupport.Clock
	svc   *webauthn.Service
	rp    virtualwebauthn.RelyingParty
}

func testConfig() webauthn.Config {
	c := webauthn.DefaultConfig()
	c.Enabled = true
	c.RPID = testRPID
	c.RPName = "Example"
	c.ClientURL = testOrigin
	return c
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	db := testsupport.MigratedDB(t)
	clock := testsupport.NewClock()
	svc, err := webauthn.New(testConfig(), clock.Now)
	require.NoError(t, err)
	return &env{t: t, ctx: ctx, db: db, clock: clock, svc: svc,
		rp: virtualwebauthn.RelyingParty{ID: testRPID, Name: "Example", Origin: testOrigin}}
}

// device is a software authenticator holding one credential.
type device struct {
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

func newDevice() *device {
	d := &device{auth: virtualwebauthn.NewAuthenticator(), cred: newCredential()}
	d.auth.AddCredential(d.cred)
	return d
}

func newCredential() virtualwebauthn.Credential { return webauthntest.NewCredential() }

// create answers creation options as a browser with this device would:
// the user handle the device keeps is user.id read as base64url.
func (d *device) create(t testing.TB, rp virtualwebauthn.RelyingParty, opts *protocol.PublicKeyCredentialCreationOptions) []byte {
	t.Helper()
	raw, err := json.Marshal(opts)
	require.NoError(t, err)
	cred, err := webauthntest.Create(rp, &d.auth, d.cred, raw)
	require.NoError(t, err)
	return cred
}

// get answers request options with the device's credential.
func (d *device) get(t testing.TB, rp virtualwebauthn.RelyingParty, opts *protocol.PublicKeyCredentialRequestOptions) []byte {
	t.Helper()
	raw, err := json.Marshal(opts)
	require.NoError(t, err)
	cred, err := webauthntest.Get(rp, d.auth, d.cred, raw)
	require.NoError(t, err)
	return cred
}

// signUp runs a whole sign-up as the routes will: finish, create the user
// and store the key in one transaction.
func (e *env) signUp(email string, d *device) uuid.UUID {
	e.t.Helper()
	opts, err := e.svc.BeginSignUp(e.ctx, e.db, webauthn.SignUpRequest{Email: email})
	require.NoError(e.t, err)
	cred := d.create(e.t, e.rp, opts)
	var id uuid.UUID
	require.NoError(e.t, e.db.Transaction(func(tx *gorm.DB) error {
		su, err := e.svc.FinishSignUp(e.ctx, tx, cred, "")
		if err != nil {
			return err
		}
		id = su.UserID
		if err := createUser(tx, su); err != nil {
			return err
		}
		_, err = e.svc.StoreSignUpKey(e.ctx, tx, su)
		return err
	}))
	return id
}

func createUser(tx *gorm.DB, su *webauthn.SignUp) error {
	email := su.Email
	return models.CreateUser(tx, &models.User{ID: su.UserID, Email: &email, DisplayName: su.DisplayName,
		Locale: "en", DefaultRole: "user", Metadata: models.JSONMap{}}, []string{"user", "me"})
}

// count runs a count(*) query.
func (e *env) count(query string, args ...any) int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.db.Raw(query, args...).Scan(&n).Error)
	return n
}

// state is what a failed ceremony must leave as it was.
type state struct {
	Users, Keys, Details, Consumed int64
	Counters                       string
}

func (e *env) state() state {
	e.t.Helper()
	var s state
	require.NoError(e.t, e.db.Raw(`SELECT
  (SELECT count(*) FROM auth.users) AS users,
  (SELECT count(*) FROM auth.user_security_keys) AS keys,
  (SELECT count(*) FROM auth.webauthn_key_details) AS details,
  (SELECT count(*) FROM auth.webauthn_challenges WHERE consumed_at IS NOT NULL) AS consumed,
  (SELECT coalesce(string_agg(credential_id || '=' || counter, ',' ORDER BY credential_id), '') FROM auth.user_security_keys) AS counters`).
		Scan(&s).Error)
	return s
}

func (e *env) advance(d time.Duration) { e.clock.Advance(d) }
