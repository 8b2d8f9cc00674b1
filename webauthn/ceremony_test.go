package webauthn_test

import (
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/webauthn"
)

func TestSignUpOptionsAsHasuraAuth(t *testing.T) {
	e := newEnv(t)
	opts, err := e.svc.BeginSignUp(e.ctx, e.db, webauthn.SignUpRequest{
		Email: "ada@example.com", DisplayName: "Ada", Options: json.RawMessage(`{"locale":"fr"}`)})
	require.NoError(t, err)

	raw, err := json.Marshal(opts)
	require.NoError(t, err)
	var got struct {
		RP   struct{ ID, Name string }
		User struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			DisplayName string `json:"displayName"`
		}
		Challenge              string
		PubKeyCredParams       []map[string]any
		Timeout                int
		Attestation            string
		AuthenticatorSelection map[string]any
		ExcludeCredentials     []any
	}
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Equal(t, testRPID, got.RP.ID)
	require.Equal(t, "Example", got.RP.Name)
	// user.id is the new user's id as text, as hasura-auth sends it; read as
	// base64url it is the handle the authenticator keeps.
	id, err := uuid.Parse(got.User.ID)
	require.NoError(t, err, "user.id %q", got.User.ID)
	require.Equal(t, "ada@example.com", got.User.Name)
	require.Equal(t, "Ada", got.User.DisplayName)
	ch, err := base64.RawURLEncoding.DecodeString(got.Challenge)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(ch), 16)
	require.NotEmpty(t, got.PubKeyCredParams)
	require.Equal(t, 60000, got.Timeout)
	require.Equal(t, "indirect", got.Attestation)
	require.Equal(t, map[string]any{"requireResidentKey": false, "residentKey": "preferred", "userVerification": "preferred"}, got.AuthenticatorSelection)
	require.Empty(t, got.ExcludeCredentials)

	// Nothing but the challenge is written before the verify step.
	require.EqualValues(t, 0, e.count(`SELECT count(*) FROM auth.users`))
	require.EqualValues(t, 1, e.count(`SELECT count(*) FROM auth.webauthn_challenges WHERE ceremony = 'sign-up' AND user_id IS NULL
		AND sign_up->>'userId' = ? AND sign_up->>'email' = 'ada@example.com' AND sign_up->'options'->>'locale' = 'fr'`, id.String()))
}

func TestSignUpStoresTheKeyAsHasuraAuth(t *testing.T) {
	e := newEnv(t)
	d := newDevice()
	opts, err := e.svc.BeginSignUp(e.ctx, e.db, webauthn.SignUpRequest{Email: "ada@example.com", Options: json.RawMessage(`{"displayName":"Ada","locale":"fr"}`)})
	require.NoError(t, err)
	cred := d.create(t, e.rp, opts)

	var su *webauthn.SignUp
	var key *webauthn.Key
	require.NoError(t, e.db.Transaction(func(tx *gorm.DB) error {
		if su, err = e.svc.FinishSignUp(e.ctx, tx, cred, "  Laptop  "); err != nil {
			return err
		}
		if err := createUser(tx, su); err != nil {
			return err
		}
		key, err = e.svc.StoreSignUpKey(e.ctx, tx, su)
		return err
	}))
	require.Equal(t, "ada@example.com", su.Email)
	require.Equal(t, "ada@example.com", su.DisplayName)
	require.JSONEq(t, `{"displayName":"Ada","locale":"fr"}`, string(su.Options))
	require.Equal(t, "Laptop", su.Nickname)
	require.Equal(t, uuid.MustParse(opts.User.ID.(protocol.URLEncodedBase64).String()), su.UserID)

	var row struct {
		UserID              uuid.UUID
		CredentialID        string
		CredentialPublicKey []byte
		Counter             int64
		Transports          string
		Nickname            *string
	}
	require.NoError(t, e.db.Raw(`SELECT user_id, credential_id, credential_public_key, counter, transports, nickname
		FROM auth.user_security_keys`).Scan(&row).Error)
	require.Equal(t, su.UserID, row.UserID)
	require.Equal(t, base64.RawURLEncoding.EncodeToString(d.cred.ID), row.CredentialID, "unpadded base64url, as hasura-auth")
	require.Equal(t, d.cred.Key.AttestationData(), row.CredentialPublicKey, "the COSE key, as hasura-auth")
	require.EqualValues(t, 0, row.Counter)
	require.Equal(t, "", row.Transports)
	require.Equal(t, "Laptop", *row.Nickname)
	require.Equal(t, key.CredentialID, row.CredentialID)
	require.NotNil(t, key.CreatedAt)
	require.Equal(t, false, *key.Synced)
	require.EqualValues(t, 1, e.count(`SELECT count(*) FROM auth.webauthn_challenges WHERE consumed_at IS NOT NULL`))
}

