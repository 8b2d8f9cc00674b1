package social

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/oauth/providers"
)

// Each failure at a provider becomes the contract's code for its stage,
// keeping the cause for the log.
func TestProviderErrorCodes(t *testing.T) {
	cases := []struct {
		kind  error
		stage providers.Stage
		code  string
	}{
		{providers.ErrDenied, providers.StageCallback, apierr.OAuthProviderError},
		{providers.ErrProvider, providers.StageCallback, apierr.OAuthProviderError},
		{providers.ErrBadCallback, providers.StageCallback, apierr.InvalidRequest},
		{providers.ErrUnavailable, providers.StageAuthorize, apierr.OAuthProviderError},
		{providers.ErrProvider, providers.StageExchange, apierr.OAuthTokenExchangeFailed},
		{providers.ErrUnavailable, providers.StageExchange, apierr.OAuthTokenExchangeFailed},
		{providers.ErrBadResponse, providers.StageExchange, apierr.OAuthTokenExchangeFailed},
		{providers.ErrProvider, providers.StageProfile, apierr.OAuthProfileFetchFailed},
		{providers.ErrBadResponse, providers.StageProfile, apierr.OAuthProfileFetchFailed},
		{providers.ErrInvalidIDToken, providers.StageIDToken, apierr.InvalidRequest},
		{providers.ErrUnavailable, providers.StageIDToken, apierr.ServiceUnavailable},
	}
	for _, tc := range cases {
		t.Run(string(tc.stage)+" "+tc.kind.Error(), func(t *testing.T) {
			cause := &providers.Error{Kind: tc.kind, Stage: tc.stage, Provider: "github", Err: errors.New("detail")}
			e := apierr.As(providerError(cause))
			require.Equal(t, tc.code, e.Code)
			require.ErrorIs(t, e, tc.kind)
			require.NotContains(t, e.Message, "detail")
		})
	}
	other := errors.New("database down")
	require.Same(t, other, providerError(other), "not a provider's failure: unchanged")
}

// A request's id is derived from its state, one id per state; the
// binding matches only the cookie it was made with.
func TestRequestIDAndBinding(t *testing.T) {
	a, b := newSecret(), newSecret()
	require.Len(t, a, 43)
	require.NotEqual(t, a, b)
	require.Equal(t, requestID(a), requestID(a))
	require.NotEqual(t, requestID(a), requestID(b))

	r := &request{Binding: bindingHash(a)}
	require.True(t, r.boundTo(a))
	require.False(t, r.boundTo(b))
	require.False(t, r.boundTo(""))
	require.True(t, (&request{}).boundTo(""), "a request made without binding accepts any browser")
}
