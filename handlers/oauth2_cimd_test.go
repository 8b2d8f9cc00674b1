package handlers_test

import (
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/server"
)

// Client ID metadata documents: a client whose id is the HTTPS URL of a
// JSON document naming its redirect URIs, served here by a local TLS server.

// docServer serves metadata documents; the handler of each path gets the
// server's base URL. fetches counts requests per path.
type docServer struct {
	*httptest.Server
	fetches map[string]*atomic.Int32
}

func newDocServer(t *testing.T, tls bool, docs map[string]func(base string, w http.ResponseWriter)) *docServer {
	t.Helper()
	d := &docServer{fetches: map[string]*atomic.Int32{}}
	mux := http.NewServeMux()
	for path, h := range docs {
		n := &atomic.Int32{}
		d.fetches[path] = n
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			h(d.URL, w)
		})
	}
	d.Server = httptest.NewUnstartedServer(mux)
	if tls {
		d.StartTLS()
	} else {
		d.Start()
	}
	t.Cleanup(d.Close)
	return d
}

func (d *docServer) roots() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(d.Certificate())
	return p
}

// jsonDoc answers a metadata document; fields are added to the good one
// (nil values delete).
func jsonDoc(path string, fields map[string]any) func(string, http.ResponseWriter) {
	return func(base string, w http.ResponseWriter) {
		doc := map[string]any{"client_id": base + path, "client_name": "An agent", "redirect_uris": []string{rpRedirect}, "scope": "openid profile email"}
		for k, v := range fields {
			if v == nil {
				delete(doc, k)
			} else {
				doc[k] = v
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}
}

func TestOAuth2ClientMetadataDocument(t *testing.T) {
	docs := newDocServer(t, true, map[string]func(string, http.ResponseWriter){
		"/good.json":         jsonDoc("/good.json", nil),
		"/mismatch.json":     jsonDoc("/mismatch.json", map[string]any{"client_id": "https://elsewhere.example.com/c.json"}),
		"/secret.json":       jsonDoc("/secret.json", map[string]any{"client_secret": "s"}),
		"/no-redirects.json": jsonDoc("/no-redirects.json", map[string]any{"redirect_uris": nil}),
		"/jwt-auth.json":     jsonDoc("/jwt-auth.json", map[string]any{"token_endpoint_auth_method": "private_key_jwt"}),
		"/implicit.json":     jsonDoc("/implicit.json", map[string]any{"response_types": []string{"token"}}),
		"/not-json": func(_ string, w http.ResponseWriter) {
			_, _ = w.Write([]byte("<html>hello</html>"))
		},
		"/big.json": func(base string, w http.ResponseWriter) {
			_ = json.NewEncoder(w).Encode(map[string]any{"client_id": base + "/big.json", "redirect_uris": []string{rpRedirect},
				"client_name": strings.Repeat("x", 6000)})
		},
		"/gone.json": func(_ string, w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) },
		"/moved.json": func(base string, w http.ResponseWriter) {
			w.Header().Set("Location", base+"/good.json")
			w.WriteHeader(http.StatusFound)
		},
	})
	e := newEnvWith(t, merge(providerConfig, map[string]string{
		"AUTH_OAUTH2_PROVIDER_CIMD_ENABLED": "true",
		// the TLS server listens on 127.0.0.1
		"AUTH_OAUTH2_PROVIDER_CIMD_ALLOW_INSECURE_TRANSPORT": "true",
	}), server.Options{CIMDRootCAs: docs.roots()})
	user := e.signUp(email(t), nil)

	disc := e.do("GET", "/v1/.well-known/openid-configuration", nil)
	require.Contains(t, string(disc.Body), `"client_id_metadata_document_supported":true`)

	agent := oauthClient{id: docs.URL + "/good.json"}
	p := newAuthz(agent, "openid profile")
	tok := e.mustExchange(agent, e.authzCode(p, user), p.verifier)
	require.Equal(t, agent.id, claimsOf(t, tok.IDToken)["aud"])
	r := e.do("GET", "/v1/oauth2/userinfo", nil, bearer(tok.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, int32(1), docs.fetches["/good.json"].Load())
	var meta string
	require.NoError(t, e.db().Raw(`SELECT metadata->>'client_name' FROM auth.oauth2_clients WHERE client_id = ? AND type = 'client_id_metadata_document'`, agent.id).Scan(&meta).Error)
	require.Equal(t, "An agent", meta)

	// Kept an hour, then fetched again.
	e.authorize(newAuthz(agent, "openid"))
	require.Equal(t, int32(1), docs.fetches["/good.json"].Load())
	e.clock.Advance(time.Hour + time.Second)
	e.authorize(newAuthz(agent, "openid"))
	require.Equal(t, int32(2), docs.fetches["/good.json"].Load())

	// A document's client is public: PKCE, no secret.
	p = newAuthz(agent, "openid")
	p.values.Del("code_challenge")
	p.values.Del("code_challenge_method")
	r = e.do("GET", "/v1/oauth2/authorize?"+p.values.Encode(), nil)
	require.Equal(t, 302, r.Status)
	require.Contains(t, r.Header.Get("Location"), "error=invalid_request")

	for _, tc := range []struct {
		name, id string
		status   int
		code     string
	}{
		{"a document naming another client", docs.URL + "/mismatch.json", 401, "invalid_client"},
		{"a document with a secret", docs.URL + "/secret.json", 401, "invalid_client"},
		{"a document without redirect URIs", docs.URL + "/no-redirects.json", 401, "invalid_client"},
		{"a document asking for private_key_jwt", docs.URL + "/jwt-auth.json", 401, "invalid_client"},
		{"a document without the code flow", docs.URL + "/implicit.json", 401, "invalid_client"},
		{"not JSON", docs.URL + "/not-json", 401, "invalid_client"},
		{"larger than 5 KB", docs.URL + "/big.json", 401, "invalid_client"},
		{"not found", docs.URL + "/gone.json", 401, "invalid_client"},
		{"a redirect (not followed)", docs.URL + "/moved.json", 401, "invalid_client"},
		{"a URL with a fragment", docs.URL + "/good.json#x", 401, "invalid_client"},
		{"a URL with dot segments", docs.URL + "/x/../good.json", 401, "invalid_client"},
		{"a URL with credentials", strings.Replace(docs.URL, "https://", "https://u:p@", 1) + "/good.json", 401, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			oauthError(t, e.do("GET", "/v1/oauth2/authorize?"+newAuthz(oauthClient{id: tc.id}, "openid").values.Encode(), nil), tc.status, tc.code)
		})
	}
	e.t = t
	require.Equal(t, int32(2), docs.fetches["/good.json"].Load(), "refused before fetching, and the redirect not followed")
	require.Equal(t, int32(1), docs.fetches["/moved.json"].Load())

	// The document's redirect URIs and scopes bind like a registered client's.
	p = newAuthz(agent, "openid")
	p.values.Set("redirect_uri", "https://evil.example.com/callback")
	oauthError(t, e.do("GET", "/v1/oauth2/authorize?"+p.values.Encode(), nil), 400, "invalid_request")
	p = newAuthz(agent, "openid graphql")
	r = e.do("GET", "/v1/oauth2/authorize?"+p.values.Encode(), nil)
	require.Equal(t, 302, r.Status)
	require.Contains(t, r.Header.Get("Location"), "error=invalid_scope")
}

// Plain HTTP documents are fetched only with CIMD_ALLOW_INSECURE_TRANSPORT.
func TestOAuth2ClientMetadataDocumentOverHTTP(t *testing.T) {
	docs := newDocServer(t, false, map[string]func(string, http.ResponseWriter){"/c.json": jsonDoc("/c.json", nil)})
	id := docs.URL + "/c.json"
	p := newAuthz(oauthClient{id: id}, "openid")

	e := oidcProviderEnv(t, map[string]string{"AUTH_OAUTH2_PROVIDER_CIMD_ENABLED": "true", "AUTH_OAUTH2_PROVIDER_CIMD_ALLOW_INSECURE_TRANSPORT": "true"})
	user := e.signUp(email(t), nil)
	e.mustExchange(oauthClient{id: id}, e.authzCode(p, user), p.verifier)

	// Without it, an http:// client id is just an unknown client.
	strict := oidcProviderEnv(t, map[string]string{"AUTH_OAUTH2_PROVIDER_CIMD_ENABLED": "true"})
	r := strict.do("GET", "/v1/oauth2/authorize?"+newAuthz(oauthClient{id: id + "?fresh"}, "openid").values.Encode(), nil)
	oauthError(t, r, 401, "invalid_client")
	require.Contains(t, string(r.Body), "Unknown client")
	// ... and the client stored while it was allowed is refused by the token endpoint when CIMD is off.
	off := oidcProviderEnv(t, nil)
	oauthError(t, off.refreshGrant(oauthClient{id: id}, "x", nil), 401, "invalid_client")
}

// Without CIMD_ALLOW_INSECURE_TRANSPORT, a document is fetched only from a
// public address: the loopback TLS server is refused before any request.
func TestOAuth2ClientMetadataDocumentPrivateAddress(t *testing.T) {
	docs := newDocServer(t, true, map[string]func(string, http.ResponseWriter){"/c.json": jsonDoc("/c.json", nil)})
	e := newEnvWith(t, merge(providerConfig, map[string]string{"AUTH_OAUTH2_PROVIDER_CIMD_ENABLED": "true"}),
		server.Options{CIMDRootCAs: docs.roots()})
	for _, id := range []string{docs.URL + "/c.json", strings.Replace(docs.URL, "127.0.0.1", "localhost", 1) + "/c.json"} {
		r := e.do("GET", "/v1/oauth2/authorize?"+url.Values{"client_id": {id}, "redirect_uri": {rpRedirect}}.Encode(), nil)
		oauthError(t, r, 401, "invalid_client")
		require.Contains(t, string(r.Body), "private")
	}
	require.Zero(t, docs.fetches["/c.json"].Load())
}
