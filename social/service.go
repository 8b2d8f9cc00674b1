// Package social signs users in with OAuth and OpenID Connect providers:
// the browser flow of GET /signin/provider/{provider} and its callback,
// and the ID tokens native apps send to POST /signin/idtoken and
// /link/idtoken. The providers' clients are package oauth/providers; this
// package keeps the requests in flight (hasura-auth's
// auth.provider_requests), decides which user a provider account is
// (auth.user_providers, and the linking rule below), and ends, as account/
// does, by asking session/ for a session.
//
// The linking rule. A provider account already linked signs in its user.
// Otherwise, when a user has the account's email address, the account is
// linked to that user only if the provider says it verified the address
// and the user's own address is verified too: linking on an address the
// provider did not verify would let anyone who can put an address on a
// provider account (several providers let one type any) take over the
// user, and linking to an unverified user would hand the account to
// whoever registered that address first without proving it. Otherwise a
// new user is signed up. hasura-auth links on the address alone; a user
// refused here signs in the way they did before and connects the provider
// (connect, /link/idtoken).
package social

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/hasura-auth-go/auth/secretbox"
	"github.com/hasura-auth-go/auth/session"
)

// Accounts is what the flows need of package account: the rules every
// sign-up and sign-in follows.
type Accounts interface {
	CheckEmail(email string) (string, error)
	CheckSignUpOptions(o *account.SignUpOptions) error
	CheckSignIn(u *models.User) error
	FirstFactorMFATicket(tx *gorm.DB, u *models.User) (string, error)
	SignUpLinked(ctx context.Context, in account.LinkedSignUp) (*session.Issued, error)
}

// Service runs the provider flows.
type Service struct {
	db          *gorm.DB
	registry    *providers.Registry
	accounts    Accounts
	sessions    *session.Service
	secrets     *secretbox.Box
	audit       *audit.Recorder
	now         func() time.Time
	log         *slog.Logger
	clientURL   string
	bindBrowser bool
}

// Options are what a Service depends on.
type Options struct {
	DB        *gorm.DB
	Providers *providers.Registry
	Accounts  Accounts
	Sessions  *session.Service
	// Secrets seals what a request keeps for its callback and the tokens
	// providers grant (AUTH_ENCRYPTION_KEY); nil: the first is kept in
	// clear, the second not at all.
	Secrets *secretbox.Box
	Audit   *audit.Recorder
	Now     func() time.Time // nil: time.Now
	Log     *slog.Logger
	// ClientURL (AUTH_CLIENT_URL) receives the errors of callbacks whose
	// request is unknown, having no redirectTo of their own.
	ClientURL string
	// BindBrowser (AUTH_PROVIDER_STATE_COOKIE): a callback must come from
	// the browser that started its request.
	BindBrowser bool
}

// New returns a Service.
func New(o Options) (*Service, error) {
	switch {
	case o.DB == nil || o.Providers == nil || o.Accounts == nil || o.Sessions == nil:
		return nil, errors.New("social: the database, providers, accounts and sessions are required")
	case o.Audit == nil:
		return nil, errors.New("social: an audit recorder is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{db: o.DB, registry: o.Providers, accounts: o.Accounts, sessions: o.Sessions, secrets: o.Secrets,
		audit: o.Audit, now: o.Now, log: o.Log, clientURL: o.ClientURL, bindBrowser: o.BindBrowser}, nil
}

// providerError turns a failure at a provider into the contract's error;
// the cause stays for the log.
func providerError(err error) error {
	var pe *providers.Error
	if !errors.As(err, &pe) {
		return err
	}
	var e *apierr.Error
	switch {
	case errors.Is(err, providers.ErrInvalidIDToken):
		e = apierr.Invalid("The ID token is not valid (signature, issuer, audience, expiry or nonce)")
	case errors.Is(err, providers.ErrBadCallback):
		e = apierr.Invalid("The provider's answer does not belong to this sign-in request")
	case pe.Stage == providers.StageIDToken:
		// The provider's keys or discovery document could not be fetched.
		e = apierr.Newf(apierr.ServiceUnavailable, "The identity provider could not be reached; try again shortly")
	case pe.Stage == providers.StageCallback || pe.Stage == providers.StageAuthorize:
		e = apierr.New(apierr.OAuthProviderError)
		if errors.Is(err, providers.ErrUnavailable) {
			e.Message = "The provider could not be reached; try again shortly"
		}
	case pe.Stage == providers.StageExchange:
		e = apierr.New(apierr.OAuthTokenExchangeFailed)
	default:
		e = apierr.New(apierr.OAuthProfileFetchFailed)
	}
	e.Cause = err
	return e
}

// errProviderDisabled: no provider of that name is enabled. The name comes
// from the URL: it is not echoed.
func errProviderDisabled() error {
	return apierr.Newf(apierr.DisabledEndpoint, "Sign-in with this provider is not enabled on this server")
}
