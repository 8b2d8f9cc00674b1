// Package oidcprovider makes this server an OpenID Connect provider with
// nhost's API (/oauth2/*): other applications ("Sign in with <your app>"),
// CLIs and agents sign their users in through it with the authorization code
// flow and PKCE, and get ID tokens, access tokens and rotating refresh
// tokens. Clients are rows of auth.oauth2_clients (managed through Hasura,
// as nhost manages them) or, with CIMD, HTTPS URLs of client metadata
// documents.
//
// The user signs in and consents in the application's own front end (the
// login URL), which completes the request with POST /oauth2/login and the
// user's session token. Tokens are signed by package token with the
// server's published keys.
package oidcprovider

import (
	"crypto/x509"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/token"
)

// Lifetimes nhost fixes rather than configures.
const (
	// AuthRequestTTL: how long the user has to sign in and consent.
	AuthRequestTTL = 10 * time.Minute
	// CodeTTL: how long an authorization code may wait for its exchange.
	CodeTTL = 5 * time.Minute
	// keepGenerations: retired refresh tokens per grant recognised as replays.
	keepGenerations = 16
)

// Options configure a Service.
type Options struct {
	DB     *gorm.DB
	Tokens *token.Service
	// Issuer is AUTH_SERVER_URL: the endpoints are under it, and it is the
	// iss of every token and of the discovery document.
	Issuer   string
	LoginURL string // where /oauth2/authorize sends the user
	// Lifetimes of access and ID tokens, and of refresh tokens (sliding).
	AccessTokenTTL, RefreshTokenTTL time.Duration
	// CIMD: client ids may be URLs of client metadata documents.
	CIMD bool
	// CIMDAllowInsecure: documents over http:// and at private addresses.
	CIMDAllowInsecure bool
	// CIMDRootCAs verifies the TLS certificates of metadata documents' hosts;
	// nil: the system's roots. Tests pass their TLS server's.
	CIMDRootCAs *x509.CertPool
	Now         func() time.Time
	Log         *slog.Logger
	Audit       *audit.Recorder
}

// Service is the provider.
type Service struct {
	db         *gorm.DB
	tokens     *token.Service
	issuer     string
	loginURL   *url.URL
	accessTTL  time.Duration
	refreshTTL time.Duration
	cimd       *cimdFetcher // nil: CIMD off
	now        func() time.Time
	log        *slog.Logger
	audit      *audit.Recorder
}

// New checks that tokens can be published (applications verify them with
// the JWKS) and returns the provider.
func New(o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Audit == nil {
		return nil, errors.New("oidcprovider: an audit recorder is required")
	}
	if !o.Tokens.Publishable() {
		return nil, errors.New("oidcprovider: " + token.ErrNotPublishable.Error() + "; the OpenID Connect provider needs a key applications can verify")
	}
	login, err := url.Parse(o.LoginURL)
	if err != nil || login.Scheme == "" || login.Host == "" {
		return nil, errors.New("oidcprovider: the login URL must be an absolute URL")
	}
	s := &Service{
		db: o.DB, tokens: o.Tokens, issuer: strings.TrimRight(o.Issuer, "/"), loginURL: login,
		accessTTL: o.AccessTokenTTL, refreshTTL: o.RefreshTokenTTL, now: o.Now, log: o.Log, audit: o.Audit,
	}
	if o.CIMD {
		s.cimd = newCIMDFetcher(o.CIMDAllowInsecure, o.CIMDRootCAs)
	}
	return s, nil
}

// Issuer is the provider's identifier: the iss of its tokens.
func (s *Service) Issuer() string { return s.issuer }

// endpoint is the URL of one of the provider's routes.
func (s *Service) endpoint(path string) string { return s.issuer + path }
