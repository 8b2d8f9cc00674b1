// Package webauthn runs the WebAuthn ceremonies of nhost's auth API:
// signing up with a passkey or security key, signing in with one (by email,
// or with no email at all from a discoverable credential), adding a key to
// a signed-in account, and elevating a session by proving one. Verification
// is go-webauthn's; this package keeps the state around it in PostgreSQL:
// challenges (auth.webauthn_challenges: any instance can finish what another
// began; each is used once and expires) and keys (hasura-auth's
// auth.user_security_keys, written as hasura-auth writes them, with our
// extra details in auth.webauthn_key_details).
//
// The service never starts sessions or writes users. Finish steps return
// who proved what; the caller checks the user (disabled, unverified email),
// creates the signed-up user and asks the session service for a session.
// Every method takes the *gorm.DB to work on, which may be the caller's
// transaction; a finish step's writes are all-or-nothing either way.
package webauthn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Service runs the ceremonies for one relying party.
type Service struct {
	lib     *gowebauthn.WebAuthn
	rpID    string
	origins []string
	timeout time.Duration
	now     func() time.Time
}

// New validates cfg and returns a Service; now is the clock (nil:
// time.Now), which decides when challenges expire.
func New(cfg Config, now func() time.Time) (*Service, error) {
	if !cfg.Enabled {
		return nil, errors.New("webauthn: AUTH_WEBAUTHN_ENABLED is false")
	}
	set, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	timeouts := gowebauthn.TimeoutConfig{Timeout: set.timeout, TimeoutUVD: set.timeout} // enforced on the challenge row, by our clock
	notRequired := false
	lib, err := gowebauthn.New(&gowebauthn.Config{
		RPID:          set.rpID,
		RPDisplayName: set.rpName,
		RPOrigins:     set.origins,
		// hasura-auth's choices, so authenticators behave as they did:
		// attestation if the authenticator offers it, a discoverable
		// credential (passkey) where possible, user verification where
		// available.
		AttestationPreference: protocol.PreferIndirectAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			RequireResidentKey: &notRequired,
			ResidentKey:        protocol.ResidentKeyRequirementPreferred,
			UserVerification:   protocol.VerificationPreferred,
		},
		Timeouts: gowebauthn.TimeoutsConfig{Login: timeouts, Registration: timeouts},
	})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	return &Service{lib: lib, rpID: set.rpID, origins: set.origins, timeout: set.timeout, now: now}, nil
}

// RPID is the relying party ID in effect (AUTH_WEBAUTHN_RP_ID or its default).
func (s *Service) RPID() string { return s.rpID }

// Origins are the origins ceremonies may run on.
func (s *Service) Origins() []string { return append([]string(nil), s.origins...) }

// PurgeChallenges deletes up to batch expired challenges (finished or not)
// and returns how many; call it until it returns less than batch.
// Instances running it at once take different rows.
func (s *Service) PurgeChallenges(ctx context.Context, db *gorm.DB, batch int) (int64, error) {
	if batch <= 0 {
		batch = 500
	}
	return purgeChallenges(db.WithContext(ctx), s.now(), batch)
}

// user is a WebAuthn user entity: the account a credential belongs to.
type user struct {
	id          uuid.UUID
	name        string
	displayName string
	creds       []gowebauthn.Credential
}

func (u *user) WebAuthnID() []byte                           { return UserHandle(u.id) }
func (u *user) WebAuthnName() string                         { return u.name }
func (u *user) WebAuthnDisplayName() string                  { return u.displayName }
func (u *user) WebAuthnCredentials() []gowebauthn.Credential { return u.creds }

// sessionUser stands for the user a registration was begun for; the
// library only compares its handle with the one the session recorded.
type sessionUser []byte

func (h sessionUser) WebAuthnID() []byte                           { return h }
func (h sessionUser) WebAuthnName() string                         { return "" }
func (h sessionUser) WebAuthnDisplayName() string                  { return "" }
func (h sessionUser) WebAuthnCredentials() []gowebauthn.Credential { return nil }

