package oidcprovider

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/models"
)

// Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document,
// nhost's CIMD): a client whose id is an HTTPS URL publishes its metadata
// (name, redirect URIs) there. The document is fetched when the client first
// sends a user to /oauth2/authorize and kept in auth.oauth2_clients for an
// hour. Such clients are public: they prove nothing but PKCE.

const (
	cimdMaxBytes = 5 * 1024 // nhost's bound; a document is a few hundred bytes
	cimdTimeout  = 5 * time.Second
	cimdCacheTTL = time.Hour
)

// defaultCIMDScopes are allowed when a document names none (nhost's choice:
// graphql, which reaches Hasura, must be asked for).
var defaultCIMDScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopePhone, ScopeOfflineAccess}

// isCIMDClientID says whether a client id is meant as a document's URL.
func isCIMDClientID(id string, allowInsecure bool) bool {
	u, err := url.Parse(id)
	if err != nil {
		return false
	}
	scheme := u.Scheme == "https" || (allowInsecure && u.Scheme == "http")
	return scheme && u.Host != "" && u.Path != "" && u.Path != "/"
}

// checkCIMDURL applies the draft's rules to a client id URL.
func checkCIMDURL(id string) error {
	u, err := url.Parse(id)
	switch {
	case err != nil:
		return errors.New("is not a URL")
	case u.Fragment != "" || strings.Contains(id, "#"):
		return errors.New("must not have a fragment")
	case u.User != nil:
		return errors.New("must not hold credentials")
	case hasDotSegment(u.Path):
		return errors.New("must not have . or .. path segments")
	}
	return nil
}

func hasDotSegment(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// ClientMetadata is what a metadata document says that this server uses.
type ClientMetadata struct {
	ClientID                string   `json:"client_id"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	LogoURI                 string   `json:"logo_uri"`
	RedirectURIs            []string `json:"redirect_uris"`
	Scope                   string   `json:"scope"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
}

// ParseClientMetadata reads and checks a metadata document fetched from
// clientID: a JSON object naming clientID itself, at least one redirect URI,
// no secret (such a client is public), and nothing this server cannot do.
func ParseClientMetadata(body []byte, clientID string) (*ClientMetadata, error) {
	bad := func(why string) error {
		return apierr.Newf(apierr.OAuthInvalidClient, "The client metadata document "+why)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, bad("is not a JSON object")
	}
	for _, k := range []string{"client_secret", "client_secret_expires_at"} {
		if _, ok := raw[k]; ok {
			return nil, bad("must not hold " + k + ": such a client is public")
		}
	}
	var m ClientMetadata
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, bad("has a field of the wrong type")
	}
	if m.ClientID != clientID {
		return nil, bad("names another client_id than its URL")
	}
	if len(m.RedirectURIs) == 0 || len(m.RedirectURIs) > 20 {
		return nil, bad("must list between 1 and 20 redirect_uris")
	}
	for _, r := range m.RedirectURIs {
		u, err := url.Parse(r)
		if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(r, "#") || len(r) > maxParam {
			return nil, bad("has a redirect URI that is not an absolute URI without a fragment")
		}
	}
	if m.TokenEndpointAuthMethod != "" && m.TokenEndpointAuthMethod != "none" {
		return nil, bad("asks for token_endpoint_auth_method " + quote(m.TokenEndpointAuthMethod) + "; only none (PKCE) is supported")
	}
	if len(m.GrantTypes) > 0 && !slices.Contains(m.GrantTypes, "authorization_code") {
		return nil, bad("does not allow the authorization_code grant")
	}
	if len(m.ResponseTypes) > 0 && !slices.Contains(m.ResponseTypes, "code") {
		return nil, bad("does not allow response_type code")
	}
	for _, s := range []*string{&m.ClientName, &m.ClientURI, &m.LogoURI} {
		if len(*s) > maxParam {
			*s = ""
		}
	}
	return &m, nil
}

