package oidcprovider

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/oauth2"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
)

// TokenResponse is RFC 6749's successful token response (nhost's
// OAuth2TokenResponse).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// Token answers the token endpoint: form is the request's body, cc how the
// client identified itself.
func (s *Service) Token(ctx context.Context, form url.Values, cc ClientCredentials) (*TokenResponse, error) {
	grant, err := param(form, "grant_type")
	if err != nil {
		return nil, err
	}
	switch grant {
	case "authorization_code":
		return s.exchangeCode(ctx, form, cc)
	case "refresh_token":
		return s.refresh(ctx, form, cc)
	case "":
		return nil, apierr.Newf(apierr.OAuthInvalidRequest, "grant_type is required")
	}
	return nil, apierr.New(apierr.OAuthUnsupportedGrantType)
}

// exchangeCode is the authorization_code grant. The code is taken at the
// first attempt, whatever its outcome, so a code is exchanged at most once;
// a second attempt revokes what the first one issued (RFC 6749 4.1.2). The
// grant and its tokens are written and signed in one transaction.
func (s *Service) exchangeCode(ctx context.Context, form url.Values, cc ClientCredentials) (*TokenResponse, error) {
	var code, redirectURI, verifier string
	for _, p := range []struct {
		name string
		dst  *string
	}{{"code", &code}, {"redirect_uri", &redirectURI}, {"code_verifier", &verifier}} {
		v, err := param(form, p.name)
		if err != nil {
			return nil, err
		}
		*p.dst = v
	}
	if code == "" {
		return nil, apierr.Newf(apierr.OAuthInvalidRequest, "code is required")
	}
	if redirectURI == "" {
		return nil, apierr.Newf(apierr.OAuthInvalidRequest, "redirect_uri is required: the one the authorization request had")
	}
	client, err := s.authenticate(ctx, cc)
	if err != nil {
		return nil, err
	}
	var (
		out     *TokenResponse
		refused error // the request is refused, and the code stays taken: commit
	)
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		taken, err := models.ConsumeOAuth2Code(tx, hashToken(code), now)
		if errors.Is(err, models.ErrNotFound) {
			refused = apierr.Newf(apierr.OAuthInvalidGrant, "Unknown authorization code")
			return nil
		}
		if err != nil {
			return err
		}
		if taken.PreviouslyConsumed != nil {
			n, err := models.DeleteOAuth2RefreshTokensOfRequest(tx, taken.AuthRequestID)
			if err != nil {
				return err
			}
			s.log.Warn("authorization code exchanged twice: its grants are revoked", "client_id", client.ClientID, "revoked", n)
			refused = apierr.Newf(apierr.OAuthInvalidGrant, "The authorization code was already used; the tokens it gave are revoked")
			return nil
		}
		if !now.Before(taken.ExpiresAt) {
			refused = apierr.Newf(apierr.OAuthInvalidGrant, "The authorization code has expired")
			return nil
		}
		req, err := models.FindOAuth2AuthRequest(tx, taken.AuthRequestID)
		if err != nil {
			return err
		}
		if refused = checkExchange(client.ClientID, req, redirectURI, verifier); refused != nil {
			return nil
		}
		user, err := s.activeUser(tx, *req.UserID)
		if refused = refusal(err); refused != nil || err != nil {
			return nilIfRefused(refused, err)
		}
		g := &models.OAuth2RefreshToken{
			AuthRequestID: &req.ID, ClientID: client.ClientID, UserID: user.ID, Scopes: req.Scopes,
			CreatedAt: now, ExpiresAt: now.Add(s.refreshTTL), AuthTime: req.AuthTime,
		}
		refresh := newSecret()
		if err := models.InsertOAuth2RefreshToken(tx, g, hashToken(refresh)); err != nil {
			return fmt.Errorf("store refresh token: %w", err)
		}
		out, err = s.issue(ctx, tx, issuance{grant: g, user: user, scopes: req.Scopes, nonce: req.Nonce, at: now, refresh: refresh})
		return err
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return out, nil
}

// checkExchange binds a code to what its authorization request said: the
// client, the redirect URI, and the PKCE challenge (RFC 7636 4.6; a
// verifier for a request without a challenge is refused too, RFC 9700 2.1.1).
func checkExchange(clientID string, req *models.OAuth2AuthRequest, redirectURI, verifier string) error {
	switch {
	case req.ClientID != clientID:
		return apierr.Newf(apierr.OAuthInvalidGrant, "The authorization code was issued to another client")
	case req.RedirectURI != redirectURI:
		return apierr.Newf(apierr.OAuthInvalidGrant, "redirect_uri differs from the authorization request's")
	case req.UserID == nil:
		return apierr.Newf(apierr.OAuthInvalidGrant, "The authorization request was not completed")
	case req.CodeChallenge == nil && verifier != "":
		return apierr.Newf(apierr.OAuthInvalidGrant, "code_verifier sent, but the authorization request had no code_challenge")
	case req.CodeChallenge == nil:
		return nil
	case verifier == "":
		return apierr.Newf(apierr.OAuthInvalidGrant, "code_verifier is required: the authorization request had a code_challenge")
	case !validVerifier(verifier):
		return apierr.Newf(apierr.OAuthInvalidGrant, "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
	}
	want := oauth2.S256ChallengeFromVerifier(verifier)
	if subtle.ConstantTimeCompare([]byte(want), []byte(*req.CodeChallenge)) != 1 {
		return apierr.Newf(apierr.OAuthInvalidGrant, "code_verifier does not match the code_challenge")
	}
	return nil
}

// validVerifier: RFC 7636 4.1, code-verifier = 43*128unreserved.
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0) {
			return false
		}
	}
	return true
}