func TestSignInByEmail(t *testing.T) {
	e := newEnv(t)
	d := newDevice()
	id := e.signUp("ada@example.com", d)

	opts, u, err := e.svc.BeginSignIn(e.ctx, e.db, "ADA@example.com")
	require.NoError(t, err)
	require.Equal(t, id, u.ID)
	require.Len(t, opts.AllowedCredentials, 1)
	require.Equal(t, d.cred.ID, []byte(opts.AllowedCredentials[0].CredentialID))
	require.Equal(t, testRPID, opts.RelyingPartyID)
	require.Equal(t, protocol.VerificationPreferred, opts.UserVerification)
	require.Equal(t, 60000, opts.Timeout)

	d.cred.Counter = 7
	in, err := e.svc.FinishSignIn(e.ctx, e.db, d.get(t, e.rp, opts))
	require.NoError(t, err)
	require.Equal(t, id, in.User.ID)
	require.ElementsMatch(t, []string{"user", "me"}, in.User.RoleNames())
	require.NotNil(t, in.Key.LastUsedAt)
	require.EqualValues(t, 7, e.count(`SELECT counter FROM auth.user_security_keys`))

	_, _, err = e.svc.BeginSignIn(e.ctx, e.db, "nobody@example.com")
	require.ErrorIs(t, err, webauthn.ErrUserNotFound)
}

func TestDiscoverableSignIn(t *testing.T) {
	e := newEnv(t)
	d := newDevice()
	id := e.signUp("ada@example.com", d)
	e.signUp("bob@example.com", newDevice())

	opts, u, err := e.svc.BeginSignIn(e.ctx, e.db, "")
	require.NoError(t, err)
	require.Nil(t, u)
	require.Empty(t, opts.AllowedCredentials, "any passkey of the RP may answer")
	require.EqualValues(t, 1, e.count(`SELECT count(*) FROM auth.webauthn_challenges WHERE ceremony = 'sign-in' AND user_id IS NULL`))

	in, err := e.svc.FinishSignIn(e.ctx, e.db, d.get(t, e.rp, opts))
	require.NoError(t, err)
	require.Equal(t, id, in.User.ID, "the user handle named the user")
}

func TestAddListRenameRemoveKeys(t *testing.T) {
	e := newEnv(t)
	first := newDevice()
	id := e.signUp("ada@example.com", first)
	e.advance(time.Minute)

	opts, err := e.svc.BeginAddKey(e.ctx, e.db, id)
	require.NoError(t, err)
	require.Len(t, opts.CredentialExcludeList, 1, "the key the user has is excluded")
	require.Equal(t, first.cred.ID, []byte(opts.CredentialExcludeList[0].CredentialID))
	require.Equal(t, "ada@example.com", opts.User.Name)
	require.Equal(t, base64.RawURLEncoding.EncodeToString(webauthn.UserHandle(id)), opts.User.ID.(protocol.URLEncodedBase64).String(),
		"every key of a user carries one handle")

	second := newDevice()
	second.auth.Options.BackupEligible, second.auth.Options.BackupState = true, true
	cred := withTransports(t, second.create(t, e.rp, opts), "usb", "nfc", "USB", "bad value")
	key, err := e.svc.FinishAddKey(e.ctx, e.db, id, cred, "YubiKey")
	require.NoError(t, err)
	require.Equal(t, "YubiKey", key.Nickname)
	require.Equal(t, []string{"usb", "nfc"}, key.Transports)
	require.True(t, *key.Synced)
	require.Equal(t, "usb,nfc", e.queryString(`SELECT transports FROM auth.user_security_keys WHERE id = ?`, key.ID))

	keys, err := e.svc.ListKeys(e.ctx, e.db, id)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	require.Equal(t, key.ID, keys[1].ID, "oldest first")

	// The new key signs in, offered with its transports.
	signIn, _, err := e.svc.BeginSignIn(e.ctx, e.db, "ada@example.com")
	require.NoError(t, err)
	require.Len(t, signIn.AllowedCredentials, 2)
	_, err = e.svc.FinishSignIn(e.ctx, e.db, second.get(t, e.rp, signIn))
	require.NoError(t, err)

	renamed, err := e.svc.RenameKey(e.ctx, e.db, id, key.ID, "Blue key")
	require.NoError(t, err)
	require.Equal(t, "Blue key", renamed.Nickname)
	cleared, err := e.svc.RenameKey(e.ctx, e.db, id, key.ID, "")
	require.NoError(t, err)
	require.Equal(t, "", cleared.Nickname)
	require.EqualValues(t, 1, e.count(`SELECT count(*) FROM auth.user_security_keys WHERE id = ? AND nickname IS NULL`, key.ID))

	other := e.signUp("bob@example.com", newDevice())
	_, err = e.svc.RenameKey(e.ctx, e.db, other, key.ID, "mine now")
	require.ErrorIs(t, err, webauthn.ErrKeyNotFound, "another user's key")
	require.ErrorIs(t, e.svc.RemoveKey(e.ctx, e.db, other, key.ID), webauthn.ErrKeyNotFound)
	_, err = e.svc.RenameKey(e.ctx, e.db, id, key.ID, "tab\there")
	require.ErrorIs(t, err, webauthn.ErrInvalidInput)

	require.NoError(t, e.svc.RemoveKey(e.ctx, e.db, id, key.ID))
	require.ErrorIs(t, e.svc.RemoveKey(e.ctx, e.db, id, key.ID), webauthn.ErrKeyNotFound)
	require.EqualValues(t, 0, e.count(`SELECT count(*) FROM auth.webauthn_key_details WHERE key_id = ?`, key.ID))
	keys, err = e.svc.ListKeys(e.ctx, e.db, id)
	require.NoError(t, err)
	require.Len(t, keys, 1)
}

