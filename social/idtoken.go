package social

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/oauth/providers"
)

// idTokenProviders are the providers whose ID tokens clients may send:
// nhost's two and the generic OpenID Connect provider.
var idTokenProviders = []string{"apple", "google", "oidc"}

// IDToken is the body of POST /signin/idtoken and /link/idtoken.
type IDToken struct {
	Provider string
	IDToken  string
	// Nonce is the client's raw nonce; the token carries its SHA-256.
	Nonce   string
	Options *account.SignUpOptions // sign-in only: for a new user
}

// verify checks an ID token and returns its account.
func (s *Service) verify(ctx context.Context, in IDToken) (providers.Profile, error) {
	if in.IDToken == "" {
		return providers.Profile{}, apierr.Invalid(`"idToken" is required`)
	}
	v, ok := s.registry.IDTokenVerifier(in.Provider)
	if !ok {
		if slices.Contains(idTokenProviders, in.Provider) {
			return providers.Profile{}, apierr.Newf(apierr.DisabledEndpoint,
				"ID tokens of "+in.Provider+" are not accepted: set its AUDIENCE (or enable the provider)")
		}
		return providers.Profile{}, apierr.Invalid(`"provider" must be one of apple, google, oidc`)
	}
	p, err := v.Verify(ctx, in.IDToken, in.Nonce)
	if err != nil {
		return providers.Profile{}, providerError(err)
	}
	return p, nil
}

// SignInIDToken signs in (or up) the account of an ID token a native app
// obtained from the provider itself, with the linking rule of the redirect
// flow. The session is nil when a new user must verify their address first.
func (s *Service) SignInIDToken(ctx context.Context, in IDToken) (*Outcome, error) {
	p, err := s.verify(ctx, in)
	if err != nil {
		return nil, err
	}
	return s.signIn(ctx, "idtoken/"+in.Provider, in.Provider, providers.Identity{Profile: p}, in.Options)
}

// LinkIDToken links the account of an ID token to the signed-in user.
func (s *Service) LinkIDToken(ctx context.Context, userID uuid.UUID, in IDToken) error {
	p, err := s.verify(ctx, in)
	if err != nil {
		return err
	}
	return s.connect(ctx, userID, in.Provider, providers.Identity{Profile: p})
}
