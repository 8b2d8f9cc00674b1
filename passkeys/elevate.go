package passkeys

import (
	"context"
	"encoding/json"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/session"
)

// BeginElevate asks the signed-in user to prove one of their keys (POST
// /elevate/webauthn).
func (f *Flows) BeginElevate(ctx context.Context, userID uuid.UUID) (*protocol.PublicKeyCredentialRequestOptions, error) {
	return beginFor(ctx, f, userID, f.keys.BeginElevate)
}

// FinishElevate verifies the assertion answering the user's BeginElevate
// and starts a session whose access token carries the elevated claim (POST
// /elevate/webauthn/verify), as /elevate/password and /elevate/totp do.
func (f *Flows) FinishElevate(ctx context.Context, userID uuid.UUID, credential json.RawMessage) (*session.Issued, error) {
	var issued *session.Issued
	err := f.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := signedIn(tx, userID)
		if err != nil {
			return err
		}
		if _, err := f.keys.FinishElevate(ctx, tx, userID, credential); err != nil {
			return refusal(err)
		}
		issued, err = f.sessions.Start(tx, u, session.Elevated)
		return err
	})
	if err != nil {
		f.counterRegressed(ctx, "elevate", err)
		return nil, err
	}
	return issued, nil
}