// scopes are the supported scopes the document asks for, or the default.
func (m *ClientMetadata) scopes() []string {
	asked, err := parseScope(m.Scope)
	if err != nil || len(asked) == 0 {
		return defaultCIMDScopes
	}
	var out []string
	for _, s := range asked {
		if slices.Contains(SupportedScopes, s) {
			out = append(out, s)
		}
	}
	return out
}

// cimdClient returns the client a metadata document URL names: the stored
// copy while fresh, else the document fetched again.
func (s *Service) cimdClient(ctx context.Context, id string) (*models.OAuth2Client, error) {
	if err := checkCIMDURL(id); err != nil {
		return nil, apierr.Newf(apierr.OAuthInvalidClient, "The client_id URL "+err.Error())
	}
	c, err := models.FindOAuth2Client(s.db.WithContext(ctx), id)
	switch {
	case err == nil && c.Type == models.OAuth2ClientRegistered:
		return c, nil // an operator registered this id: it is theirs
	case err == nil && c.FetchedAt != nil && s.now().Sub(*c.FetchedAt) < cimdCacheTTL:
		return c, nil
	case err != nil && !errors.Is(err, models.ErrNotFound):
		return nil, err
	}
	body, err := s.cimd.fetch(ctx, id)
	if err != nil {
		s.log.Debug("client metadata document not fetched", "client_id", id, "error", err)
		return nil, apierr.Newf(apierr.OAuthInvalidClient, "The client metadata document could not be fetched: "+err.Error())
	}
	m, err := ParseClientMetadata(body, id)
	if err != nil {
		return nil, err
	}
	meta := models.JSONMap{}
	for k, v := range map[string]string{"client_name": m.ClientName, "client_uri": m.ClientURI, "logo_uri": m.LogoURI} {
		if v != "" {
			meta[k] = v
		}
	}
	c, err = models.UpsertCIMDClient(s.db.WithContext(ctx), id, m.RedirectURIs, m.scopes(), meta, s.now())
	if errors.Is(err, models.ErrClientIDTaken) {
		return nil, apierr.Newf(apierr.OAuthInvalidClient, "A registered client has this client_id")
	}
	return c, err
}

// cimdFetcher fetches documents without letting a client id point this
// server at its own network: only public addresses (checked on the address
// actually dialled, so DNS cannot swap one in), HTTPS, no redirects, no
// proxy from the environment, bounded time and size.
type cimdFetcher struct {
	client        *http.Client
	allowInsecure bool
}

var errPrivateAddress = errors.New("the host resolves to a private, loopback or link-local address")

func newCIMDFetcher(allowInsecure bool, roots *x509.CertPool) *cimdFetcher {
	dialer := &net.Dialer{Timeout: cimdTimeout}
	if !allowInsecure {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !publicAddress(ap.Addr()) {
				return errPrivateAddress
			}
			return nil
		}
	}
	return &cimdFetcher{allowInsecure: allowInsecure, client: &http.Client{
		Timeout: cimdTimeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: cimdTimeout,
			MaxIdleConns:        4,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// publicAddress: not loopback, private, link-local, unspecified or multicast.
func publicAddress(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && !a.IsLoopback() && !a.IsPrivate() && !a.IsLinkLocalUnicast() && !a.IsLinkLocalMulticast() &&
		!a.IsUnspecified() && !a.IsMulticast() && !a.IsInterfaceLocalMulticast()
}

func (f *cimdFetcher) fetch(ctx context.Context, id string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return nil, errors.New("the URL cannot be requested")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		if errors.Is(err, errPrivateAddress) {
			return nil, errPrivateAddress
		}
		return nil, errors.New("the request failed")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("it answered HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, cimdMaxBytes+1))
	if err != nil {
		return nil, errors.New("reading it failed")
	}
	if len(body) > cimdMaxBytes {
		return nil, fmt.Errorf("it is larger than %d bytes", cimdMaxBytes)
	}
	return bytes.TrimSpace(body), nil
}
