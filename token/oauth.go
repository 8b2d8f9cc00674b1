package token

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
)

// Tokens the OpenID Connect provider (package oidcprovider) hands to
// applications: ID tokens and access tokens. They are signed with the keys
// that sign sessions' access tokens, so the one published key set
// (/.well-known/jwks.json, also served as /oauth2/jwks) verifies them all.

const (
	// TypeAccessToken is the typ of an application's access token (RFC 9068).
	TypeAccessToken = "at+jwt"
	// TypeIDToken is the typ of an ID token.
	TypeIDToken = "JWT"
	// ClientIDClaim names the client an access token was issued to (RFC
	// 9068). Verify refuses tokens carrying it: they are not sessions.
	ClientIDClaim = "client_id"
)

// ErrNotPublishable: tokens are signed with a shared secret
// (HASURA_GRAPHQL_JWT_SECRET HS*), which applications cannot be given.
var ErrNotPublishable = errors.New("tokens are signed with a shared secret (HASURA_GRAPHQL_JWT_SECRET HS*): there is no public key to publish")

// ErrInvalidJWT is the cause of every refusal of VerifyJWT; the message of
// the wrapping error says why.
var ErrInvalidJWT = errors.New("invalid token")

// Publishable reports whether tokens are signed with a key whose public half
// is published: generated keys, or an asymmetric HASURA_GRAPHQL_JWT_SECRET.
func (s *Service) Publishable() bool {
	st, err := s.current()
	if err != nil {
		return false
	}
	_, shared := st.signer.SignKey.([]byte)
	return !shared && len(st.published) > 0
}

// SigningAlgorithms lists the algorithms of the published keys, the
// current signing key's first.
func (s *Service) SigningAlgorithms() []string {
	st, err := s.current()
	if err != nil {
		return nil
	}
	out := []string{st.method.Alg()}
	for _, k := range st.published {
		if !slices.Contains(out, k.Algorithm) {
			out = append(out, k.Algorithm)
		}
	}
	return out
}

// SignedJWT is a signed token and the algorithm that signed it (an ID
// token's at_hash depends on it).
type SignedJWT struct {
	Raw, Alg string
}

// SignJWT signs payload with the current signing key; typ goes into the
// header with the key's id.
func (s *Service) SignJWT(payload map[string]any, typ string) (SignedJWT, error) {
	st, err := s.current()
	if err != nil {
		return SignedJWT{}, err
	}
	if _, shared := st.signer.SignKey.([]byte); shared {
		return SignedJWT{}, ErrNotPublishable
	}
	t := jwt.NewWithClaims(st.method, jwt.MapClaims(payload))
	t.Header["typ"] = typ
	if st.signer.KID != "" {
		t.Header["kid"] = st.signer.KID
	}
	raw, err := t.SignedString(st.signer.SignKey)
	if err != nil {
		return SignedJWT{}, fmt.Errorf("sign %s: %w", typ, err)
	}
	return SignedJWT{Raw: raw, Alg: st.method.Alg()}, nil
}

// AddHasuraClaims places u's x-hasura-* claims (custom claims included,
// never the elevated one) into payload as in a session's access token, so
// Hasura accepts the token. tx is the caller's transaction, or nil.
func (s *Service) AddHasuraClaims(ctx context.Context, tx *gorm.DB, u *models.User, payload map[string]any) error {
	st, err := s.current()
	if err != nil {
		return err
	}
	return s.placeHasuraClaims(ctx, tx, st.signer, u, false, payload)
}

// VerifyJWT checks a token this server signed for an application: a
// published key's signature made with that key's own algorithm (no other
// algorithm, no key named inside the token), the header's typ, and expiry
// by the server's clock. It returns the payload (numbers as float64);
// issuer and audience are the caller's to check.
func (s *Service) VerifyJWT(raw, typ string) (map[string]any, error) {
	st, err := s.current()
	if err != nil {
		return nil, err
	}
	var algs []jose.SignatureAlgorithm
	for _, k := range st.published {
		algs = append(algs, jose.SignatureAlgorithm(k.Algorithm))
	}
	if len(algs) == 0 {
		return nil, ErrNotPublishable
	}
	tok, err := josejwt.ParseSigned(raw, algs)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidJWT, err)
	}
	h := tok.Headers[0]
	if got, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(got, typ) {
		return nil, fmt.Errorf("%w: typ is %q, not %q", ErrInvalidJWT, got, typ)
	}
	var key *jose.JSONWebKey
	for i := range st.published {
		k := &st.published[i]
		if k.KeyID == h.KeyID && k.Algorithm == h.Algorithm {
			key = k
			break
		}
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no published %s key with kid %q", ErrInvalidJWT, h.Algorithm, h.KeyID)
	}
	var payload map[string]any
	if err := tok.Claims(key.Key, &payload); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidJWT, err)
	}
	exp, ok := payload["exp"].(float64)
	if !ok {
		return nil, fmt.Errorf("%w: no exp", ErrInvalidJWT)
	}
	if !s.now().Before(time.Unix(int64(exp), 0)) {
		return nil, fmt.Errorf("%w: expired", ErrInvalidJWT)
	}
	return payload, nil
}

// AccessTokenHash is an ID token's at_hash for accessToken signed by alg
// (OpenID Connect Core 3.1.3.6): the left half of the hash alg uses,
// base64url. Ed25519 (EdDSA) hashes with SHA-512.
func AccessTokenHash(accessToken, alg string) (string, error) {
	var sum []byte
	switch {
	case strings.HasSuffix(alg, "256"):
		d := sha256.Sum256([]byte(accessToken))
		sum = d[:]
	case strings.HasSuffix(alg, "384"):
		d := sha512.Sum384([]byte(accessToken))
		sum = d[:]
	case strings.HasSuffix(alg, "512"), alg == "EdDSA":
		d := sha512.Sum512([]byte(accessToken))
		sum = d[:]
	default:
		return "", fmt.Errorf("at_hash: no hash for %s", alg)
	}
	return b64(sum[:len(sum)/2]), nil
}
