// Package passkeys runs the WebAuthn routes, nhost's and ours: signing up
// and in with a passkey or security key, adding one to an account, elevating
// a session with one, and listing, renaming and removing one's keys.
//
// The ceremonies and the keys' storage are package webauthn's. This package
// puts them together with what every sign-up and sign-in goes through
// (package account: sign-up checks and user creation, the checks of a user
// signing in), sessions (package session) and the audit trail; each finish
// step is one transaction, so a refusal anywhere writes nothing. It also
// turns the ceremonies' refusals into the API's errors (refusal).
package passkeys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/session"
	"github.com/hasura-auth-go/auth/webauthn"
)

// Flows runs the WebAuthn routes for one relying party.
type Flows struct {
	db       *gorm.DB
	keys     *webauthn.Service
	accounts *account.Service
	sessions *session.Service
	audit    *audit.Recorder
}

// Options are what Flows depend on.
type Options struct {
	DB       *gorm.DB
	Config   webauthn.Config // AUTH_WEBAUTHN_*; Enabled must be true
	Accounts *account.Service
	Sessions *session.Service
	Audit    *audit.Recorder
	Now      func() time.Time // nil: time.Now; decides when challenges expire
}

// New returns the flows of the relying party o.Config describes.
func New(o Options) (*Flows, error) {
	if o.DB == nil || o.Accounts == nil || o.Sessions == nil || o.Audit == nil {
		return nil, errors.New("passkeys: the database, account and session services and an audit recorder are required")
	}
	keys, err := webauthn.New(o.Config, o.Now)
	if err != nil {
		return nil, err
	}
	return &Flows{db: o.DB, keys: keys, accounts: o.Accounts, sessions: o.Sessions, audit: o.Audit}, nil
}

// method is the sign-in method audit events name.
const method = "webauthn"

// signedIn loads the holder of an access token for a change to their keys
// or their session: anonymous and disabled users may do neither.
func signedIn(tx *gorm.DB, userID uuid.UUID) (*models.User, error) {
	u, err := models.FindUserByID(tx, userID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, apierr.New(apierr.Unauthorized)
	case err != nil:
		return nil, err
	case u.IsAnonymous:
		return nil, apierr.New(apierr.ForbiddenAnonymous)
	case u.Disabled:
		return nil, apierr.New(apierr.DisabledUser)
	}
	return u, nil
}

// beginFor begins a ceremony for the signed-in user.
func beginFor[T any](ctx context.Context, f *Flows, userID uuid.UUID, begin func(context.Context, *gorm.DB, uuid.UUID) (T, error)) (T, error) {
	if _, err := signedIn(f.db.WithContext(ctx), userID); err != nil {
		var none T
		return none, err
	}
	opts, err := begin(ctx, f.db, userID)
	return opts, refusal(err)
}

// messages are the answers to the ceremonies' refusals: all 400
// invalid-request, as hasura-auth answers them, each saying what went wrong.
var messages = map[*webauthn.Error]string{
	webauthn.ErrMalformed:          "The credential is not a well-formed WebAuthn response",
	webauthn.ErrChallengeUnknown:   "No WebAuthn ceremony was begun with this challenge: begin again",
	webauthn.ErrChallengeExpired:   "The WebAuthn challenge expired (AUTH_WEBAUTHN_ATTESTATION_TIMEOUT): begin again",
	webauthn.ErrChallengeUsed:      "The WebAuthn challenge was already used: begin again",
	webauthn.ErrChallengeMismatch:  "The WebAuthn challenge was issued for another ceremony or another user",
	webauthn.ErrWrongOrigin:        "The WebAuthn ceremony ran on an origin that is not allowed (AUTH_WEBAUTHN_RP_ORIGINS)",
	webauthn.ErrWrongRPID:          "The credential was made for another relying party than AUTH_WEBAUTHN_RP_ID",
	webauthn.ErrVerification:       "The credential did not verify",
	webauthn.ErrUnknownCredential:  "No account has this security key",
	webauthn.ErrCredentialNotOwned: "This security key is not one of this account's",
	webauthn.ErrCounterRegression:  "The security key's signature counter went backwards: the key may have been cloned",
	webauthn.ErrCredentialInUse:    "This security key is already registered",
	webauthn.ErrNoKeys:             "This account has no security key",
	webauthn.ErrKeyNotFound:        "You have no security key with this id",
}

// refusal turns an error of package webauthn into the API's: a 400
// invalid-request naming the problem (the detail goes to the log), except
// for an unknown user, which is what hasura-auth answers for an unknown
// email. Other errors pass unchanged.
func refusal(err error) error {
	var we *webauthn.Error
	if err == nil || !errors.As(err, &we) {
		return err
	}
	var e *apierr.Error
	switch msg, ok := messages[we]; {
	case we == webauthn.ErrUserNotFound:
		e = apierr.New(apierr.InvalidEmailPassword)
	case we == webauthn.ErrInvalidInput:
		// Its detail says which input, and holds nothing but the rule broken.
		e = apierr.Invalid(upperFirst(strings.TrimPrefix(err.Error(), webauthn.ErrInvalidInput.Error()+": ")))
	case ok:
		e = apierr.Invalid(msg)
	default:
		return err
	}
	e.Cause = err
	return e
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// signUpOptions reads the options of a sign-up request strictly, as the
// handlers read request bodies. Absent or null: none.
func signUpOptions(raw json.RawMessage) (*account.SignUpOptions, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var o account.SignUpOptions
	if err := dec.Decode(&o); err != nil {
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typ) && typ.Field != "":
			return nil, apierr.Invalid(fmt.Sprintf(`"options.%s" has the wrong type`, typ.Field))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return nil, apierr.Invalid(`"options" has an unknown field ` + strings.TrimPrefix(err.Error(), "json: unknown field "))
		}
		return nil, apierr.Invalid(`"options" must be an object of sign-up options`)
	}
	return &o, nil
}

// failed records a refused sign-up or sign-in when the refusal says
// something about the account or the key: a check of the user (401, 403,
// 409), or a ceremony that failed past its input. Malformed input and
// unknown challenges are no attempt worth a row.
func (f *Flows) failed(ctx context.Context, typ audit.Type, userID uuid.UUID, email string, err error) {
	reason := ""
	switch code := webauthn.Code(err); code {
	case "":
		e := apierr.As(err)
		if e.Status != 401 && e.Status != 403 && e.Status != 409 {
			return
		}
		reason = e.Code
	case webauthn.ErrMalformed.Code(), webauthn.ErrInvalidInput.Code(), webauthn.ErrChallengeUnknown.Code():
		return
	default:
		reason = code
	}
	_ = f.audit.Log(ctx, nil, audit.Event{Type: typ, UserID: userID, Email: email, Detail: map[string]any{"method": method, "reason": reason}})
}

// counterRegressed records a signature counter that went backwards: the
// ceremony's transaction rolled back, so through the queue.
func (f *Flows) counterRegressed(ctx context.Context, ceremony string, err error) {
	var ce *webauthn.CounterError
	if !errors.As(err, &ce) {
		return
	}
	_ = f.audit.Log(ctx, nil, audit.Event{Type: audit.SecurityKeyCounterRegression, UserID: ce.UserID, Detail: map[string]any{
		"keyId": ce.KeyID.String(), "stored": ce.Stored, "presented": ce.Presented, "ceremony": ceremony,
	}})
}
