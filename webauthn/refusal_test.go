package webauthn_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/fxamacker/cbor/v2"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/webauthn"
)

// Every refusal is its own typed error, and a refused ceremony writes
// nothing: no user, no key, no counter, and its challenge stays unconsumed.
func TestRefusals(t *testing.T) {
	e := newEnv(t)
	n := 0
	fresh := func() (uuid.UUID, *device) {
		n++
		d := newDevice()
		return e.signUp(fmt.Sprintf("user%d@example.com", n), d), d
	}
	email := func(id uuid.UUID) string {
		return e.queryString(`SELECT email FROM auth.users WHERE id = ?`, id)
	}
	evilOrigin := virtualwebauthn.RelyingParty{ID: testRPID, Name: "Example", Origin: "https://example.com.evil.net"}
	otherRP := virtualwebauthn.RelyingParty{ID: "evil.net", Name: "Example", Origin: testOrigin}

	signUpWith := func(rp virtualwebauthn.RelyingParty, edit func([]byte) []byte) func() error {
		opts, err := e.svc.BeginSignUp(e.ctx, e.db, webauthn.SignUpRequest{Email: fmt.Sprintf("new%d@example.com", n)})
		require.NoError(t, err)
		cred := newDevice().create(t, rp, opts)
		if edit != nil {
			cred = edit(cred)
		}
		return func() error { return finishSignUp(e, cred) }
	}
	signInWith := func(rp virtualwebauthn.RelyingParty, edit func([]byte) []byte) func() error {
		id, d := fresh()
		opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, email(id))
		require.NoError(t, err)
		cred := d.get(t, rp, opts)
		if edit != nil {
			cred = edit(cred)
		}
		return func() error { _, err := e.svc.FinishSignIn(e.ctx, e.db, cred); return err }
	}

	cases := []struct {
		name  string
		setup func() func() error
		want  error
	}{
		{"sign-up on another origin", func() func() error { return signUpWith(evilOrigin, nil) }, webauthn.ErrWrongOrigin},
		{"sign-up for another RP ID", func() func() error { return signUpWith(otherRP, nil) }, webauthn.ErrWrongRPID},
		{"sign-in on another origin", func() func() error { return signInWith(evilOrigin, nil) }, webauthn.ErrWrongOrigin},
		{"sign-in for another RP ID", func() func() error { return signInWith(otherRP, nil) }, webauthn.ErrWrongRPID},
		{"sign-up attestation object is not CBOR", func() func() error {
			return signUpWith(e.rp, setResponse("attestationObject", base64.RawURLEncoding.EncodeToString([]byte("\xa3not cbor at all"))))
		}, webauthn.ErrMalformed},
		{"sign-up attestation signature forged", func() func() error {
			return signUpWith(e.rp, forgeAttestationSignature(t))
		}, webauthn.ErrVerification},
		{"sign-up with an assertion", func() func() error {
			_, d := fresh()
			opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, "")
			require.NoError(t, err)
			cred := d.get(t, e.rp, opts)
			return func() error { return finishSignUp(e, cred) }
		}, webauthn.ErrMalformed},
		{"sign-up credential is not JSON", func() func() error {
			return func() error { return finishSignUp(e, []byte("{not json")) }
		}, webauthn.ErrMalformed},
		{"sign-in signature forged", func() func() error {
			return signInWith(e.rp, flipResponseByte(t, "signature"))
		}, webauthn.ErrVerification},
		{"sign-in client data altered after signing", func() func() error {
			return signInWith(e.rp, func(cred []byte) []byte {
				cd := responseField(t, cred, "clientDataJSON")
				var m map[string]any
				require.NoError(t, json.Unmarshal(cd, &m))
				m["crossOrigin"] = false
				cd, _ = json.Marshal(m)
				return setResponse("clientDataJSON", base64.RawURLEncoding.EncodeToString(cd))(cred)
			})
		}, webauthn.ErrVerification},
		{"sign-in expired", func() func() error {
			f := signInWith(e.rp, nil)
			e.advance(61 * time.Second)
			return f
		}, webauthn.ErrChallengeExpired},
		{"sign-up expired", func() func() error {
			f := signUpWith(e.rp, nil)
			e.advance(60*time.Second + time.Millisecond)
			return f
		}, webauthn.ErrChallengeExpired},
		{"sign-in replayed", func() func() error {
			f := signInWith(e.rp, nil)
			require.NoError(t, f())
			return f
		}, webauthn.ErrChallengeUsed},
		{"sign-up replayed", func() func() error {
			f := signUpWith(e.rp, nil)
			require.NoError(t, f())
			return f
		}, webauthn.ErrChallengeUsed},
		{"challenge never issued", func() func() error {
			id, d := fresh()
			opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, email(id))
			require.NoError(t, err)
			opts.Challenge[0] ^= 0xff
			cred := d.get(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishSignIn(e.ctx, e.db, cred); return err }
		}, webauthn.ErrChallengeUnknown},
		{"sign-up challenge answered to add a key", func() func() error {
			id, _ := fresh()
			opts, err := e.svc.BeginSignUp(e.ctx, e.db, webauthn.SignUpRequest{Email: "pending@example.com"})
			require.NoError(t, err)
			cred := newDevice().create(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishAddKey(e.ctx, e.db, id, cred, ""); return err }
		}, webauthn.ErrChallengeMismatch},
		{"add-key challenge of another user", func() func() error {
			victim, _ := fresh()
			attacker, _ := fresh()
			opts, err := e.svc.BeginAddKey(e.ctx, e.db, victim)
			require.NoError(t, err)
			cred := newDevice().create(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishAddKey(e.ctx, e.db, attacker, cred, ""); return err }
		}, webauthn.ErrChallengeMismatch},
		{"elevate challenge of another user", func() func() error {
			victim, d := fresh()
			attacker, _ := fresh()
			opts, err := e.svc.BeginElevate(e.ctx, e.db, victim)
			require.NoError(t, err)
			cred := d.get(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishElevate(e.ctx, e.db, attacker, cred); return err }
		}, webauthn.ErrChallengeMismatch},
		{"sign-in by email with another user's key", func() func() error {
			victim, _ := fresh()
			_, attackerKey := fresh()
			opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, email(victim))
			require.NoError(t, err)
			opts.AllowedCredentials = nil // a client ignoring the allow list
			cred := attackerKey.get(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishSignIn(e.ctx, e.db, cred); return err }
		}, webauthn.ErrCredentialNotOwned},
		{"discoverable sign-in with another user's key and the victim's handle", func() func() error {
			victim, _ := fresh()
			_, attackerKey := fresh()
			opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, "")
			require.NoError(t, err)
			attackerKey.auth.Options.UserHandle = webauthn.UserHandle(victim)
			cred := attackerKey.get(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishSignIn(e.ctx, e.db, cred); return err }
		}, webauthn.ErrCredentialNotOwned},
		{"elevate with another user's key", func() func() error {
			user, _ := fresh()
			_, otherKey := fresh()
			opts, err := e.svc.BeginElevate(e.ctx, e.db, user)
			require.NoError(t, err)
			opts.AllowedCredentials = nil
			cred := otherKey.get(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishElevate(e.ctx, e.db, user, cred); return err }
		}, webauthn.ErrCredentialNotOwned},
		{"adding a key another user registered", func() func() error {
			user, _ := fresh()
			_, otherKey := fresh()
			opts, err := e.svc.BeginAddKey(e.ctx, e.db, user)
			require.NoError(t, err)
			cred := otherKey.create(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishAddKey(e.ctx, e.db, user, cred, ""); return err }
		}, webauthn.ErrCredentialInUse},
		{"discoverable sign-in with an unregistered key", func() func() error {
			victim, _ := fresh()
			opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, "")
			require.NoError(t, err)
			stranger := newDevice()
			stranger.auth.Options.UserHandle = webauthn.UserHandle(victim)
			cred := stranger.get(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishSignIn(e.ctx, e.db, cred); return err }
		}, webauthn.ErrUnknownCredential},
		{"discoverable sign-in without a user handle", func() func() error {
			_, d := fresh()
			opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, "")
			require.NoError(t, err)
			d.auth.Options.UserHandle = nil
			cred := d.get(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishSignIn(e.ctx, e.db, cred); return err }
		}, webauthn.ErrMalformed},
		{"counter went backwards", func() func() error {
			id, d := fresh()
			d.cred.Counter = 5
			signIn(t, e, email(id), d)
			d.cred.Counter = 3
			opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, email(id))
			require.NoError(t, err)
			cred := d.get(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishSignIn(e.ctx, e.db, cred); return err }
		}, webauthn.ErrCounterRegression},
		{"counter did not move", func() func() error {
			id, d := fresh()
			d.cred.Counter = 9
			signIn(t, e, email(id), d)
			opts, err := e.svc.BeginElevate(e.ctx, e.db, id)
			require.NoError(t, err)
			cred := d.get(t, e.rp, opts)
			return func() error { _, err := e.svc.FinishElevate(e.ctx, e.db, id, cred); return err }
		}, webauthn.ErrCounterRegression},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			finish := tc.setup()
			before := e.state()
			err := finish()
			require.ErrorIs(t, err, tc.want)
			require.Equal(t, before, e.state(), "nothing written")
			var typed *webauthn.Error
			require.True(t, errors.As(err, &typed), "typed: %v", err)
			require.NotEmpty(t, webauthn.Code(err))
		})
	}
}

