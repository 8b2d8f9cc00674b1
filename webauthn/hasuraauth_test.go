package webauthn_test

import (
	"encoding/base64"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/webauthn"
)

// hasuraAuthUser writes a user and one security key the way hasura-auth
// does: its sign-up inserts the user and the key with only user_id,
// credential_id (unpadded base64url), credential_public_key (the COSE key
// from the attestation) and nickname, leaving counter 0 and transports empty.
// It never updates the row afterwards.
func hasuraAuthUser(t *testing.T, e *env, email string, d *device) (uuid.UUID, uuid.UUID) {
	t.Helper()
	id := uuid.New()
	require.NoError(t, e.db.Exec(`INSERT INTO auth.users (id, disabled, display_name, avatar_url, email, ticket, ticket_expires_at,
		email_verified, locale, default_role, metadata, last_seen)
		VALUES (?, false, ?, '', ?, NULL, now(), true, 'en', 'user', '{}', now())`, id, email, email).Error)
	require.NoError(t, e.db.Exec(`INSERT INTO auth.user_roles (user_id, role) SELECT ?, r FROM unnest(ARRAY['user','me']) AS r`, id).Error)
	keyID := uuid.MustParse(e.queryString(`INSERT INTO auth.user_security_keys (user_id, credential_id, credential_public_key, nickname)
		VALUES (?, ?, ?, ?) RETURNING id`, id, base64.RawURLEncoding.EncodeToString(d.cred.ID), d.cred.Key.AttestationData(), "iPhone"))
	return id, keyID
}

func TestKeysRegisteredByHasuraAuthSignIn(t *testing.T) {
	e := newEnv(t)

	// A synced passkey (backup eligible and backed up, counter always 0),
	// registered through the nhost client: hasura-auth sent the user's id
	// as text in user.id, the browser read it as base64url, and the
	// authenticator keeps those 27 bytes as the user handle.
	passkey := newDevice()
	passkey.auth.Options.BackupEligible, passkey.auth.Options.BackupState = true, true
	id, keyID := hasuraAuthUser(t, e, "ada@example.com", passkey)
	handle, err := base64.RawURLEncoding.DecodeString(id.String())
	require.NoError(t, err)
	passkey.auth.Options.UserHandle = handle

	t.Run("by email", func(t *testing.T) {
		opts, u, err := e.svc.BeginSignIn(e.ctx, e.db, "ada@example.com")
		require.NoError(t, err)
		require.Equal(t, id, u.ID)
		in, err := e.svc.FinishSignIn(e.ctx, e.db, passkey.get(t, e.rp, opts))
		require.NoError(t, err)
		require.Equal(t, id, in.User.ID)
		require.Equal(t, keyID, in.Key.ID)
		require.Equal(t, "iPhone", in.Key.Nickname)
		require.Nil(t, in.Key.CreatedAt, "registered before us")
		require.True(t, *in.Key.Synced, "learnt at first use")
	})
	t.Run("discoverable", func(t *testing.T) {
		opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, "")
		require.NoError(t, err)
		in, err := e.svc.FinishSignIn(e.ctx, e.db, passkey.get(t, e.rp, opts))
		require.NoError(t, err)
		require.Equal(t, id, in.User.ID)
	})
	t.Run("elevate", func(t *testing.T) {
		opts, err := e.svc.BeginElevate(e.ctx, e.db, id)
		require.NoError(t, err)
		_, err = e.svc.FinishElevate(e.ctx, e.db, id, passkey.get(t, e.rp, opts))
		require.NoError(t, err)
	})
	t.Run("the row still reads as hasura-auth wrote it", func(t *testing.T) {
		var row struct {
			CredentialID        string
			CredentialPublicKey []byte
			Counter             int64
			Transports          string
			Nickname            string
		}
		require.NoError(t, e.db.Raw(`SELECT credential_id, credential_public_key, counter, transports, nickname
			FROM auth.user_security_keys WHERE id = ?`, keyID).Scan(&row).Error)
		require.Equal(t, base64.RawURLEncoding.EncodeToString(passkey.cred.ID), row.CredentialID)
		require.Equal(t, passkey.cred.Key.AttestationData(), row.CredentialPublicKey)
		require.EqualValues(t, 0, row.Counter)
		require.Equal(t, "", row.Transports)
		require.Equal(t, "iPhone", row.Nickname)
	})

	// A security key whose own counter ran on while hasura-auth kept 0,
	// registered by an older client that stored the id's text as the handle.
	yubikey := newDevice()
	yubikey.cred.Counter = 1234
	bob, _ := hasuraAuthUser(t, e, "bob@example.com", yubikey)
	yubikey.auth.Options.UserHandle = []byte(bob.String())
	t.Run("counting key, text handle, discoverable", func(t *testing.T) {
		opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, "")
		require.NoError(t, err)
		in, err := e.svc.FinishSignIn(e.ctx, e.db, yubikey.get(t, e.rp, opts))
		require.NoError(t, err)
		require.Equal(t, bob, in.User.ID)
		require.EqualValues(t, 1234, e.count(`SELECT counter FROM auth.user_security_keys WHERE user_id = ?`, bob))
	})
	t.Run("a key added here carries the same handle as hasura-auth's", func(t *testing.T) {
		opts, err := e.svc.BeginAddKey(e.ctx, e.db, id)
		require.NoError(t, err)
		require.Equal(t, id.String(), base64.RawURLEncoding.EncodeToString(webauthn.UserHandle(id)))
		d := newDevice()
		_, err = e.svc.FinishAddKey(e.ctx, e.db, id, d.create(t, e.rp, opts), "")
		require.NoError(t, err)
		require.Equal(t, handle, d.auth.Options.UserHandle)
	})
}
