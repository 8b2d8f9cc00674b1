package webauthn

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
)

// BeginElevate asks a signed-in user to prove one of their keys.
func (s *Service) BeginElevate(ctx context.Context, db *gorm.DB, userID uuid.UUID) (*protocol.PublicKeyCredentialRequestOptions, error) {
	u, err := models.FindUserByID(db.WithContext(ctx), userID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, ErrUserNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("webauthn: load user: %w", err)
	}
	return s.beginAssertion(ctx, db, ceremonyElevate, u)
}

// FinishElevate verifies the assertion answering the user's BeginElevate
// and updates the key's counter. On success the caller starts the elevated
// session; the key returned is the one proved.
func (s *Service) FinishElevate(ctx context.Context, db *gorm.DB, userID uuid.UUID, credential []byte) (*Key, error) {
	var out *Key
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		key, err := s.finishAssertion(tx, credential, ceremonyElevate, &userID)
		if err != nil {
			return err
		}
		k := key.key()
		out = &k
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