func TestCounterErrorDetails(t *testing.T) {
	e := newEnv(t)
	d := newDevice()
	id := e.signUp("ada@example.com", d)
	d.cred.Counter = 40
	signIn(t, e, "ada@example.com", d)
	d.cred.Counter = 39
	opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, "ada@example.com")
	require.NoError(t, err)
	_, err = e.svc.FinishSignIn(e.ctx, e.db, d.get(t, e.rp, opts))
	var ce *webauthn.CounterError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, id, ce.UserID)
	require.EqualValues(t, 40, ce.Stored)
	require.EqualValues(t, 39, ce.Presented)
	require.Equal(t, "counter-regression", webauthn.Code(err))

	// The refusal left the challenge usable for nothing else: the genuine
	// authenticator, counting on, signs in with a new one.
	d.cred.Counter = 41
	signIn(t, e, "ada@example.com", d)
	require.EqualValues(t, 41, e.count(`SELECT counter FROM auth.user_security_keys`))
}

// A refused sign-up challenge presented to the wrong ceremony stays usable
// for its own.
func TestMismatchedChallengeStaysUsable(t *testing.T) {
	e := newEnv(t)
	id := e.signUp("ada@example.com", newDevice())
	opts, err := e.svc.BeginSignUp(e.ctx, e.db, webauthn.SignUpRequest{Email: "bob@example.com"})
	require.NoError(t, err)
	cred := newDevice().create(t, e.rp, opts)
	_, err = e.svc.FinishAddKey(e.ctx, e.db, id, cred, "")
	require.ErrorIs(t, err, webauthn.ErrChallengeMismatch)
	require.NoError(t, finishSignUp(e, cred))
}

