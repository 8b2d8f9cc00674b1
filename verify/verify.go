// Package verify checks this server's access tokens in other Go code, such
// as serverless functions, with the same verdicts as Hasura. It depends on
// neither gin nor GORM:
//
//	v, err := verify.FromEnv()     // NHOST_JWT_SECRET or HASURA_GRAPHQL_JWT_SECRET (key or jwk_url)
//	user, err := v.Request(r)      // user.ID, user.Roles, user.DefaultRole, user.IsAnonymous, user.Claims
package verify

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hasura-auth-go/auth/hasura"
)

// User is what a valid token says about its holder.
type User struct {
	ID          string
	Roles       []string // x-hasura-allowed-roles
	DefaultRole string
	Role        string // the role in effect: the X-Hasura-Role header if given and allowed, else the default
	IsAnonymous bool
	// Claims holds every session variable (x-hasura-*), custom claims included.
	Claims map[string]string
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	secret *hasura.JWTSecret
	now    func() time.Time
	static *hasura.Verifier // set when the secret holds a key
	jwks   *jwksCache       // set when keys come from a JWKS URL

	mu      sync.Mutex
	byKeys  *hasura.Verifier // verifier for the JWKS keys last seen
	keysGen uint64
}

// Option adjusts a Verifier.
type Option func(*options)

type options struct {
	client     *http.Client
	now        func() time.Time
	minRefetch time.Duration
	defaultAge time.Duration
}

// WithHTTPClient sets the client that fetches the JWKS.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithMinRefetch limits how often an unknown kid may trigger a refetch (default 10 s).
func WithMinRefetch(d time.Duration) Option { return func(o *options) { o.minRefetch = d } }

func buildOptions(opts []Option) options {
	o := options{client: &http.Client{Timeout: 5 * time.Second}, now: time.Now, minRefetch: 10 * time.Second, defaultAge: 5 * time.Minute}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// FromEnv reads NHOST_JWT_SECRET, or else HASURA_GRAPHQL_JWT_SECRET.
func FromEnv(opts ...Option) (*Verifier, error) {
	for _, name := range []string{"NHOST_JWT_SECRET", "HASURA_GRAPHQL_JWT_SECRET"} {
		if s := os.Getenv(name); s != "" {
			v, err := FromSecret(s, opts...)
			if err != nil {
				return nil, errors.New(name + ": " + err.Error())
			}
			return v, nil
		}
	}
	return nil, errors.New("neither NHOST_JWT_SECRET nor HASURA_GRAPHQL_JWT_SECRET is set")
}

// FromSecret takes Hasura's JWT secret JSON: a key (HS secret or PEM), or a jwk_url.
func FromSecret(secretJSON string, opts ...Option) (*Verifier, error) {
	secret, err := hasura.ParseJWTSecret(secretJSON)
	if err != nil {
		return nil, err
	}
	o := buildOptions(opts)
	v := &Verifier{secret: secret, now: o.now}
	if secret.JWKURL != "" {
		v.jwks = newJWKSCache(secret.JWKURL, o)
		return v, nil
	}
	v.static, err = hasura.NewVerifier(hasura.VerifierConfig{Secret: secret, Now: o.now})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// FromJWKS verifies against the key set at url, with Hasura's default claim options.
func FromJWKS(url string, opts ...Option) (*Verifier, error) {
	return FromSecret(`{"jwk_url":`+quote(url)+`}`, opts...)
}

// Request verifies the token a request carries where Hasura would look for it
// (Authorization: Bearer, or the configured cookie) and its X-Hasura-Role.
func (v *Verifier) Request(r *http.Request) (*User, error) {
	hv, err := v.verifier(r.Context(), tokenKID(requestToken(r, v.secret.Header)))
	if err != nil {
		return nil, err
	}
	c, err := hv.VerifyRequest(r)
	if err != nil {
		return nil, err
	}
	return userFrom(c), nil
}

// Token verifies a raw token as if sent with no X-Hasura-Role header.
func (v *Verifier) Token(ctx context.Context, token string) (*User, error) {
	hv, err := v.verifier(ctx, tokenKID(token))
	if err != nil {
		return nil, err
	}
	c, err := hv.Verify(token, "")
	if err != nil {
		return nil, err
	}
	return userFrom(c), nil
}

func (v *Verifier) verifier(ctx context.Context, kid string) (*hasura.Verifier, error) {
	if v.static != nil {
		return v.static, nil
	}
	keys, gen, err := v.jwks.get(ctx, kid)
	if err != nil {
		return nil, &hasura.Error{Code: hasura.CodeInvalidJWT, Message: "Could not verify JWT: JWKS unavailable: " + err.Error()}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.byKeys == nil || v.keysGen != gen {
		hv, err := hasura.NewVerifier(hasura.VerifierConfig{Secret: v.secret, Keys: keys, Now: v.now})
		if err != nil {
			return nil, err
		}
		v.byKeys, v.keysGen = hv, gen
	}
	return v.byKeys, nil
}

func userFrom(c *hasura.Claims) *User {
	return &User{
		ID:          c.SessionVariables["x-hasura-user-id"],
		Roles:       c.AllowedRoles,
		DefaultRole: c.DefaultRole,
		Role:        c.Role,
		IsAnonymous: c.SessionVariables["x-hasura-user-is-anonymous"] == "true",
		Claims:      c.SessionVariables,
	}
}

func requestToken(r *http.Request, h hasura.HeaderSource) string {
	if h.Type == hasura.HeaderCookie {
		if c, err := r.Cookie(h.Name); err == nil {
			return c.Value
		}
		return ""
	}
	if h.Type == hasura.HeaderCustom {
		return r.Header.Get(h.Name)
	}
	auth := r.Header.Get("Authorization")
	if _, tok, ok := strings.Cut(auth, " "); ok {
		return tok
	}
	return ""
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