// credentials turns key rows into the library's credentials. The flags of
// a key without details (registered by hasura-auth, which keeps none) are
// taken from the assertion presenting it, as hasura-auth does.
func credentials(rows []keyRow, presented []byte, flags protocol.AuthenticatorFlags) []gowebauthn.Credential {
	out := make([]gowebauthn.Credential, 0, len(rows))
	for i := range rows {
		r := &rows[i]
		id, err := decodeCredentialID(r.CredentialID)
		if err != nil {
			continue // unreadable rows can match no assertion
		}
		c := gowebauthn.Credential{
			ID:            id,
			PublicKey:     r.CredentialPublicKey,
			Transport:     descriptorTransports(parseTransports(r.Transports)),
			Authenticator: gowebauthn.Authenticator{SignCount: r.storedCounter()},
		}
		switch {
		case r.BackupEligible != nil:
			c.Flags = gowebauthn.CredentialFlags{
				UserPresent:    true,
				UserVerified:   deref(r.UserVerified),
				BackupEligible: *r.BackupEligible,
				BackupState:    deref(r.BackupState),
			}
		case bytes.Equal(id, presented):
			c.Flags = gowebauthn.NewCredentialFlags(flags)
		}
		out = append(out, c)
	}
	return out
}

func deref(b *bool) bool { return b != nil && *b }

// begin stores a begun ceremony's challenge and session.
func (s *Service) begin(ctx context.Context, db *gorm.DB, ceremony string, userID *uuid.UUID, session *gowebauthn.SessionData, pending *pendingSignUp) error {
	challenge, err := base64.RawURLEncoding.DecodeString(session.Challenge)
	if err != nil {
		return fmt.Errorf("webauthn: challenge of a new session: %w", err)
	}
	sess, err := json.Marshal(session)
	if err != nil {
		return fmt.Errorf("webauthn: encode session: %w", err)
	}
	var signUp []byte
	if pending != nil {
		if signUp, err = json.Marshal(pending); err != nil {
			return fmt.Errorf("webauthn: encode sign-up: %w", err)
		}
	}
	now := s.now()
	if err := saveChallenge(db.WithContext(ctx), challenge, ceremony, userID, sess, signUp, now, now.Add(s.timeout)); err != nil {
		return fmt.Errorf("webauthn: store challenge: %w", err)
	}
	return nil
}

// maxCredentialSize bounds a credential (attestations with certificate
// chains run to a few kilobytes).
const maxCredentialSize = 256 << 10

// parseAttestation reads a registration response (the "credential" member
// of the verify requests) and the challenge its client data carries.
func parseAttestation(data []byte) (*protocol.ParsedCredentialCreationData, []byte, error) {
	if len(data) == 0 || len(data) > maxCredentialSize {
		return nil, nil, refuse(ErrMalformed, "credential of %d bytes", len(data))
	}
	p, err := protocol.ParseCredentialCreationResponseBytes(data)
	if err != nil {
		return nil, nil, refuse(ErrMalformed, "%s", libDetail(err))
	}
	if p.Response.CollectedClientData.Type != protocol.CreateCeremony {
		return nil, nil, refuse(ErrMalformed, "client data type %q", p.Response.CollectedClientData.Type)
	}
	ch, err := challengeBytes(p.Response.CollectedClientData.Challenge)
	if err != nil {
		return nil, nil, err
	}
	return p, ch, nil
}

// parseAssertion reads an authentication response.
func parseAssertion(data []byte) (*protocol.ParsedCredentialAssertionData, []byte, error) {
	if len(data) == 0 || len(data) > maxCredentialSize {
		return nil, nil, refuse(ErrMalformed, "credential of %d bytes", len(data))
	}
	p, err := protocol.ParseCredentialRequestResponseBytes(data)
	if err != nil {
		return nil, nil, refuse(ErrMalformed, "%s", libDetail(err))
	}
	if p.Response.CollectedClientData.Type != protocol.AssertCeremony {
		return nil, nil, refuse(ErrMalformed, "client data type %q", p.Response.CollectedClientData.Type)
	}
	ch, err := challengeBytes(p.Response.CollectedClientData.Challenge)
	if err != nil {
		return nil, nil, err
	}
	return p, ch, nil
}

