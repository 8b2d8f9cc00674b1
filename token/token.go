// Package token owns the access token format: what goes into a JWT, how it
// is signed, how a Bearer token is verified, and the JWKS that publishes the
// public keys.
package token

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/hasura"
	"github.com/hasura-auth-go/auth/models"
)

const cryptoSHA256 = crypto.SHA256

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Options configure a Service.
type Options struct {
	Secret     *hasura.JWTSecret // nil: use (or create) a generated Ed25519 key in the database
	Issuer     string            // used when Secret has no issuer
	TTL        time.Duration
	JWKSMaxAge time.Duration
	JWKSURL    string // where this server publishes its JWKS, for the start-up hint
	Now        func() time.Time
	DB         *gorm.DB
	Log        *slog.Logger
}

// Service signs and verifies access tokens.
type Service struct {
	secret   *hasura.JWTSecret
	issuer   string
	ttl      time.Duration
	now      func() time.Time
	verifier *hasura.Verifier
	jwks     []byte
	etag     string
	maxAge   time.Duration
}

// New builds the service; without a configured secret it loads or creates the
// shared signing key.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	secret := o.Secret
	if secret == nil {
		key, created, err := loadOrCreateKey(ctx, o.DB)
		if err != nil {
			return nil, err
		}
		pub, priv, err := parseStoredKey(key)
		if err != nil {
			return nil, err
		}
		if created {
			o.Log.Info("generated an Ed25519 signing key and stored it in auth.jwt_signing_keys; configure Hasura with HASURA_GRAPHQL_JWT_SECRET",
				"kid", key.ID, "value", fmt.Sprintf(`{"jwk_url":%q}`, o.JWKSURL))
		}
		secret = &hasura.JWTSecret{
			Type:            "Ed25519",
			KID:             key.ID,
			ClaimsNamespace: hasura.DefaultClaimsNamespace,
			ClaimsFormat:    "json",
			Header:          hasura.HeaderSource{Type: "Authorization"},
			VerifyKey:       pub,
			SignKey:         priv,
		}
	}
	if _, symmetric := secret.VerifyKey.([]byte); !symmetric && secret.KID == "" && secret.VerifyKey != nil {
		// Give configured asymmetric keys a kid so JWKS consumers can pick them.
		thumb, err := (&jose.JSONWebKey{Key: secret.VerifyKey}).Thumbprint(cryptoSHA256)
		if err != nil {
			return nil, fmt.Errorf("HASURA_GRAPHQL_JWT_SECRET: key thumbprint: %w", err)
		}
		copied := *secret
		copied.KID = b64(thumb)
		secret = &copied
	}
	issuer := secret.Issuer
	if issuer == "" {
		issuer = o.Issuer
	}
	v, err := hasura.NewVerifier(hasura.VerifierConfig{Secret: secret, Now: o.Now})
	if err != nil {
		return nil, fmt.Errorf("build token verifier: %w", err)
	}
	s := &Service{secret: secret, issuer: issuer, ttl: o.TTL, now: o.Now, verifier: v, maxAge: o.JWKSMaxAge}
	if err := s.buildJWKS(); err != nil {
		return nil, err
	}
	return s, nil
}

// TTL is the access token lifetime.
func (s *Service) TTL() time.Duration { return s.ttl }

// Issue signs an access token for u and returns it with its lifetime in seconds.
func (s *Service) Issue(u *models.User) (string, int64, error) {
	now := s.now()
	payload := map[string]any{
		"sub": u.ID.String(),
		"iat": now.Unix(),
		"exp": now.Add(s.ttl).Unix(),
		"iss": s.issuer,
	}
	switch len(s.secret.Audience) {
	case 0:
	case 1:
		payload["aud"] = s.secret.Audience[0]
	default:
		payload["aud"] = s.secret.Audience
	}
	if err := s.secret.PlaceClaims(payload, HasuraClaims(u)); err != nil {
		return "", 0, fmt.Errorf("place hasura claims: %w", err)
	}
	t := jwt.NewWithClaims(s.secret.SigningMethod(), jwt.MapClaims(payload))
	if s.secret.KID != "" {
		t.Header["kid"] = s.secret.KID
	}
	signed, err := t.SignedString(s.secret.SignKey)
	if err != nil {
		return "", 0, fmt.Errorf("sign access token: %w", err)
	}
	return signed, int64(s.ttl / time.Second), nil
}

// HasuraClaims are the x-hasura-* claims Hasura reads; every value but the
// allowed roles is a string, as Hasura requires.
func HasuraClaims(u *models.User) map[string]any {
	return map[string]any{
		"x-hasura-allowed-roles":     u.RoleNames(),
		"x-hasura-default-role":      u.DefaultRole,
		"x-hasura-user-id":           u.ID.String(),
		"x-hasura-user-is-anonymous": strconv.FormatBool(u.IsAnonymous),
	}
}

// Verified is what a valid Bearer token says about its holder.
type Verified struct {
	UserID uuid.UUID
	Claims *hasura.Claims
}

// Verify checks a token with Hasura's rules against this server's keys.
func (s *Service) Verify(raw string) (*Verified, error) {
	c, err := s.verifier.Verify(raw, "")
	if err != nil {
		return nil, err
	}
	id, err := uuid.Parse(c.SessionVariables["x-hasura-user-id"])
	if err != nil {
		return nil, &hasura.Error{Code: "jwt-invalid-claims", Message: "x-hasura-user-id is not a uuid"}
	}
	return &Verified{UserID: id, Claims: c}, nil
}

// JWKS returns the published key set, its ETag and max-age.
func (s *Service) JWKS() (body []byte, etag string, maxAge time.Duration) {
	return s.jwks, s.etag, s.maxAge
}

func (s *Service) buildJWKS() error {
	keys := []jose.JSONWebKey{}
	// A shared HS secret is never published.
	if _, symmetric := s.secret.VerifyKey.([]byte); !symmetric && s.secret.VerifyKey != nil {
		keys = append(keys, jose.JSONWebKey{
			Key:       s.secret.VerifyKey,
			KeyID:     s.secret.KID,
			Algorithm: s.secret.SigningMethod().Alg(),
			Use:       "sig",
		})
	}
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		return fmt.Errorf("encode jwks: %w", err)
	}
	sum := sha256.Sum256(b)
	s.jwks, s.etag = b, `"`+hex.EncodeToString(sum[:8])+`"`
	return nil
}
