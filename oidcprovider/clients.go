package oidcprovider

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/pwhash"
)

// client finds the client an authorization request names: a registered
// one, or with CIMD the client whose id is its metadata document's URL.
func (s *Service) client(ctx context.Context, id string) (*models.OAuth2Client, error) {
	if s.cimd != nil && isCIMDClientID(id, s.cimd.allowInsecure) {
		return s.cimdClient(ctx, id)
	}
	return s.storedClient(ctx, id)
}

// storedClient finds a client by id in auth.oauth2_clients.
func (s *Service) storedClient(ctx context.Context, id string) (*models.OAuth2Client, error) {
	c, err := models.FindOAuth2Client(s.db.WithContext(ctx), id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.Newf(apierr.OAuthInvalidClient, "Unknown client")
	}
	if err != nil {
		return nil, err
	}
	if c.Type == models.OAuth2ClientCIMD && s.cimd == nil {
		return nil, apierr.Newf(apierr.OAuthInvalidClient, "Clients identified by a metadata document URL are disabled (AUTH_OAUTH2_PROVIDER_CIMD_ENABLED)")
	}
	return c, nil
}

// ClientCredentials are how a client identified itself at the token,
// introspection or revocation endpoint.
type ClientCredentials struct {
	ID, Secret string
	// Basic: they came in an HTTP Basic Authorization header
	// (client_secret_basic); a refusal then says WWW-Authenticate.
	Basic bool
}

// ParseClientCredentials reads client_secret_basic (the Authorization
// header, whose parts are form-encoded: RFC 6749 section 2.3.1) or
// client_secret_post / a public client's client_id (the form), and refuses
// a request that uses both.
func ParseClientCredentials(authorization string, form url.Values) (ClientCredentials, error) {
	id, err := param(form, "client_id")
	if err != nil {
		return ClientCredentials{}, err
	}
	secret, err := param(form, "client_secret")
	if err != nil {
		return ClientCredentials{}, err
	}
	scheme, rest, _ := strings.Cut(authorization, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return ClientCredentials{ID: id, Secret: secret}, nil
	}
	bad := apierr.Newf(apierr.OAuthInvalidClient, "The Basic Authorization header must be base64(client_id:client_secret), each form-encoded")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return ClientCredentials{Basic: true}, bad
	}
	rawID, rawSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return ClientCredentials{Basic: true}, bad
	}
	basicID, err1 := url.QueryUnescape(rawID)
	basicSecret, err2 := url.QueryUnescape(rawSecret)
	if err1 != nil || err2 != nil || basicID == "" || len(basicID) > maxParam || len(basicSecret) > maxParam ||
		hasControl(basicID) || hasControl(basicSecret) {
		return ClientCredentials{Basic: true}, bad
	}
	if secret != "" || (id != "" && id != basicID) {
		return ClientCredentials{Basic: true}, apierr.Newf(apierr.OAuthInvalidRequest, "Use one client authentication method: the Basic header or client_secret in the body")
	}
	return ClientCredentials{ID: basicID, Secret: basicSecret, Basic: true}, nil
}

// authenticate checks a client's credentials: a confidential client proves
// its secret (bcrypt), a public client sends none.
func (s *Service) authenticate(ctx context.Context, cc ClientCredentials) (*models.OAuth2Client, error) {
	if cc.ID == "" {
		return nil, apierr.Newf(apierr.OAuthInvalidClient, "Identify the client: client_id in the body, or HTTP Basic authentication")
	}
	c, err := s.storedClient(ctx, cc.ID)
	if err != nil {
		return nil, err
	}
	if c.Public() {
		if cc.Secret != "" {
			return nil, apierr.Newf(apierr.OAuthInvalidClient, "This client is public: it has no secret to send")
		}
		return c, nil
	}
	if cc.Secret == "" {
		return nil, apierr.Newf(apierr.OAuthInvalidClient, "This client must authenticate with its secret")
	}
	match, err := pwhash.Compare(ctx, []byte(*c.SecretHash), []byte(cc.Secret))
	if err != nil {
		return nil, err
	}
	if !match {
		return nil, apierr.Newf(apierr.OAuthInvalidClient, "Invalid client credentials")
	}
	return c, nil
}
