package passkeys

import (
	"context"
	"encoding/json"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/session"
	"github.com/hasura-auth-go/auth/webauthn"
)

// BeginSignUp starts a sign-up with a passkey (POST /signup/webauthn): the
// checks of any sign-up first (options, allowed and free email), then the
// options the browser creates the credential with. options are the
// request's, kept unread with the challenge until the verify step.
func (f *Flows) BeginSignUp(ctx context.Context, email string, options json.RawMessage) (*protocol.PublicKeyCredentialCreationOptions, error) {
	o, err := signUpOptions(options)
	if err != nil {
		return nil, err
	}
	stored, display, err := f.accounts.CheckSignUp(ctx, email, o)
	if err != nil {
		f.failed(ctx, audit.SignUpFailed, uuid.Nil, email, err)
		return nil, err
	}
	email = stored
	creation, err := f.keys.BeginSignUp(ctx, f.db, webauthn.SignUpRequest{Email: email, DisplayName: display, Options: options})
	return creation, refusal(err)
}

// FinishSignUp verifies the credential answering a BeginSignUp and creates
// the user with it (POST /signup/webauthn/verify). options, when given,
// replace the begin request's member by member, as nhost's verify request
// allows. The session is nil when the email must be verified first (the
// verification mail is sent) or new users start disabled.
func (f *Flows) FinishSignUp(ctx context.Context, credential, options json.RawMessage, nickname string) (*session.Issued, error) {
	if _, err := signUpOptions(options); err != nil {
		return nil, err
	}
	var email string
	issued, err := f.accounts.SignUpWithCredential(ctx, func(tx *gorm.DB) (*account.CredentialSignUp, error) {
		su, err := f.keys.FinishSignUp(ctx, tx, credential, nickname)
		if err != nil {
			return nil, refusal(err)
		}
		email = su.Email
		merged, err := webauthn.MergeOptions(su.Options, options)
		if err != nil {
			return nil, refusal(err)
		}
		o, err := signUpOptions(merged)
		if err != nil {
			return nil, err
		}
		return &account.CredentialSignUp{UserID: su.UserID, Method: method, Email: su.Email, Options: o, Store: func(tx *gorm.DB) error {
			_, err := f.keys.StoreSignUpKey(ctx, tx, su)
			return refusal(err)
		}}, nil
	})
	if err != nil {
		f.failed(ctx, audit.SignUpFailed, uuid.Nil, email, err)
		return nil, err
	}
	return issued, nil // its audit row was written with the user (account.SignUpWithCredential)
}
