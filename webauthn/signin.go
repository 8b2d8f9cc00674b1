package webauthn

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
)

// BeginSignIn starts a sign-in. With an email, the user's keys are offered
// (allowCredentials) and the returned user is theirs: refuse a disabled or
// unverified user before sending the options. Without one, any discoverable
// credential (passkey) of this RP may answer, and the user is nil.
func (s *Service) BeginSignIn(ctx context.Context, db *gorm.DB, email string) (*protocol.PublicKeyCredentialRequestOptions, *models.User, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		assertion, session, err := s.lib.BeginDiscoverableLogin()
		if err != nil {
			return nil, nil, fmt.Errorf("webauthn: begin discoverable login: %w", err)
		}
		if err := s.begin(ctx, db, ceremonySignIn, nil, session, nil); err != nil {
			return nil, nil, err
		}
		return &assertion.Response, nil, nil
	}
	u, err := models.FindUserByEmail(db.WithContext(ctx), email)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, ErrUserNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("webauthn: find user: %w", err)
	}
	opts, err := s.beginAssertion(ctx, db, ceremonySignIn, u)
	if err != nil {
		return nil, nil, err
	}
	return opts, u, nil
}

// SignIn is a verified sign-in.
type SignIn struct {
	User *models.User // with roles; check it as any sign-in does, then start a session
	Key  Key          // the key used
}

// FinishSignIn verifies the assertion answering a BeginSignIn, updates the
// key's counter, and returns whose key it was. For a discoverable sign-in
// the user handle names the user, and the key must be theirs.
func (s *Service) FinishSignIn(ctx context.Context, db *gorm.DB, credential []byte) (*SignIn, error) {
	var out *SignIn
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		key, err := s.finishAssertion(tx, credential, ceremonySignIn, nil)
		if err != nil {
			return err
		}
		u, err := models.FindUserByID(tx, key.UserID)
		if errors.Is(err, models.ErrNotFound) {
			return ErrUserNotFound
		}
		if err != nil {
			return fmt.Errorf("webauthn: load user: %w", err)
		}
		out = &SignIn{User: u, Key: key.key()}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// beginAssertion offers u's keys for an assertion bound to u.
func (s *Service) beginAssertion(ctx context.Context, db *gorm.DB, ceremony string, u *models.User) (*protocol.PublicKeyCredentialRequestOptions, error) {
	rows, err := keysOf(db.WithContext(ctx), u.ID)
	if err != nil {
		return nil, err
	}
	creds := credentials(rows, nil, 0)
	if len(creds) == 0 {
		return nil, ErrNoKeys
	}
	assertion, session, err := s.lib.BeginLogin(&user{id: u.ID, creds: creds})
	if err != nil {
		return nil, fmt.Errorf("webauthn: begin login: %w", err)
	}
	if err := s.begin(ctx, db, ceremony, &u.ID, session, nil); err != nil {
		return nil, err
	}
	return &assertion.Response, nil
}
