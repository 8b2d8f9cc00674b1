package oidcprovider

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/token"
)

// grantClaim names, in an access token, the grant (refresh token row) it
// was issued with: userinfo, introspection and revocation look it up, so
// revoking a grant revokes its access tokens here too.
const grantClaim = "sid"

// issuance is what a token response is made of.
type issuance struct {
	grant   *models.OAuth2RefreshToken
	user    *models.User
	scopes  []string
	nonce   *string // the authorization request's; nil on refresh (OpenID Connect 12.2)
	at      time.Time
	refresh string
}

// issue signs the access token and, with openid, the ID token. tx is the
// transaction that wrote the grant (custom claims read through it).
func (s *Service) issue(ctx context.Context, tx *gorm.DB, is issuance) (*TokenResponse, error) {
	g, u := is.grant, is.user
	scope := strings.Join(is.scopes, " ")
	exp := is.at.Add(s.accessTTL)
	access := map[string]any{
		"iss": s.issuer, "sub": u.ID.String(), "aud": g.ClientID, token.ClientIDClaim: g.ClientID,
		"scope": scope, "iat": is.at.Unix(), "exp": exp.Unix(), "jti": uuid.NewString(), grantClaim: g.ID.String(),
	}
	if slices.Contains(is.scopes, ScopeGraphQL) {
		// Hasura accepts the token for the user, with their roles.
		if err := s.tokens.AddHasuraClaims(ctx, tx, u, access); err != nil {
			return nil, err
		}
	}
	at, err := s.tokens.SignJWT(access, token.TypeAccessToken)
	if err != nil {
		return nil, err
	}
	out := &TokenResponse{AccessToken: at.Raw, TokenType: "Bearer", ExpiresIn: int64(s.accessTTL / time.Second), RefreshToken: is.refresh, Scope: scope}
	if !slices.Contains(is.scopes, ScopeOpenID) {
		return out, nil
	}
	atHash, err := token.AccessTokenHash(at.Raw, at.Alg)
	if err != nil {
		return nil, err
	}
	id := map[string]any{
		"iss": s.issuer, "sub": u.ID.String(), "aud": g.ClientID, "azp": g.ClientID,
		"iat": is.at.Unix(), "exp": exp.Unix(), "at_hash": atHash,
	}
	if g.AuthTime != nil {
		id["auth_time"] = g.AuthTime.Unix()
	}
	if is.nonce != nil {
		id["nonce"] = *is.nonce
	}
	for k, v := range userClaims(u, is.scopes) {
		id[k] = v
	}
	idt, err := s.tokens.SignJWT(id, token.TypeIDToken)
	if err != nil {
		return nil, err
	}
	out.IDToken = idt.Raw
	return out, nil
}

// userClaims are the standard claims (OpenID Connect Core 5.4) the scopes
// grant, from what the user has.
func userClaims(u *models.User, scopes []string) map[string]any {
	c := map[string]any{}
	if slices.Contains(scopes, ScopeProfile) {
		for k, v := range map[string]string{"name": u.DisplayName, "picture": u.AvatarURL, "locale": u.Locale} {
			if v != "" {
				c[k] = v
			}
		}
	}
	if slices.Contains(scopes, ScopeEmail) && u.Email != nil {
		c["email"], c["email_verified"] = *u.Email, u.EmailVerified
	}
	if slices.Contains(scopes, ScopePhone) && u.PhoneNumber != nil {
		c["phone_number"], c["phone_number_verified"] = *u.PhoneNumber, u.PhoneNumberVerified
	}
	return c
}

// AccessToken is a verified access token of ours whose grant still stands.
type AccessToken struct {
	payload map[string]any
	grant   *models.OAuth2RefreshToken
	scopes  []string
}

// VerifyAccessToken checks an access token this provider issued: its
// signature, type, expiry and issuer, and that its grant was not revoked.
func (s *Service) VerifyAccessToken(ctx context.Context, raw string) (*AccessToken, error) {
	invalid := apierr.New(apierr.OAuthInvalidToken)
	p, err := s.tokens.VerifyJWT(raw, token.TypeAccessToken)
	if errors.Is(err, token.ErrInvalidJWT) {
		invalid.Cause = err
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	if iss, _ := p["iss"].(string); iss != s.issuer {
		return nil, invalid
	}
	if _, ok := p[token.ClientIDClaim].(string); !ok {
		return nil, invalid
	}
	sid, _ := p[grantClaim].(string)
	gid, err := uuid.Parse(sid)
	if err != nil {
		return nil, invalid
	}
	g, err := models.FindOAuth2RefreshToken(s.db.WithContext(ctx), gid)
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.Newf(apierr.OAuthInvalidToken, "The access token's grant was revoked")
	}
	if err != nil {
		return nil, err
	}
	scope, _ := p["scope"].(string)
	scopes, _ := parseScope(scope)
	return &AccessToken{payload: p, grant: g, scopes: scopes}, nil
}