func challengeBytes(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) < protocol.MinimumChallengeLength || len(b) > 64 {
		return nil, refuse(ErrMalformed, "client data challenge is not one of ours")
	}
	return b, nil
}

// libDetail is the library's description of a failure, without the debug
// text (which echoes expected values).
func libDetail(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Type + ": " + pe.Details
	}
	return err.Error()
}

// checkScope refuses, with their own errors, the two mistakes an operator
// must be able to tell apart from a bad signature: the page's origin and the
// RP ID the authenticator signed for.
func (s *Service) checkScope(origin string, rpIDHash []byte, session *gowebauthn.SessionData) error {
	if !protocol.IsOriginInHaystack(origin, s.origins) {
		return refuse(ErrWrongOrigin, "origin %q is not in AUTH_WEBAUTHN_RP_ORIGINS", origin)
	}
	want := sha256.Sum256([]byte(session.GetRelyingPartyID(s.rpID)))
	if !bytes.Equal(rpIDHash, want[:]) {
		return refuse(ErrWrongRPID, "the authenticator signed for another RP ID than %q", session.GetRelyingPartyID(s.rpID))
	}
	return nil
}

func decodeSession(raw string) (*gowebauthn.SessionData, error) {
	var sess gowebauthn.SessionData
	if err := json.Unmarshal([]byte(raw), &sess); err != nil {
		return nil, fmt.Errorf("webauthn: decode stored session: %w", err)
	}
	sess.Expires = time.Time{} // expiry is the challenge row's, on our clock
	return &sess, nil
}

// verificationError classifies a failure of the library's verification.
func verificationError(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Type == protocol.ErrParsingData.Type {
		return refuse(ErrMalformed, "%s", libDetail(err))
	}
	return refuse(ErrVerification, "%s", libDetail(err))
}

// finishRegistration verifies a registration response against the
// challenge it answers, which must belong to ceremony (and userID when set).
func (s *Service) finishRegistration(tx *gorm.DB, data []byte, ceremony string, userID *uuid.UUID) (*challengeRow, *gowebauthn.Credential, error) {
	parsed, challenge, err := parseAttestation(data)
	if err != nil {
		return nil, nil, err
	}
	ch, err := consumeChallenge(tx, challenge, ceremony, userID, s.now())
	if err != nil {
		return nil, nil, err
	}
	session, err := decodeSession(ch.Session)
	if err != nil {
		return nil, nil, err
	}
	if err := s.checkScope(parsed.Response.CollectedClientData.Origin, parsed.Response.AttestationObject.AuthData.RPIDHash, session); err != nil {
		return nil, nil, err
	}
	cred, err := s.lib.CreateCredential(sessionUser(session.UserID), *session, parsed)
	if err != nil {
		return nil, nil, verificationError(err)
	}
	existing, err := keyByCredentialID(tx, cred.ID)
	if err != nil {
		return nil, nil, err
	}
	if existing != nil {
		return nil, nil, ErrCredentialInUse
	}
	return ch, cred, nil
}

// newKeyFrom is a verified credential as the row to store.
func newKeyFrom(userID uuid.UUID, cred *gowebauthn.Credential, nickname string) newKey {
	k := newKey{
		userID:            userID,
		credentialID:      cred.ID,
		publicKey:         cred.PublicKey,
		counter:           cred.Authenticator.SignCount,
		transports:        formatTransports(cred.Transport),
		nickname:          nickname,
		backupEligible:    cred.Flags.BackupEligible,
		backupState:       cred.Flags.BackupState,
		userVerified:      cred.Flags.UserVerified,
		attestationFormat: cred.AttestationFormat,
	}
	if id, err := uuid.FromBytes(cred.Authenticator.AAGUID); err == nil && id != uuid.Nil {
		k.aaguid = &id
	}
	return k
}

