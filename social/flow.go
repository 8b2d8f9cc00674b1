package social

import (
	"context"
	"errors"
	"net/url"

	"github.com/google/uuid"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/hasura-auth-go/auth/session"
)

// StartRequest is GET /signin/provider/{provider} once read.
type StartRequest struct {
	Provider string
	// Options are the sign-up options of a new user; RedirectTo must
	// already be checked (account.CheckRedirect) and is where the callback
	// sends the browser.
	Options account.SignUpOptions
	// ConnectUserID links the provider account to this signed-in user
	// (connect) instead of signing in; the caller verified its access token.
	ConnectUserID *uuid.UUID
	// Binding is the browser's binding cookie, "" when it sent none; one
	// cookie serves every request a browser starts.
	Binding string
	// State is the application's own opaque value (the query's state),
	// given back as state on the redirect that ends the sign-in.
	State string
	// Specific are the provider-specific parameters (providerSpecificParams).
	Specific providers.Specific
}

// MaxStateLength bounds the application's state: it is kept with the
// request until the callback.
const MaxStateLength = 2048

// Started is where to send the browser.
type Started struct {
	URL string // the provider's authorization page
	// Binding is the cookie value binding the request to this browser (to
	// set, or set again); "" when AUTH_PROVIDER_STATE_COOKIE is off.
	Binding string
}

// Start records a sign-in request and returns the provider's URL for it.
// Options are checked now, so that a bad one is reported before the user
// consents at the provider rather than after.
func (s *Service) Start(ctx context.Context, in StartRequest) (*Started, error) {
	p, ok := s.registry.Provider(in.Provider)
	if !ok {
		return nil, errProviderDisabled()
	}
	if len(in.State) > MaxStateLength {
		return nil, apierr.Invalid(`"state" is too long`)
	}
	r := &request{Provider: in.Provider, RedirectTo: in.Options.RedirectTo, ConnectUserID: in.ConnectUserID, State: in.State}
	if in.ConnectUserID == nil {
		if err := s.accounts.CheckSignUpOptions(&in.Options); err != nil {
			return nil, err
		}
		opts := in.Options
		r.Options = &opts
	}
	state := newSecret()
	id := requestID(state)
	ar, err := p.AuthRequest(ctx, state, in.Specific)
	if err != nil {
		return nil, providerError(err)
	}
	if r.Pending, err = s.sealPending(id, ar.Pending); err != nil {
		return nil, apierr.Internal(err)
	}
	out := &Started{URL: ar.URL}
	if s.bindBrowser {
		out.Binding = in.Binding
		if out.Binding == "" {
			out.Binding = newSecret()
		}
		r.Binding = bindingHash(out.Binding)
	}
	if err := saveRequest(s.db.WithContext(ctx), id, r, s.now().Add(RequestTTL)); err != nil {
		return nil, err
	}
	return out, nil
}

// Outcome is a finished sign-in.
type Outcome struct {
	// Session is nil when the user gets none yet: a new user whose address
	// must be verified first (the mail is sent), or a connect.
	Session *session.Issued
	// MFATicket, for a user with TOTP active, stands instead of Session:
	// the sign-in completes with POST /signin/mfa/totp.
	MFATicket string
	UserID    uuid.UUID
	Email     string // the provider account's address ("" for none)
	NewUser   bool
	method    string // for the audit log: provider/<name> or idtoken/<name>
}

// Finished is a callback's outcome, and where the browser goes next.
type Finished struct {
	Outcome
	// RedirectTo is the request's redirectTo, with the application's state
	// when it gave one; AUTH_CLIENT_URL when the request is unknown ("" when
	// that is not set either).
	RedirectTo string
	// Connected: the request was a connect, and the account is linked.
	Connected bool
	// ProviderError holds, on oauth-provider-error, what the provider said
	// (provider_error, provider_error_description, provider_error_url),
	// for the redirect's query.
	ProviderError url.Values
}

// Callback finishes the request that cb's state names, at provider, from
// the browser holding binding. It always returns a Finished, with the
// error if any: the error's redirect goes to its RedirectTo.
func (s *Service) Callback(ctx context.Context, provider string, cb providers.Callback, binding string) (*Finished, error) {
	f := &Finished{RedirectTo: s.clientURL}
	if cb.State == "" {
		return f, apierr.New(apierr.InvalidState)
	}
	id := requestID(cb.State)
	r, expiresAt, err := takeRequest(s.db.WithContext(ctx), id)
	if errors.Is(err, errNoRequest) {
		return f, apierr.New(apierr.InvalidState)
	}
	if err != nil {
		return f, err
	}
	f.RedirectTo = withState(r.RedirectTo, r.State)
	switch {
	case r.Provider != provider:
		return f, invalidState("the request was made for another provider")
	case !s.now().Before(expiresAt):
		return f, invalidState("the request has expired")
	case s.bindBrowser && !r.boundTo(binding):
		return f, invalidState("the callback comes from another browser than the request")
	}
	p, ok := s.registry.Provider(provider)
	if !ok {
		return f, errProviderDisabled()
	}
	pending, err := s.openPending(id, r.Pending)
	if err != nil {
		return f, apierr.Internal(err)
	}
	identity, err := p.Complete(ctx, cb, pending)
	if err != nil {
		var pe *providers.Error
		if errors.As(err, &pe) && pe.Stage == providers.StageCallback && !errors.Is(err, providers.ErrBadCallback) {
			f.ProviderError = url.Values{"provider_error": {pe.Code}, "provider_error_description": {pe.Description},
				"provider_error_url": {cb.ErrorURI}}
		}
		return f, providerError(err)
	}
	f.Email = identity.Profile.Email
	if r.ConnectUserID != nil {
		f.Connected = true
		f.UserID = *r.ConnectUserID
		return f, s.connect(ctx, *r.ConnectUserID, provider, identity)
	}
	out, err := s.signIn(ctx, "provider/"+provider, provider, identity, r.Options)
	if err != nil {
		return f, err
	}
	f.Outcome = *out
	return f, nil
}

// withState adds the application's state to its redirect, as nhost does,
// so that every outcome of a known request carries it back.
func withState(target, state string) string {
	if state == "" {
		return target
	}
	u, err := url.Parse(target)
	if err != nil {
		return target // checked when the request was made; not reached
	}
	q := u.Query()
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return u.String()
}

// invalidState is invalid-state with why, for the log.
func invalidState(why string) error {
	e := apierr.New(apierr.InvalidState)
	e.Cause = errors.New(why)
	return e
}
