package social

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/hasura-auth-go/auth/secretbox"
)

// The provider's own tokens (nhost's provider sessions). A sign-in or
// connect keeps what the provider granted on its link (auth.user_providers:
// access_token and refresh_token sealed under AUTH_ENCRYPTION_KEY, bound to
// the row and column; access_token_expires_at). The application reads them
// once, right after the callback (TakeTokens); they are then cleared, and
// the application keeps them. Later it trades the refresh token for new
// tokens (RefreshTokens): only the user the provider granted it to may, as
// the link keeps the refresh token's hash (refresh_token_hash) after the
// read. Without this binding, any signed-in user could have this server,
// which holds the client secret, redeem a refresh token stolen elsewhere.

// ProviderSession is what a provider granted, for the application
// (nhost's ProviderSession).
type ProviderSession struct {
	AccessToken string
	// RefreshToken is "" when the provider granted none.
	RefreshToken string
	// ExpiresAt is when AccessToken expires, and ExpiresIn the seconds
	// until then (0 once past). When the provider did not say, ExpiresIn
	// is 0 and ExpiresAt now, as nhost answers.
	ExpiresAt time.Time
	ExpiresIn int64
}

// providerSession is t for the application at now.
func providerSession(t providers.Token, now time.Time) *ProviderSession {
	out := &ProviderSession{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, ExpiresAt: now.UTC()}
	if !t.Expiry.IsZero() {
		out.ExpiresAt = t.Expiry.UTC()
		out.ExpiresIn = max(0, int64(t.Expiry.Sub(now).Round(time.Second)/time.Second))
	}
	return out
}

// errTokensNotKept: no key, so no provider token was ever kept.
func errTokensNotKept() error {
	return apierr.Newf(apierr.DisabledEndpoint, "Provider tokens are kept only when AUTH_ENCRYPTION_KEY is set")
}

