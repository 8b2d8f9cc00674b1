package passkeys

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/webauthn"
)

// BeginAddKey starts registering another key for the signed-in user (POST
// /user/webauthn/add); their keys are excluded, so an authenticator does
// not register twice. Whether elevation is needed is the route's access
// check (account.CheckElevatedToAddKey).
func (f *Flows) BeginAddKey(ctx context.Context, userID uuid.UUID) (*protocol.PublicKeyCredentialCreationOptions, error) {
	return beginFor(ctx, f, userID, f.keys.BeginAddKey)
}

// FinishAddKey verifies the registration answering the user's BeginAddKey
// and stores the key (POST /user/webauthn/verify).
func (f *Flows) FinishAddKey(ctx context.Context, userID uuid.UUID, credential json.RawMessage, nickname string) (*webauthn.Key, error) {
	var key *webauthn.Key
	err := f.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := signedIn(tx, userID); err != nil {
			return err
		}
		var err error
		if key, err = f.keys.FinishAddKey(ctx, tx, userID, credential, nickname); err != nil {
			return refusal(err)
		}
		return f.audit.Log(ctx, tx, audit.Event{Type: audit.SecurityKeyAdded, UserID: userID, Detail: map[string]any{"keyId": key.ID.String()}})
	})
	return key, err
}

// ListKeys lists the user's keys, oldest first (GET /user/webauthn/keys).
func (f *Flows) ListKeys(ctx context.Context, userID uuid.UUID) ([]webauthn.Key, error) {
	return f.keys.ListKeys(ctx, f.db, userID)
}

// RenameKey sets a key's nickname; "" removes it (PATCH
// /user/webauthn/keys/{id}).
func (f *Flows) RenameKey(ctx context.Context, userID, keyID uuid.UUID, nickname string) (*webauthn.Key, error) {
	var key *webauthn.Key
	err := f.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if key, err = f.keys.RenameKey(ctx, tx, userID, keyID, nickname); err != nil {
			return refusal(err)
		}
		return f.audit.Log(ctx, tx, audit.Event{Type: audit.SecurityKeyRenamed, UserID: userID, Detail: map[string]any{"keyId": keyID.String()}})
	})
	return key, err
}

// RemoveKey deletes one of the user's keys (DELETE
// /user/webauthn/keys/{id}), but not the last one of an account without a
// password: that would leave it no way to sign in but the email flows.
func (f *Flows) RemoveKey(ctx context.Context, userID, keyID uuid.UUID) error {
	return f.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The user's row is locked so that two removals cannot each leave
		// the other's key as the last.
		u, err := models.LockUserByID(tx, userID)
		if errors.Is(err, models.ErrNotFound) {
			return apierr.New(apierr.Unauthorized)
		}
		if err != nil {
			return err
		}
		keys, err := f.keys.ListKeys(ctx, tx, userID)
		if err != nil {
			return err
		}
		if len(keys) == 1 && keys[0].ID == keyID && u.PasswordHash == nil {
			return apierr.Invalid("This is the last security key of an account without a password: add another key or set a password first")
		}
		if err := f.keys.RemoveKey(ctx, tx, userID, keyID); err != nil {
			return refusal(err)
		}
		return f.audit.Log(ctx, tx, audit.Event{Type: audit.SecurityKeyRemoved, UserID: userID, Detail: map[string]any{"keyId": keyID.String()}})
	})
}
