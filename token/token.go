// Package token owns the access token format: what goes into a JWT, how it
// is signed, how a Bearer token is verified, and the JWKS that publishes the
// public keys.
package token

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/hasura"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/secretbox"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Options configure a Service.
type Options struct {
	Secret      *hasura.JWTSecret // nil: sign with generated keys kept in the database
	Issuer      string            // used when Secret has no issuer
	TTL         time.Duration
	JWKSMaxAge  time.Duration
	JWKSURL     string // where this server publishes its JWKS, for the start-up hint
	Algorithm   string // of generated keys
	RotateEvery time.Duration
	Keyring     *secretbox.Box // nil: generated private keys are stored unencrypted
	Claims      ClaimsResolver // custom claims (package claims); nil: only the built-in ones
	Now         func() time.Time
	DB          *gorm.DB
	Log         *slog.Logger
}

// Service signs and verifies access tokens.
type Service struct {
	issuer string
	ttl    time.Duration
	now    func() time.Time
	maxAge time.Duration
	log    *slog.Logger
	store  *KeyStore // nil with a configured secret: its keys never change
	claims ClaimsResolver

	mu    sync.Mutex // serialises reloads of state from the key store
	state atomic.Pointer[keyState]
}

// keyState is everything derived from the current set of keys, swapped whole.
type keyState struct {
	signer     *hasura.JWTSecret
	method     jwt.SigningMethod // from the key's algorithm: Hasura's secret types lack PS256
	verifier   *hasura.Verifier
	published  []jose.JSONWebKey // the public keys of jwks, for verifying tokens of ours that Hasura's rules do not fit (oauth.go)
	jwks       []byte
	etag       string
	validUntil time.Time // reload from the store at or after this instant
}

// New builds the service. Without a configured secret it prepares the key
// store: decrypts every live key (failing start-up, naming the key, when one
// cannot be decrypted) and creates the first key when there is none.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	s := &Service{issuer: o.Issuer, ttl: o.TTL, now: o.Now, maxAge: o.JWKSMaxAge, log: o.Log, claims: o.Claims}
	if o.Secret != nil {
		st, err := staticState(o.Secret, o.Now)
		if err != nil {
			return nil, err
		}
		if o.Secret.Issuer != "" {
			s.issuer = o.Secret.Issuer
		}
		s.state.Store(st)
		return s, nil
	}
	s.store = &KeyStore{
		db: o.DB, keyring: o.Keyring, algorithm: o.Algorithm, maxAge: o.JWKSMaxAge, tokenTTL: o.TTL,
		rotateEvery: o.RotateEvery, now: o.Now, log: o.Log,
	}
	created, err := s.store.Init(ctx)
	if err != nil {
		return nil, err
	}
	if created != nil {
		o.Log.Info("generated a signing key and stored it in auth.jwt_signing_keys; configure Hasura with HASURA_GRAPHQL_JWT_SECRET",
			"kid", created.ID, "alg", created.Algorithm, "value", fmt.Sprintf(`{"jwk_url":%q}`, o.JWKSURL))
	}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Rotate publishes a new generated key (see KeyStore.Rotate) and refreshes
// this instance's JWKS at once; other instances see it within a reload period.
func (s *Service) Rotate(ctx context.Context, alg string) (*models.JWTSigningKey, error) {
	if s.store == nil {
		return nil, ErrStaticSecret
	}
	k, err := s.store.Rotate(ctx, alg)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reload(ctx); err != nil {
		s.log.Error("reload signing keys after rotation", "error", err)
	}
	return k, nil
}

// Grant is what only the flow issuing a token knows about it.
type Grant struct {
	// At dates the token; zero: the clock's now. Sessions pass the time
	// they read before writing, so a token is never dated after a
	// revocation that its own write waited for (session/epoch.go).
	At time.Time
	// Elevated: the holder has just proved a credential (a password or a
	// code), so the token carries ElevatedClaim.
	Elevated bool
	// PAT is the personal access token the session was started with
	// (PATClaim); uuid.Nil for none.
	PAT uuid.UUID
}

// ErrStaticSecret: keys come from HASURA_GRAPHQL_JWT_SECRET and cannot rotate here.
var ErrStaticSecret = errors.New("tokens are signed with HASURA_GRAPHQL_JWT_SECRET")

// Store is the key store, nil when a configured secret signs.
func (s *Service) Store() *KeyStore { return s.store }