// finishAssertion verifies an authentication response against the
// challenge it answers and records the key's use. bound is the user the
// ceremony is for when the caller knows it (elevation); otherwise the
// challenge's user (sign-in by email) or the response's user handle
// (discoverable sign-in) decides.
func (s *Service) finishAssertion(tx *gorm.DB, data []byte, ceremony string, bound *uuid.UUID) (*keyRow, error) {
	now := s.now()
	parsed, challenge, err := parseAssertion(data)
	if err != nil {
		return nil, err
	}
	ch, err := consumeChallenge(tx, challenge, ceremony, bound, now)
	if err != nil {
		return nil, err
	}
	session, err := decodeSession(ch.Session)
	if err != nil {
		return nil, err
	}
	if err := s.checkScope(parsed.Response.CollectedClientData.Origin, parsed.Response.AuthenticatorData.RPIDHash, session); err != nil {
		return nil, err
	}
	key, err := keyByCredentialID(tx, parsed.RawID)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, ErrUnknownCredential
	}
	owner := key.UserID
	if ch.UserID != nil && *ch.UserID != owner {
		return nil, refuse(ErrCredentialNotOwned, "key %s of user %s presented for user %s", key.ID, owner, *ch.UserID)
	}
	// The user handle is not signed; it only has to agree. The library
	// compares it byte for byte, so one of the other forms is rewritten to
	// ours once it names the same user.
	if h := parsed.Response.UserHandle; len(h) > 0 {
		named, err := userIDFromHandle(h)
		if err != nil {
			return nil, refuse(ErrMalformed, "user handle: %v", err)
		}
		if named != owner {
			return nil, refuse(ErrCredentialNotOwned, "key %s of user %s presented with the handle of user %s", key.ID, owner, named)
		}
		parsed.Response.UserHandle = UserHandle(owner)
	} else if ch.UserID == nil {
		return nil, refuse(ErrMalformed, "a discoverable sign-in needs the user handle")
	}
	rows, err := keysOf(tx, owner)
	if err != nil {
		return nil, err
	}
	u := &user{id: owner, creds: credentials(rows, parsed.RawID, parsed.Response.AuthenticatorData.Flags)}
	var cred *gowebauthn.Credential
	if len(session.UserID) == 0 {
		_, cred, err = s.lib.ValidatePasskeyLogin(func(_, _ []byte) (gowebauthn.User, error) { return u, nil }, *session, parsed)
	} else {
		cred, err = s.lib.ValidateLogin(u, *session, parsed)
	}
	if err != nil {
		return nil, verificationError(err)
	}
	presented := parsed.Response.AuthenticatorData.Counter
	if cred.Authenticator.CloneWarning {
		return nil, &CounterError{UserID: owner, KeyID: key.ID, Stored: key.storedCounter(), Presented: presented}
	}
	ok, err := recordUse(tx, key, presented, cred.Flags.BackupEligible, cred.Flags.BackupState, cred.Flags.UserVerified, now)
	if err != nil {
		return nil, err
	}
	if !ok { // another assertion stored a higher count meanwhile
		if fresh, err := keyByID(tx, owner, key.ID); err == nil {
			key = fresh
		}
		return nil, &CounterError{UserID: owner, KeyID: key.ID, Stored: key.storedCounter(), Presented: presented}
	}
	key.Counter = int64(presented)
	key.LastUsedAt = &now
	be, bs, uv := cred.Flags.BackupEligible, cred.Flags.BackupState, cred.Flags.UserVerified
	key.BackupEligible, key.BackupState, key.UserVerified = &be, &bs, &uv
	return key, nil
}

// descriptors are the user's keys as an allow or exclude list.
func descriptors(creds []gowebauthn.Credential) []protocol.CredentialDescriptor {
	out := make([]protocol.CredentialDescriptor, len(creds))
	for i := range creds {
		out[i] = creds[i].Descriptor()
	}
	return out
}