func TestElevate(t *testing.T) {
	e := newEnv(t)
	d := newDevice()
	id := e.signUp("ada@example.com", d)

	opts, err := e.svc.BeginElevate(e.ctx, e.db, id)
	require.NoError(t, err)
	require.Len(t, opts.AllowedCredentials, 1)
	d.cred.Counter = 1
	key, err := e.svc.FinishElevate(e.ctx, e.db, id, d.get(t, e.rp, opts))
	require.NoError(t, err)
	require.Equal(t, base64.RawURLEncoding.EncodeToString(d.cred.ID), key.CredentialID)

	noKeys := uuid.MustParse(e.queryString(`INSERT INTO auth.users (locale, email, default_role) VALUES ('en', 'nokeys@example.com', 'user') RETURNING id`))
	_, err = e.svc.BeginElevate(e.ctx, e.db, noKeys)
	require.ErrorIs(t, err, webauthn.ErrNoKeys)
	_, _, err = e.svc.BeginSignIn(e.ctx, e.db, "nokeys@example.com")
	require.ErrorIs(t, err, webauthn.ErrNoKeys)
	_, err = e.svc.BeginElevate(e.ctx, e.db, uuid.New())
	require.ErrorIs(t, err, webauthn.ErrUserNotFound)
}

// Any instance finishes what another began: the state is in PostgreSQL.
func TestAnotherInstanceFinishes(t *testing.T) {
	e := newEnv(t)
	d := newDevice()
	e.signUp("ada@example.com", d)
	other, err := webauthn.New(testConfig(), e.clock.Now)
	require.NoError(t, err)

	opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, "")
	require.NoError(t, err)
	_, err = other.FinishSignIn(e.ctx, e.db, d.get(t, e.rp, opts))
	require.NoError(t, err)
}

// Of two finishes racing with one answer, exactly one succeeds.
func TestConcurrentFinishOneWins(t *testing.T) {
	e := newEnv(t)
	d := newDevice()
	e.signUp("ada@example.com", d)
	opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, "ada@example.com")
	require.NoError(t, err)
	cred := d.get(t, e.rp, opts)

	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.svc.FinishSignIn(e.ctx, e.db, cred)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			require.ErrorIs(t, err, webauthn.ErrChallengeUsed)
		}
	}
	require.Equal(t, 1, ok)
}

func TestPurgeChallenges(t *testing.T) {
	e := newEnv(t)
	for range 3 {
		_, _, err := e.svc.BeginSignIn(e.ctx, e.db, "")
		require.NoError(t, err)
	}
	n, err := e.svc.PurgeChallenges(e.ctx, e.db, 10)
	require.NoError(t, err)
	require.Zero(t, n, "live challenges stay")
	e.advance(61 * time.Second)
	n, err = e.svc.PurgeChallenges(e.ctx, e.db, 2)
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	n, err = e.svc.PurgeChallenges(e.ctx, e.db, 2)
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
}

// withTransports adds response.transports, as browsers report them.
func withTransports(t *testing.T, cred []byte, ts ...string) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(cred, &m))
	m["response"].(map[string]any)["transports"] = ts
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

func (e *env) queryString(query string, args ...any) string {
	e.t.Helper()
	var s string
	require.NoError(e.t, e.db.Raw(query, args...).Scan(&s).Error)
	return s
}