func staticState(secret *hasura.JWTSecret, now func() time.Time) (*keyState, error) {
	if _, symmetric := secret.VerifyKey.([]byte); !symmetric && secret.KID == "" && secret.VerifyKey != nil {
		// Give configured asymmetric keys a kid so JWKS consumers can pick them.
		kid, err := thumbprint(secret.VerifyKey)
		if err != nil {
			return nil, fmt.Errorf("HASURA_GRAPHQL_JWT_SECRET: key thumbprint: %w", err)
		}
		copied := *secret
		copied.KID = kid
		secret = &copied
	}
	v, err := hasura.NewVerifier(hasura.VerifierConfig{Secret: secret, Now: now, RejectDuplicateKeys: true})
	if err != nil {
		return nil, fmt.Errorf("build token verifier: %w", err)
	}
	var published []jose.JSONWebKey
	if _, symmetric := secret.VerifyKey.([]byte); !symmetric && secret.VerifyKey != nil {
		published = append(published, jose.JSONWebKey{Key: secret.VerifyKey, KeyID: secret.KID, Algorithm: secret.SigningMethod().Alg(), Use: "sig"})
	}
	body, etag, err := encodeJWKS(published)
	if err != nil {
		return nil, err
	}
	return &keyState{signer: secret, method: secret.SigningMethod(), verifier: v, published: published, jwks: body, etag: etag, validUntil: farFuture}, nil
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// current returns the key state, reloading it from the store when a key
// event (activation, retirement, expiry) or the reload period has come.
func (s *Service) current() (*keyState, error) {
	st := s.state.Load()
	if s.store == nil || s.now().Before(st.validUntil) {
		return st, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st = s.state.Load(); s.now().Before(st.validUntil) {
		return st, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.reload(ctx); err != nil {
		// Keep serving with the keys we have; the published set already
		// covers every key that can be signing now. Try again shortly.
		s.log.Error("reload signing keys", "error", err)
		retry := *st
		retry.validUntil = s.now().Add(5 * time.Second)
		s.state.Store(&retry)
		return &retry, nil
	}
	return s.state.Load(), nil
}

// reload reads the live keys and rebuilds the state (caller holds mu or is New).
func (s *Service) reload(ctx context.Context) error {
	if err := s.store.RotateIfDue(ctx); err != nil {
		s.log.Error("automatic key rotation", "error", err)
	}
	keys, err := s.store.Live(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	signing := selectSigning(keys, now)
	if signing == nil {
		return errors.New("no signing key is active")
	}
	published := make([]jose.JSONWebKey, 0, len(keys))
	verifyKeys := make([]any, 0, len(keys))
	for _, k := range keys {
		if !k.publishedAt(now) {
			continue
		}
		published = append(published, jose.JSONWebKey{Key: k.public, KeyID: k.row.ID, Algorithm: k.row.Algorithm, Use: "sig"})
		verifyKeys = append(verifyKeys, k.public)
	}
	signer := &hasura.JWTSecret{
		Type:            signing.row.Algorithm,
		KID:             signing.row.ID,
		ClaimsNamespace: hasura.DefaultClaimsNamespace,
		ClaimsFormat:    hasura.ClaimsFormatJSON,
		Header:          hasura.HeaderSource{Type: hasura.HeaderAuthorization},
		VerifyKey:       signing.public,
		SignKey:         signing.private,
	}
	v, err := hasura.NewVerifier(hasura.VerifierConfig{Secret: withoutKeys(signer), Keys: verifyKeys, Now: s.now, RejectDuplicateKeys: true})
	if err != nil {
		return fmt.Errorf("build token verifier: %w", err)
	}
	body, etag, err := encodeJWKS(published)
	if err != nil {
		return err
	}
	s.state.Store(&keyState{signer: signer, method: jwt.GetSigningMethod(signing.row.Algorithm), verifier: v, published: published,
		jwks: body, etag: etag, validUntil: nextEvent(keys, now, s.store.reloadEvery())})
	return nil
}

// withoutKeys keeps a secret's claim options and drops its keys.
func withoutKeys(sec *hasura.JWTSecret) *hasura.JWTSecret {
	c := *sec
	c.VerifyKey, c.SignKey = nil, nil
	return &c
}

// encodeJWKS publishes keys, leaving out any that a JWKS consumer such as
// Hasura could not parse: one bad key would break the whole set for it.
func encodeJWKS(keys []jose.JSONWebKey) ([]byte, string, error) {
	ok := make([]jose.JSONWebKey, 0, len(keys))
	for _, k := range keys {
		one, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{k}})
		if err != nil {
			continue
		}
		if _, err := hasura.ParseJWKS(one); err != nil {
			continue
		}
		ok = append(ok, k)
	}
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: ok})
	if err != nil {
		return nil, "", fmt.Errorf("encode jwks: %w", err)
	}
	sum := sha256.Sum256(b)
	return b, `"` + hex.EncodeToString(sum[:8]) + `"`, nil
}

