package webauthn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// SignUpRequest is a sign-up to begin. The caller has checked it as it
// checks any sign-up (email allowed, options valid) before.
type SignUpRequest struct {
	Email string
	// DisplayName is what authenticators show beside the email; "" shows
	// the email.
	DisplayName string
	// Options are the sign-up options (nhost's SignUpOptions) as the client
	// sent them: this package keeps them with the challenge, unread, and
	// hands them back at the finish step. A JSON object, or empty.
	Options json.RawMessage
}

// BeginSignUp starts registering the first key of a user who does not
// exist yet. The user's id is chosen now (it is in the key's user handle);
// the user row is written by the caller after FinishSignUp.
func (s *Service) BeginSignUp(ctx context.Context, db *gorm.DB, req SignUpRequest) (*protocol.PublicKeyCredentialCreationOptions, error) {
	email := strings.TrimSpace(req.Email)
	if email == "" {
		return nil, refuse(ErrInvalidInput, "email is required")
	}
	options, err := objectOrEmpty(req.Options)
	if err != nil {
		return nil, err
	}
	display := strings.TrimSpace(req.DisplayName)
	if display == "" {
		display = email
	}
	pending := &pendingSignUp{UserID: uuid.New(), Email: email, DisplayName: display, Options: options}
	creation, session, err := s.lib.BeginRegistration(&user{id: pending.UserID, name: email, displayName: display})
	if err != nil {
		return nil, fmt.Errorf("webauthn: begin registration: %w", err)
	}
	if err := s.begin(ctx, db, ceremonySignUp, nil, session, pending); err != nil {
		return nil, err
	}
	return &creation.Response, nil
}

// SignUp is a verified sign-up: the user to create and their first key.
type SignUp struct {
	UserID      uuid.UUID // create the user with this id: it is in the key's user handle
	Email       string
	DisplayName string
	// Options are SignUpRequest.Options as given at the begin step; see
	// MergeOptions for those of the verify request.
	Options  json.RawMessage
	Nickname string

	cred *gowebauthn.Credential
}

// FinishSignUp verifies the registration answering a BeginSignUp and
// returns the user to create. The caller, in one transaction with this
// call: creates the user with SignUp.UserID (its unique email refuses a
// taken one), calls StoreSignUpKey, and starts the session.
func (s *Service) FinishSignUp(ctx context.Context, db *gorm.DB, credential []byte, nickname string) (*SignUp, error) {
	nick, err := checkNickname(nickname)
	if err != nil {
		return nil, err
	}
	var out *SignUp
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ch, cred, err := s.finishRegistration(tx, credential, ceremonySignUp, nil)
		if err != nil {
			return err
		}
		var p pendingSignUp
		if ch.SignUp == nil {
			return fmt.Errorf("webauthn: sign-up challenge without its user")
		}
		if err := json.Unmarshal([]byte(*ch.SignUp), &p); err != nil {
			return fmt.Errorf("webauthn: decode pending sign-up: %w", err)
		}
		out = &SignUp{UserID: p.UserID, Email: p.Email, DisplayName: p.DisplayName, Options: p.Options, Nickname: nick, cred: cred}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// StoreSignUpKey stores the key of a finished sign-up once its user exists.
func (s *Service) StoreSignUpKey(ctx context.Context, tx *gorm.DB, su *SignUp) (*Key, error) {
	if su == nil || su.cred == nil {
		return nil, fmt.Errorf("webauthn: StoreSignUpKey needs the result of FinishSignUp")
	}
	now := s.now()
	id, err := insertKey(tx.WithContext(ctx), newKeyFrom(su.UserID, su.cred, su.Nickname), now)
	if err != nil {
		return nil, err
	}
	row, err := keyByID(tx.WithContext(ctx), su.UserID, id)
	if err != nil {
		return nil, err
	}
	k := row.key()
	return &k, nil
}

// MergeOptions lays the options of a verify request over those of its
// begin request: each member the verify request sets replaces the begun
// one, whole (metadata included). Either may be empty; both must be JSON
// objects otherwise. The caller validates the result as at sign-up.
func MergeOptions(begun, verify json.RawMessage) (json.RawMessage, error) {
	a, err := objectOrEmpty(begun)
	if err != nil {
		return nil, err
	}
	b, err := objectOrEmpty(verify)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return a, nil
	}
	if a == nil {
		return b, nil
	}
	var merged map[string]json.RawMessage
	if err := json.Unmarshal(a, &merged); err != nil {
		return nil, refuse(ErrInvalidInput, "options: %v", err)
	}
	var over map[string]json.RawMessage
	if err := json.Unmarshal(b, &over); err != nil {
		return nil, refuse(ErrInvalidInput, "options: %v", err)
	}
	for k, v := range over {
		merged[k] = v
	}
	out, err := json.Marshal(merged)
	if err != nil {
		return nil, refuse(ErrInvalidInput, "options: %v", err)
	}
	return out, nil
}

// objectOrEmpty returns raw compacted when it is a JSON object, nil when it
// is empty or null, and ErrInvalidInput otherwise.
func objectOrEmpty(raw json.RawMessage) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil, nil
	}
	if trimmed[0] != '{' || !json.Valid(trimmed) {
		return nil, refuse(ErrInvalidInput, "options must be a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return nil, refuse(ErrInvalidInput, "options: %v", err)
	}
	return buf.Bytes(), nil
}
