package passkeys

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/session"
)

// BeginSignIn starts a sign-in (POST /signin/webauthn). With an email, the
// user's keys are offered, and a user who may not sign in is refused now;
// without one, any passkey of this site may answer (discoverable
// credentials: no email typed).
func (f *Flows) BeginSignIn(ctx context.Context, email string) (*protocol.PublicKeyCredentialRequestOptions, error) {
	if strings.TrimSpace(email) != "" {
		stored, err := account.ParseEmail(email)
		if err != nil {
			return nil, err
		}
		email = stored
	}
	opts, u, err := f.keys.BeginSignIn(ctx, f.db, email)
	if err == nil && u != nil {
		err = f.accounts.CheckSignIn(u)
	}
	if err != nil {
		err = refusal(err)
		f.failed(ctx, audit.SignInFailed, uuid.Nil, email, err)
		return nil, err
	}
	return opts, nil
}

// FinishSignIn verifies the assertion answering a BeginSignIn and starts a
// session for the key's user (POST /signin/webauthn/verify). The session is
// elevated: a key was just proved, which is what /elevate/webauthn asks.
func (f *Flows) FinishSignIn(ctx context.Context, credential json.RawMessage) (*session.Issued, error) {
	var (
		issued *session.Issued
		user   uuid.UUID
	)
	err := f.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		si, err := f.keys.FinishSignIn(ctx, tx, credential)
		if err != nil {
			return refusal(err)
		}
		user = si.User.ID
		if err := f.accounts.CheckSignIn(si.User); err != nil {
			return err
		}
		if issued, err = f.sessions.Start(tx, si.User, session.Elevated); err != nil {
			return err
		}
		return f.audit.Log(ctx, tx, audit.Event{Type: audit.SignIn, UserID: user, Detail: map[string]any{"method": method}})
	})
	if err != nil {
		f.counterRegressed(ctx, "sign-in", err)
		f.failed(ctx, audit.SignInFailed, user, "", err)
		return nil, err
	}
	return issued, nil
}