// refresh is the refresh_token grant: the presented token is rotated (the
// grant keeps its row; the old token goes to the history). Presenting a
// retired token is a replay: the grant is revoked, as for sessions.
func (s *Service) refresh(ctx context.Context, form url.Values, cc ClientCredentials) (*TokenResponse, error) {
	presented, err := param(form, "refresh_token")
	if err != nil {
		return nil, err
	}
	if presented == "" {
		return nil, apierr.Newf(apierr.OAuthInvalidRequest, "refresh_token is required")
	}
	rawScope, err := param(form, "scope")
	if err != nil {
		return nil, err
	}
	asked, err := parseScope(rawScope)
	if err != nil {
		return nil, err
	}
	client, err := s.authenticate(ctx, cc)
	if err != nil {
		return nil, err
	}
	hash := hashToken(presented)
	var (
		out      *TokenResponse
		refused  error
		replayed *models.OAuth2RefreshToken
	)
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		g, err := models.LockOAuth2RefreshTokenByHash(tx, hash)
		if errors.Is(err, models.ErrNotFound) {
			g, err = models.LockOAuth2GrantByRetiredHash(tx, hash)
			switch {
			case errors.Is(err, models.ErrNotFound):
				refused = apierr.Newf(apierr.OAuthInvalidGrant, "Unknown refresh token")
				return nil
			case err != nil:
				return err
			case g.ClientID != client.ClientID:
				refused = apierr.Newf(apierr.OAuthInvalidGrant, "The refresh token was issued to another client")
				return nil
			}
			if _, err := models.DeleteOAuth2RefreshToken(tx, g.ID); err != nil {
				return err
			}
			replayed = g
			refused = apierr.Newf(apierr.OAuthInvalidGrant, "The refresh token was already used: the grant is revoked, sign in again")
			// With the revocation it records.
			return s.audit.Log(ctx, tx, audit.Event{Type: audit.RefreshReuse, UserID: g.UserID, Actor: audit.ActorSystem,
				Detail: map[string]any{"clientId": g.ClientID, "grantId": g.ID}})
		}
		if err != nil {
			return err
		}
		switch {
		case g.ClientID != client.ClientID:
			refused = apierr.Newf(apierr.OAuthInvalidGrant, "The refresh token was issued to another client")
			return nil
		case !now.Before(g.ExpiresAt):
			refused = apierr.Newf(apierr.OAuthInvalidGrant, "The refresh token has expired")
			return nil
		}
		scopes := g.Scopes
		if len(asked) > 0 {
			// A client may narrow what it was granted, never widen it (RFC 6749 section 6).
			for _, sc := range asked {
				if !slices.Contains(g.Scopes, sc) {
					refused = apierr.Newf(apierr.OAuthInvalidScope, "Scope "+quote(sc)+" was not granted")
					return nil
				}
			}
			scopes = asked
		}
		user, err := s.activeUser(tx, g.UserID)
		if refused = refusal(err); refused != nil || err != nil {
			return nilIfRefused(refused, err)
		}
		next := newSecret()
		expires := now.Add(s.refreshTTL)
		rotated, err := models.RotateOAuth2RefreshToken(tx, g.ID, hash, hashToken(next), now, expires, keepGenerations)
		if err != nil {
			return fmt.Errorf("rotate refresh token: %w", err)
		}
		if !rotated { // cannot happen under the row lock; refuse rather than issue
			refused = apierr.Newf(apierr.OAuthInvalidGrant, "Unknown refresh token")
			return nil
		}
		g.ExpiresAt = expires
		out, err = s.issue(ctx, tx, issuance{grant: g, user: user, scopes: scopes, at: now, refresh: next})
		return err
	})
	if err != nil {
		return nil, err
	}
	if replayed != nil {
		s.log.Warn("refresh token reuse detected: the application's grant is revoked",
			"client_id", replayed.ClientID, "user_id", replayed.UserID, "grant_id", replayed.ID, "generation", replayed.Generation)
	}
	if refused != nil {
		return nil, refused
	}
	return out, nil
}

// activeUser loads a grant's user, who must still exist and be enabled.
func (s *Service) activeUser(tx *gorm.DB, id uuid.UUID) (*models.User, error) {
	u, err := models.FindUserByID(tx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.Newf(apierr.OAuthInvalidGrant, "The user no longer exists")
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, apierr.Newf(apierr.OAuthInvalidGrant, "The user is disabled")
	}
	return u, nil
}

// refusal is err when it refuses the request (an API error), else nil.
func refusal(err error) error {
	var e *apierr.Error
	if errors.As(err, &e) {
		return err
	}
	return nil
}

// nilIfRefused ends a transaction that refused the request (committing what
// the refusal itself wrote) or failed (rolling back).
func nilIfRefused(refused, err error) error {
	if refused != nil {
		return nil
	}
	return err
}
