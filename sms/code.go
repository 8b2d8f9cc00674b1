package sms

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/hasura-auth-go/auth/pwhash"
)

// MethodSMS is the value of auth.users.otp_method_last_used for SMS codes,
// as hasura-auth writes and checks it.
const MethodSMS = "sms"

// NewCode returns digits random decimal digits, every value equally likely
// (crypto/rand, no modulo bias), leading zeros kept.
func NewCode(digits int) (string, error) {
	if digits < 1 || digits > 18 {
		return "", fmt.Errorf("sms: code length %d out of range", digits)
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(digits)), nil)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return "", fmt.Errorf("sms: generate code: %w", err)
	}
	return fmt.Sprintf("%0*d", digits, n), nil
}

// HashCode hashes a code for auth.users.otp_hash with bcrypt. The $2a$
// form is the one PostgreSQL's pgcrypto writes for crypt(code,
// gen_salt('bf')), which is how hasura-auth stores and checks SMS codes, so
// a code issued by either server verifies on the other.
// It waits its turn for bcrypt with the server's other hashes (pwhash).
func HashCode(code string, cost int) (string, error) {
	h, err := pwhash.Generate(context.Background(), []byte(code), cost)
	if err != nil {
		return "", fmt.Errorf("sms: hash code: %w", err)
	}
	return string(h), nil
}

// CodeMatches reports whether code is the one hash was made from; bcrypt
// compares in constant time. A hash of the wrong form never matches.
func CodeMatches(hash, code string) bool {
	ok, _ := pwhash.Compare(context.Background(), []byte(hash), []byte(code)) // no deadline: never an error
	return ok
}

// isDigits reports whether s is between min and max ASCII digits.
func isDigits(s string, min, max int) bool {
	return len(s) >= min && len(s) <= max && strings.Trim(s, "0123456789") == ""
}

// Issued is what Send hands the flow to write in the same transaction as
// the rest of the sign-in: auth.users.otp_hash = Hash,
// otp_hash_expires_at = ExpiresAt, otp_method_last_used = Method, and the
// attempt counter back to 0.
type Issued struct {
	Hash      string
	ExpiresAt time.Time
	Method    string
}

// Stored is what the flow read, with the user row locked (SELECT … FOR
// UPDATE), for the number being verified.
type Stored struct {
	Hash      *string   // auth.users.otp_hash
	ExpiresAt time.Time // auth.users.otp_hash_expires_at
	Method    *string   // auth.users.otp_method_last_used
	Failures  int       // wrong codes against this code so far
}

// live reports whether the stored code may still be tried.
func (st Stored) live(now time.Time, maxAttempts int) bool {
	return st.Hash != nil && *st.Hash != "" && st.Method != nil && *st.Method == MethodSMS &&
		now.Before(st.ExpiresAt) && st.Failures < maxAttempts
}

// Verdict is the outcome of one guess; the flow writes what it says in the
// transaction it read Stored in, and commits even when the guess was wrong
// so the failure counts.
type Verdict int

const (
	// Accepted: sign the user in. Clear the code (otp_hash = NULL), reset
	// the counter, set phone_number_verified.
	Accepted Verdict = iota + 1
	// Rejected: wrong code. Add one to the counter.
	Rejected
	// Locked: wrong code and no tries left (or the provider dropped the
	// verification). Add one to the counter and clear the code; the user
	// must ask for a new one.
	Locked
	// NoCode: there is no code to try (none, another method's, expired, or
	// locked). Write nothing; answer as for a wrong code.
	NoCode
)

func (v Verdict) String() string {
	switch v {
	case Accepted:
		return "accepted"
	case Rejected:
		return "rejected"
	case Locked:
		return "locked"
	case NoCode:
		return "no code"
	}
	return "unknown"
}

// CountsFailure reports whether the flow adds one to the attempt counter.
func (v Verdict) CountsFailure() bool { return v == Rejected || v == Locked }

// ClearsCode reports whether the flow sets otp_hash to NULL.
func (v Verdict) ClearsCode() bool { return v == Accepted || v == Locked }
