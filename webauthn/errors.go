package webauthn

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// Error is a refusal of this package. Every refusal wraps one of the
// sentinels below (errors.Is), and Code is a stable short name for logs and
// audit records. Messages never hold challenges, keys or user data.
type Error struct {
	code string
	msg  string
}

func (e *Error) Error() string { return "webauthn: " + e.msg }

// Code is the refusal's stable name, e.g. "counter-regression".
func (e *Error) Code() string { return e.code }

// The refusals. All but ErrNoKeys, ErrUserNotFound, ErrKeyNotFound and
// ErrCredentialInUse come from a finish call and mean the ceremony failed:
// nothing was written. Suggested answers: 400 invalid-request for all,
// except ErrUserNotFound (401 invalid-email-password, as hasura-auth) and
// ErrKeyNotFound (404).
var (
	// ErrInvalidInput: an argument the caller passed on from the client is
	// unusable (empty email, options that are not a JSON object, a nickname
	// too long or with control characters).
	ErrInvalidInput = &Error{"invalid-input", "invalid input"}
	// ErrMalformed: the credential is not a well-formed WebAuthn response
	// (JSON, base64url, CBOR, client data, a missing user handle).
	ErrMalformed = &Error{"malformed-credential", "malformed credential"}
	// ErrChallengeUnknown: no ceremony was begun with this challenge (or it
	// was purged after expiry).
	ErrChallengeUnknown = &Error{"challenge-unknown", "unknown challenge"}
	// ErrChallengeExpired: the ceremony took longer than
	// AUTH_WEBAUTHN_ATTESTATION_TIMEOUT.
	ErrChallengeExpired = &Error{"challenge-expired", "challenge expired"}
	// ErrChallengeUsed: the challenge already completed a ceremony; this
	// is a replay.
	ErrChallengeUsed = &Error{"challenge-replayed", "challenge already used"}
	// ErrChallengeMismatch: the challenge was issued for another ceremony
	// or another user. It stays usable for the one it was issued for.
	ErrChallengeMismatch = &Error{"challenge-mismatch", "challenge issued for another ceremony or user"}
	// ErrWrongOrigin: the browser ran the ceremony on an origin not in
	// AUTH_WEBAUTHN_RP_ORIGINS (a phishing page, or a missing setting).
	ErrWrongOrigin = &Error{"wrong-origin", "origin not allowed"}
	// ErrWrongRPID: the authenticator scoped the credential to another
	// relying party than AUTH_WEBAUTHN_RP_ID.
	ErrWrongRPID = &Error{"wrong-rp-id", "relying party ID mismatch"}
	// ErrVerification: the signature, attestation statement, flags or user
	// handle did not verify.
	ErrVerification = &Error{"verification-failed", "credential did not verify"}
	// ErrUnknownCredential: no security key has this credential ID.
	ErrUnknownCredential = &Error{"unknown-credential", "unknown credential"}
	// ErrCredentialNotOwned: the credential belongs to another user than
	// the one signing in or elevating (or than its user handle names).
	ErrCredentialNotOwned = &Error{"credential-of-another-user", "credential belongs to another user"}
	// ErrCounterRegression: the signature counter did not grow; the
	// authenticator may have been cloned. errors.As gives *CounterError.
	ErrCounterRegression = &Error{"counter-regression", "signature counter went backwards"}
	// ErrCredentialInUse: a credential being registered already is.
	ErrCredentialInUse = &Error{"credential-in-use", "credential already registered"}
	// ErrNoKeys: the user has no security key to sign in or elevate with.
	ErrNoKeys = &Error{"no-security-keys", "user has no security keys"}
	// ErrUserNotFound: no user has this email (or id).
	ErrUserNotFound = &Error{"user-not-found", "user not found"}
	// ErrKeyNotFound: the user has no security key with this id.
	ErrKeyNotFound = &Error{"key-not-found", "security key not found"}
)

// CounterError reports a signature counter that did not grow: Presented is
// what the authenticator sent, Stored what the key had. Audit it: two
// devices holding one private key is what the counter exists to reveal.
type CounterError struct {
	UserID    uuid.UUID
	KeyID     uuid.UUID
	Stored    uint32
	Presented uint32
}

func (e *CounterError) Error() string {
	return fmt.Sprintf("%s: key %s presented %d, stored %d", ErrCounterRegression.Error(), e.KeyID, e.Presented, e.Stored)
}

// Unwrap makes errors.Is(err, ErrCounterRegression) hold.
func (e *CounterError) Unwrap() error { return ErrCounterRegression }

// Code returns the stable name of the refusal err wraps ("" for other
// errors), for audit details.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.code
	}
	return ""
}

// refuse wraps a sentinel with a detail for the server's log.
func refuse(sentinel *Error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
