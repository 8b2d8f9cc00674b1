package webauthn

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	gowebauthn "github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
)

// BeginAddKey starts registering another key for a signed-in user; the
// keys they have are excluded, so an authenticator does not register twice.
func (s *Service) BeginAddKey(ctx context.Context, db *gorm.DB, userID uuid.UUID) (*protocol.PublicKeyCredentialCreationOptions, error) {
	u, err := models.FindUserByID(db.WithContext(ctx), userID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, ErrUserNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("webauthn: load user: %w", err)
	}
	rows, err := keysOf(db.WithContext(ctx), userID)
	if err != nil {
		return nil, err
	}
	entity := &user{id: u.ID, name: accountName(u), displayName: u.DisplayName, creds: credentials(rows, nil, 0)}
	if entity.displayName == "" {
		entity.displayName = entity.name
	}
	creation, session, err := s.lib.BeginRegistration(entity, gowebauthn.WithExclusions(descriptors(entity.creds)))
	if err != nil {
		return nil, fmt.Errorf("webauthn: begin registration: %w", err)
	}
	if err := s.begin(ctx, db, ceremonyAddKey, &u.ID, session, nil); err != nil {
		return nil, err
	}
	return &creation.Response, nil
}

// FinishAddKey verifies the registration answering the user's BeginAddKey
// and stores the key.
func (s *Service) FinishAddKey(ctx context.Context, db *gorm.DB, userID uuid.UUID, credential []byte, nickname string) (*Key, error) {
	nick, err := checkNickname(nickname)
	if err != nil {
		return nil, err
	}
	var out *Key
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, cred, err := s.finishRegistration(tx, credential, ceremonyAddKey, &userID)
		if err != nil {
			return err
		}
		id, err := insertKey(tx, newKeyFrom(userID, cred, nick), s.now())
		if err != nil {
			return err
		}
		row, err := keyByID(tx, userID, id)
		if err != nil {
			return err
		}
		k := row.key()
		out = &k
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// accountName is the account as authenticators list it: the email, else
// the phone number, else the display name.
func accountName(u *models.User) string {
	switch {
	case u.Email != nil && *u.Email != "":
		return *u.Email
	case u.PhoneNumber != nil && *u.PhoneNumber != "":
		return *u.PhoneNumber
	case u.DisplayName != "":
		return u.DisplayName
	}
	return u.ID.String()
}
