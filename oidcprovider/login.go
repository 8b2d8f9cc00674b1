package oidcprovider

import (
	"context"
	"errors"
	"net/url"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
)

// The login step happens in the application's front end (the login URL):
// it reads the pending request (GET /oauth2/login), signs the user in as it
// always does, asks for consent, and completes the request with the user's
// session token (POST /oauth2/login). Errors here are nhost's ErrorResponse.

// ParseRequestID reads a request_id / requestId.
func ParseRequestID(raw string) (uuid.UUID, error) {
	id, err := uuid.Parse(raw)
	if err != nil || raw == "" {
		return uuid.Nil, apierr.Invalid("requestId must be the request_id the login URL was given (a UUID)")
	}
	return id, nil
}

// pending finds an authorization request the user may still complete.
func (s *Service) pending(ctx context.Context, id uuid.UUID) (*models.OAuth2AuthRequest, error) {
	r, err := models.FindOAuth2AuthRequest(s.db.WithContext(ctx), id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.Invalid("Unknown authorization request")
	}
	if err != nil {
		return nil, err
	}
	if !s.now().Before(r.ExpiresAt) {
		return nil, apierr.Invalid("The authorization request has expired: start again from the application")
	}
	return r, nil
}

// LoginRequest returns what the login UI shows of a pending request.
func (s *Service) LoginRequest(ctx context.Context, id uuid.UUID) (*LoginRequest, error) {
	r, err := s.pending(ctx, id)
	if err != nil {
		return nil, err
	}
	return &LoginRequest{RequestID: r.ID, ClientID: r.ClientID, Scopes: r.Scopes, RedirectURI: r.RedirectURI}, nil
}

// CompleteLogin gives the request its user (the holder of the session the
// login UI sends) and a code, and returns where the login UI sends the user
// back: the client's redirect URI with code, state and iss (RFC 9207).
func (s *Service) CompleteLogin(ctx context.Context, id, userID uuid.UUID) (string, error) {
	r, err := s.pending(ctx, id)
	if err != nil {
		return "", err
	}
	if r.Done {
		return "", apierr.Invalid("The authorization request is already completed")
	}
	u, err := models.FindUserByID(s.db.WithContext(ctx), userID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return "", apierr.New(apierr.Unauthorized)
	case err != nil:
		return "", err
	case u.Disabled:
		return "", apierr.New(apierr.DisabledUser)
	case u.IsAnonymous:
		// An application gets an identity; an anonymous user has none to give.
		return "", apierr.New(apierr.ForbiddenAnonymous)
	}
	code := newSecret()
	now := s.now()
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ok, err := models.CompleteOAuth2AuthRequest(tx, id, userID, now, hashToken(code), now.Add(CodeTTL))
		if err != nil {
			return err
		}
		if !ok { // completed or expired since pending read it
			return apierr.Invalid("The authorization request is already completed")
		}
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.OAuth2Authorized, UserID: userID,
			Detail: map[string]any{"clientId": r.ClientID, "scopes": r.Scopes}})
	})
	if err != nil {
		return "", err
	}
	back, err := url.Parse(r.RedirectURI)
	if err != nil {
		return "", err
	}
	q := back.Query()
	q.Set("code", code)
	if r.State != nil {
		q.Set("state", *r.State)
	}
	q.Set("iss", s.issuer)
	back.RawQuery = q.Encode()
	return back.String(), nil
}