// UserInfo answers the userinfo endpoint for a verified access token: the
// claims its scopes grant (OpenID Connect Core 5.3).
func (s *Service) UserInfo(ctx context.Context, at *AccessToken) (map[string]any, error) {
	if !slices.Contains(at.scopes, ScopeOpenID) {
		return nil, apierr.Newf(apierr.OAuthInsufficientScope, "The userinfo endpoint needs the openid scope")
	}
	u, err := models.FindUserByID(s.db.WithContext(ctx), at.grant.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.New(apierr.OAuthInvalidToken)
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, apierr.Newf(apierr.OAuthInvalidToken, "The user is disabled")
	}
	claims := userClaims(u, at.scopes)
	claims["sub"] = u.ID.String()
	return claims, nil
}

// Introspection is RFC 7662's answer (nhost's OAuth2IntrospectResponse).
type Introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Iss       string `json:"iss,omitempty"`
	TokenType string `json:"token_type,omitempty"`
}

// Introspect answers whether a token is active (RFC 7662). The caller must
// be a confidential client: what a token says about a user is not for anyone.
func (s *Service) Introspect(ctx context.Context, form url.Values, cc ClientCredentials) (*Introspection, error) {
	client, err := s.authenticate(ctx, cc)
	if err != nil {
		return nil, err
	}
	if client.Public() {
		return nil, apierr.Newf(apierr.OAuthInvalidClient, "Introspection needs a confidential client's credentials")
	}
	raw, err := param(form, "token")
	if err != nil {
		return nil, err
	}
	if raw == "" {
		return nil, apierr.Newf(apierr.OAuthInvalidRequest, "token is required")
	}
	if _, err := param(form, "token_type_hint"); err != nil {
		return nil, err
	}
	g, err := models.FindOAuth2RefreshTokenByHash(s.db.WithContext(ctx), hashToken(raw))
	switch {
	case err == nil && s.now().Before(g.ExpiresAt):
		return &Introspection{Active: true, Scope: strings.Join(g.Scopes, " "), ClientID: g.ClientID, Sub: g.UserID.String(),
			Exp: g.ExpiresAt.Unix(), Iat: g.CreatedAt.Unix(), Iss: s.issuer, TokenType: "refresh_token"}, nil
	case err != nil && !errors.Is(err, models.ErrNotFound):
		return nil, err
	}
	at, err := s.VerifyAccessToken(ctx, raw)
	if refusal(err) != nil {
		return &Introspection{Active: false}, nil
	}
	if err != nil {
		return nil, err
	}
	num := func(k string) int64 { f, _ := at.payload[k].(float64); return int64(f) }
	return &Introspection{Active: true, Scope: strings.Join(at.scopes, " "), ClientID: at.grant.ClientID,
		Sub: at.grant.UserID.String(), Exp: num("exp"), Iat: num("iat"), Iss: s.issuer, TokenType: "access_token"}, nil
}

// Revoke revokes the grant a token belongs to (RFC 7009): a refresh token,
// current or retired, or an access token. A token that is unknown, expired
// or another client's is no error and nothing happens (section 2.2).
func (s *Service) Revoke(ctx context.Context, form url.Values, cc ClientCredentials) error {
	client, err := s.authenticate(ctx, cc)
	if err != nil {
		return err
	}
	raw, err := param(form, "token")
	if err != nil {
		return err
	}
	if raw == "" {
		return apierr.Newf(apierr.OAuthInvalidRequest, "token is required")
	}
	if _, err := param(form, "token_type_hint"); err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	var grant *models.OAuth2RefreshToken
	return db.Transaction(func(tx *gorm.DB) error {
		hash := hashToken(raw)
		g, err := models.LockOAuth2RefreshTokenByHash(tx, hash)
		if errors.Is(err, models.ErrNotFound) {
			g, err = models.LockOAuth2GrantByRetiredHash(tx, hash)
		}
		switch {
		case err == nil:
			grant = g
		case !errors.Is(err, models.ErrNotFound):
			return err
		default:
			at, err := s.VerifyAccessToken(ctx, raw)
			if refusal(err) != nil {
				return nil
			}
			if err != nil {
				return err
			}
			grant = at.grant
		}
		if grant.ClientID != client.ClientID {
			return nil
		}
		_, err = models.DeleteOAuth2RefreshToken(tx, grant.ID)
		return err
	})
}