func TestInvalidInput(t *testing.T) {
	e := newEnv(t)
	for _, req := range []webauthn.SignUpRequest{
		{Email: "  "},
		{Email: "a@example.com", Options: json.RawMessage(`[1]`)},
		{Email: "a@example.com", Options: json.RawMessage(`{"a":`)},
	} {
		_, err := e.svc.BeginSignUp(e.ctx, e.db, req)
		require.ErrorIs(t, err, webauthn.ErrInvalidInput, "%+v", req)
	}
	_, err := e.svc.FinishSignUp(e.ctx, e.db, []byte(`{}`), string(make([]rune, 101)))
	require.ErrorIs(t, err, webauthn.ErrInvalidInput)
	require.EqualValues(t, 0, e.count(`SELECT count(*) FROM auth.webauthn_challenges`))
}

func finishSignUp(e *env, cred []byte) error {
	return e.db.Transaction(func(tx *gorm.DB) error {
		su, err := e.svc.FinishSignUp(e.ctx, tx, cred, "")
		if err != nil {
			return err
		}
		if err := createUser(tx, su); err != nil {
			return err
		}
		_, err = e.svc.StoreSignUpKey(e.ctx, tx, su)
		return err
	})
}

func signIn(t *testing.T, e *env, email string, d *device) {
	t.Helper()
	opts, _, err := e.svc.BeginSignIn(e.ctx, e.db, email)
	require.NoError(t, err)
	_, err = e.svc.FinishSignIn(e.ctx, e.db, d.get(t, e.rp, opts))
	require.NoError(t, err)
}

func responseField(t *testing.T, cred []byte, field string) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(cred, &m))
	b, err := base64.RawURLEncoding.DecodeString(m["response"].(map[string]any)[field].(string))
	require.NoError(t, err)
	return b
}

func setResponse(field, value string) func([]byte) []byte {
	return func(cred []byte) []byte {
		var m map[string]any
		if err := json.Unmarshal(cred, &m); err != nil {
			panic(err)
		}
		m["response"].(map[string]any)[field] = value
		out, _ := json.Marshal(m)
		return out
	}
}

func flipResponseByte(t *testing.T, field string) func([]byte) []byte {
	return func(cred []byte) []byte {
		b := responseField(t, cred, field)
		b[len(b)/2] ^= 0x01
		return setResponse(field, base64.RawURLEncoding.EncodeToString(b))(cred)
	}
}

// forgeAttestationSignature changes one byte of the packed attestation's
// signature, re-encoding the attestation object with the library's CBOR.
func forgeAttestationSignature(t *testing.T) func([]byte) []byte {
	return func(cred []byte) []byte {
		obj := responseField(t, cred, "attestationObject")
		var att map[string]any
		require.NoError(t, cborUnmarshal(obj, &att))
		stmt := att["attStmt"].(map[any]any)
		sig := stmt["sig"].([]byte)
		sig[len(sig)-1] ^= 0x01
		out, err := cborMarshal(att)
		require.NoError(t, err)
		return setResponse("attestationObject", base64.RawURLEncoding.EncodeToString(out))(cred)
	}
}

func cborUnmarshal(b []byte, v any) error { return cbor.Unmarshal(b, v) }

func cborMarshal(v any) ([]byte, error) {
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		return nil, err
	}
	return em.Marshal(v)
}