// refreshTokenHash is what a link keeps of a refresh token: enough to
// recognise it, not to use it. Refresh tokens are long random strings: a
// plain SHA-256 cannot be reversed.
func refreshTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TakeTokens returns, once, the tokens of the user's last sign-in (or
// connect) with provider, and clears them.
func (s *Service) TakeTokens(ctx context.Context, userID uuid.UUID, provider string) (*ProviderSession, error) {
	if s.secrets == nil {
		return nil, errTokensNotKept()
	}
	var out *ProviderSession
	// One transaction: the tokens are cleared only if they could be opened.
	// The row lock makes a concurrent read wait, then find them gone.
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var (
			rowID     uuid.UUID
			access    string
			refresh   sql.NullString
			expiresAt sql.NullTime
		)
		err := tx.Raw(`SELECT id, access_token, refresh_token, access_token_expires_at FROM auth.user_providers
WHERE user_id = ? AND provider_id = ? AND starts_with(access_token, ?)
ORDER BY updated_at DESC LIMIT 1 FOR UPDATE`, userID, provider, secretbox.Prefix).Row().Scan(&rowID, &access, &refresh, &expiresAt)
		if errors.Is(err, sql.ErrNoRows) {
			return apierr.Invalid("No provider tokens to read: they are given once, after each sign-in with this provider")
		}
		if err != nil {
			return err
		}
		var t providers.Token
		plain, err := s.secrets.Open(access, append(rowID[:], "access_token"...))
		if err != nil {
			return apierr.Internal(err)
		}
		t.AccessToken = string(plain)
		if refresh.Valid {
			plain, err := s.secrets.Open(refresh.String, append(rowID[:], "refresh_token"...))
			if err != nil {
				return apierr.Internal(err)
			}
			t.RefreshToken = string(plain)
		}
		if expiresAt.Valid {
			t.Expiry = expiresAt.Time
		}
		out = providerSession(t, s.now())
		return tx.Exec(`UPDATE auth.user_providers SET access_token = ?, refresh_token = NULL, access_token_expires_at = NULL
WHERE id = ?`, unsetToken, rowID).Error
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RefreshTokens trades refreshToken, which provider granted to the user,
// for new tokens at the provider.
func (s *Service) RefreshTokens(ctx context.Context, userID uuid.UUID, provider, refreshToken string) (*ProviderSession, error) {
	p, ok := s.registry.Provider(provider)
	if !ok {
		return nil, errProviderDisabled()
	}
	if s.secrets == nil {
		return nil, errTokensNotKept()
	}
	r, ok := p.(providers.Refresher)
	if !ok {
		return nil, apierr.Newf(apierr.OAuthProviderError, "This provider's tokens cannot be refreshed (OAuth 1.0a)")
	}
	db := s.db.WithContext(ctx)
	hash := refreshTokenHash(refreshToken)
	var rowID uuid.UUID
	err := db.Raw(`SELECT id FROM auth.user_providers WHERE user_id = ? AND provider_id = ? AND refresh_token_hash = ?
ORDER BY updated_at DESC LIMIT 1`, userID, provider, hash).Row().Scan(&rowID)
	if errors.Is(err, sql.ErrNoRows) {
		e := apierr.Newf(apierr.OAuthProviderError, "This refresh token was not granted to the signed-in user by this provider")
		e.Cause = errors.New("no link of the user has this refresh token's hash")
		return nil, e
	}
	if err != nil {
		return nil, err
	}
	t, err := r.Refresh(ctx, refreshToken)
	if err != nil {
		return nil, refreshError(err)
	}
	if t.RefreshToken != "" && t.RefreshToken != refreshToken {
		// The provider rotated it: the new one is the one granted now.
		err := db.Exec(`UPDATE auth.user_providers SET refresh_token_hash = ? WHERE id = ?`, refreshTokenHash(t.RefreshToken), rowID).Error
		if err != nil {
			return nil, err
		}
	}
	return providerSession(t, s.now()), nil
}

// refreshError: whatever failed at the provider is oauth-provider-error,
// as nhost answers; the provider's reason stays for the log.
func refreshError(err error) error {
	var pe *providers.Error
	if !errors.As(err, &pe) {
		return err
	}
	e := apierr.New(apierr.OAuthProviderError)
	if errors.Is(err, providers.ErrUnavailable) {
		e.Message = "The provider could not be reached; try again shortly"
	} else {
		e.Message = "The provider did not accept the refresh token"
	}
	e.Cause = err
	return e
}

// tokenColumns are the values a link keeps of t (insertLink, storeTokens):
// sealed tokens (or hasura-auth's placeholder and no refresh token without
// a key: provider tokens are never stored in clear), the expiry, and the
// refresh token's hash.
type tokenColumns struct {
	access    string
	refresh   *string
	expiresAt *time.Time
	hash      *string
}

func (s *Service) tokenColumns(rowID uuid.UUID, t providers.Token) (tokenColumns, error) {
	c := tokenColumns{access: unsetToken}
	if s.secrets == nil || t.AccessToken == "" {
		return c, nil
	}
	access, err := s.secrets.Seal([]byte(t.AccessToken), append(rowID[:], "access_token"...))
	if err != nil {
		return c, apierr.Internal(err)
	}
	c.access = access
	if !t.Expiry.IsZero() {
		c.expiresAt = &t.Expiry
	}
	if t.RefreshToken != "" {
		refresh, err := s.secrets.Seal([]byte(t.RefreshToken), append(rowID[:], "refresh_token"...))
		if err != nil {
			return c, apierr.Internal(err)
		}
		hash := refreshTokenHash(t.RefreshToken)
		c.refresh, c.hash = &refresh, &hash
	}
	return c, nil
}

// storeTokens keeps the tokens of a new sign-in on its link, replacing what
// the previous one left unread. A provider that grants no refresh token
// this time (Google sends one on first consent only) leaves the refresh
// token's hash as it was: that refresh token still works.
func (s *Service) storeTokens(tx *gorm.DB, rowID uuid.UUID, t providers.Token) error {
	if s.secrets == nil || t.AccessToken == "" {
		return nil
	}
	c, err := s.tokenColumns(rowID, t)
	if err != nil {
		return err
	}
	return tx.Exec(`UPDATE auth.user_providers SET access_token = ?, refresh_token = ?, access_token_expires_at = ?,
  refresh_token_hash = COALESCE(?, refresh_token_hash) WHERE id = ?`, c.access, c.refresh, c.expiresAt, c.hash, rowID).Error
}