// ClaimsResolver adds custom x-hasura-* claims to the built-in ones in
// claims, never replacing those. tx is the caller's transaction (nil: the
// pool): database work must see the caller's uncommitted rows and must not
// wait for a second pooled connection while the caller holds one.
type ClaimsResolver interface {
	Resolve(ctx context.Context, tx *gorm.DB, u *models.User, claims map[string]any) error
}

// Issue signs an access token for u and returns it with its lifetime in
// seconds. tx is the caller's transaction, or nil; see ClaimsResolver.
func (s *Service) Issue(ctx context.Context, tx *gorm.DB, u *models.User, g Grant) (string, int64, error) {
	st, err := s.current()
	if err != nil {
		return "", 0, err
	}
	signer := st.signer
	now := g.At
	if now.IsZero() {
		now = s.now()
	}
	payload := map[string]any{
		"sub":               u.ID.String(),
		"iat":               now.Unix(),
		IssuedAtMillisClaim: now.UnixMilli(), // sessions epoch: see issuedat.go
		"exp":               now.Add(s.ttl).Unix(),
		"iss":               s.issuer,
	}
	if g.PAT != uuid.Nil {
		payload[PATClaim] = g.PAT.String()
	}
	switch len(signer.Audience) {
	case 0:
	case 1:
		payload["aud"] = signer.Audience[0]
	default:
		payload["aud"] = signer.Audience
	}
	if err := s.placeHasuraClaims(ctx, tx, signer, u, g.Elevated, payload); err != nil {
		return "", 0, err
	}
	t := jwt.NewWithClaims(st.method, jwt.MapClaims(payload))
	if signer.KID != "" {
		t.Header["kid"] = signer.KID
	}
	signed, err := t.SignedString(signer.SignKey)
	if err != nil {
		return "", 0, fmt.Errorf("sign access token: %w", err)
	}
	return signed, int64(s.ttl / time.Second), nil
}

// placeHasuraClaims puts u's x-hasura-* claims, custom ones included, into
// payload where signer's configuration says Hasura reads them.
func (s *Service) placeHasuraClaims(ctx context.Context, tx *gorm.DB, signer *hasura.JWTSecret, u *models.User, elevated bool, payload map[string]any) error {
	claims := HasuraClaims(u)
	if s.claims != nil {
		if err := s.claims.Resolve(ctx, tx, u, claims); err != nil {
			return fmt.Errorf("custom claims: %w", err)
		}
	}
	// Only a fresh proof of a credential sets the elevated claim; a custom
	// claim of the same name must not forge it.
	if elevated {
		claims[ElevatedClaim] = u.ID.String()
	} else {
		delete(claims, ElevatedClaim)
	}
	if err := signer.PlaceClaims(payload, claims); err != nil {
		return fmt.Errorf("place hasura claims: %w", err)
	}
	return nil
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

// Verify checks a token with Hasura's rules against every published key.
func (s *Service) Verify(raw string) (*Verified, error) {
	st, err := s.current()
	if err != nil {
		return nil, err
	}
	c, err := st.verifier.Verify(raw, "")
	if err != nil {
		return nil, err
	}
	if _, issuedToAnApp := c.Payload[ClientIDClaim]; issuedToAnApp {
		// An application's access token (graphql scope) is for Hasura and
		// the application's own APIs, never for acting on the account here.
		return nil, &hasura.Error{Code: hasura.CodeInvalidClaims, Message: "an access token issued to an OAuth2 client is not accepted by the auth API"}
	}
	id, err := uuid.Parse(c.SessionVariables["x-hasura-user-id"])
	if err != nil {
		return nil, &hasura.Error{Code: hasura.CodeInvalidClaims, Message: "x-hasura-user-id is not a uuid"}
	}
	return &Verified{UserID: id, Claims: c}, nil
}

// JWKS returns the published key set, its ETag and max-age.
func (s *Service) JWKS() (body []byte, etag string, maxAge time.Duration) {
	st, _ := s.current()
	return st.jwks, st.etag, s.maxAge
}
