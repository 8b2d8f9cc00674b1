package handlers

import (
	"time"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/session"
)

// User is the contract's User object.
type User struct {
	AvatarURL           string         `json:"avatarUrl"`
	CreatedAt           time.Time      `json:"createdAt"`
	DefaultRole         string         `json:"defaultRole"`
	DisplayName         string         `json:"displayName"`
	Email               *string        `json:"email,omitempty"`
	EmailVerified       bool           `json:"emailVerified"`
	ID                  string         `json:"id"`
	IsAnonymous         bool           `json:"isAnonymous"`
	Locale              string         `json:"locale"`
	Metadata            map[string]any `json:"metadata"`
	PhoneNumber         *string        `json:"phoneNumber,omitempty"`
	PhoneNumberVerified bool           `json:"phoneNumberVerified"`
	Roles               []string       `json:"roles"`
	ActiveMfaType       *string        `json:"activeMfaType"`
}

// Session is the contract's Session object.
type Session struct {
	AccessToken          string `json:"accessToken"`
	AccessTokenExpiresIn int64  `json:"accessTokenExpiresIn"`
	RefreshTokenID       string `json:"refreshTokenId"`
	RefreshToken         string `json:"refreshToken"`
	User                 *User  `json:"user,omitempty"`
}

// SessionPayload is {"session": Session|null}.
type SessionPayload struct {
	Session *Session `json:"session"`
}

func userJSON(u *models.User) *User {
	meta := map[string]any(u.Metadata)
	if meta == nil {
		meta = map[string]any{}
	}
	return &User{
		AvatarURL:           u.AvatarURL,
		CreatedAt:           u.CreatedAt.UTC(),
		DefaultRole:         u.DefaultRole,
		DisplayName:         u.DisplayName,
		Email:               u.Email,
		EmailVerified:       u.EmailVerified,
		ID:                  u.ID.String(),
		IsAnonymous:         u.IsAnonymous,
		Locale:              u.Locale,
		Metadata:            meta,
		PhoneNumber:         u.PhoneNumber,
		PhoneNumberVerified: u.PhoneNumberVerified,
		Roles:               u.RoleNames(),
		ActiveMfaType:       u.ActiveMFAType,
	}
}

func sessionJSON(s *session.Issued) *Session {
	if s == nil {
		return nil
	}
	return &Session{
		AccessToken:          s.AccessToken,
		AccessTokenExpiresIn: s.ExpiresIn,
		RefreshTokenID:       s.RefreshTokenID.String(),
		RefreshToken:         s.RefreshToken,
		User:                 userJSON(s.User),
	}
}
