package oidcprovider_test

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/oidcprovider"
)

// Parsers of what applications and their documents send: whatever the
// input, no panic, and either a clear OAuth error or a value that keeps
// the parser's promises.

func requireOAuthError(t *testing.T, err error) {
	t.Helper()
	e, ok := err.(*apierr.Error)
	require.True(t, ok, "%T %v", err, err)
	require.Less(t, e.Status, 500)
	require.Contains(t, e.Code, "_", "an RFC 6749 code: %s", e.Code)
	require.NotEmpty(t, e.Message)
}

func FuzzParseAuthorizeRequest(f *testing.F) {
	for _, s := range []string{
		"client_id=nhoa_0123456789abcdef&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&response_type=code&scope=openid+profile&state=xyz&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
		"client_id=a&client_id=b&redirect_uri=x",
		"client_id=https%3A%2F%2Fagent.example.com%2Fclient.json&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2F&request=eyJ",
		"redirect_uri=&client_id=",
		"client_id=%ff%fe&redirect_uri=x",
		"client_id=x&redirect_uri=y&state=" + strings.Repeat("s", 3000),
		"%zz=1&client_id=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // the HTTP layer refuses what does not parse
		}
		r, err := oidcprovider.ParseAuthorizeRequest(q)
		if err != nil {
			requireOAuthError(t, err)
			return
		}
		require.NotEmpty(t, r.ClientID)
		require.NotEmpty(t, r.RedirectURI)
		for _, v := range []string{r.ClientID, r.RedirectURI, r.ResponseType, r.Scope, r.State, r.Nonce, r.CodeChallenge,
			r.CodeChallengeMethod, r.Resource, r.Prompt, r.Request, r.RequestURI} {
			require.LessOrEqual(t, len(v), 2048)
			require.True(t, utf8.ValidString(v))
		}
		require.Len(t, q["client_id"], 1)
		require.Len(t, q["redirect_uri"], 1)
	})
}

func FuzzParseClientMetadata(f *testing.F) {
	const id = "https://agent.example.com/client.json"
	for _, s := range []string{
		`{"client_id":"` + id + `","client_name":"Agent","redirect_uris":["https://agent.example.com/cb"],"scope":"openid profile"}`,
		`{"client_id":"` + id + `","redirect_uris":["http://127.0.0.1:33418/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"]}`,
		`{"client_id":"` + id + `","redirect_uris":[],"client_secret":"x"}`,
		`{"client_id":"` + id + `","redirect_uris":["/relative"]}`,
		`{"client_id":1}`, `[]`, `null`, `{"client_id":"` + id + `","redirect_uris":["https://a#b"]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := oidcprovider.ParseClientMetadata(body, id)
		if err != nil {
			requireOAuthError(t, err)
			return
		}
		require.Equal(t, id, m.ClientID)
		require.NotEmpty(t, m.RedirectURIs)
		require.LessOrEqual(t, len(m.RedirectURIs), 20)
		for _, r := range m.RedirectURIs {
			u, err := url.Parse(r)
			require.NoError(t, err)
			require.True(t, u.IsAbs(), r)
			require.NotContains(t, r, "#")
		}
		require.True(t, m.TokenEndpointAuthMethod == "" || m.TokenEndpointAuthMethod == "none")
		require.True(t, len(m.ResponseTypes) == 0 || slices.Contains(m.ResponseTypes, "code"))
	})
}

func FuzzParseClientCredentials(f *testing.F) {
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	}
	for _, s := range [][2]string{
		{basic("nhoa_0123456789abcdef", "s3cret:with%colons"), ""},
		{"", "client_id=nhoa_0123456789abcdef&client_secret=s3cret"},
		{basic("a", "b"), "client_secret=c"},
		{"Basic !!!", ""},
		{"Basic " + base64.StdEncoding.EncodeToString([]byte("no-colon")), ""},
		{"Bearer abc", "client_id=x"},
		{"", "client_id=x&client_id=y"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, authorization, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		cc, err := oidcprovider.ParseClientCredentials(authorization, form)
		if err != nil {
			requireOAuthError(t, err)
			return
		}
		require.LessOrEqual(t, len(cc.ID), 2048)
		require.LessOrEqual(t, len(cc.Secret), 2048)
		if cc.Basic {
			require.NotEmpty(t, cc.ID)
			require.Empty(t, form.Get("client_secret"), "never two authentication methods")
		} else {
			require.Equal(t, form.Get("client_id"), cc.ID)
		}
	})
}

// The credentials parser on the cases RFC 6749 2.3.1 spells out.
func TestParseClientCredentials(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name, authorization, body string
		want                      oidcprovider.ClientCredentials
		code                      string
	}{
		{"basic, parts form-encoded", "Basic " + enc("my%20client:p%3Ass%2Bw"), "", oidcprovider.ClientCredentials{ID: "my client", Secret: "p:ss+w", Basic: true}, ""},
		{"basic and the same client_id", "basic " + enc("c:s"), "client_id=c", oidcprovider.ClientCredentials{ID: "c", Secret: "s", Basic: true}, ""},
		{"post", "", "client_id=c&client_secret=s", oidcprovider.ClientCredentials{ID: "c", Secret: "s"}, ""},
		{"public", "", "client_id=c", oidcprovider.ClientCredentials{ID: "c"}, ""},
		{"another scheme is ignored", "Bearer x", "client_id=c", oidcprovider.ClientCredentials{ID: "c"}, ""},
		{"basic and a body secret", "Basic " + enc("c:s"), "client_secret=s", oidcprovider.ClientCredentials{}, "invalid_request"},
		{"basic and another client_id", "Basic " + enc("c:s"), "client_id=d", oidcprovider.ClientCredentials{}, "invalid_request"},
		{"basic, not base64", "Basic %%%", "", oidcprovider.ClientCredentials{}, "invalid_client"},
		{"basic without a colon", "Basic " + enc("cs"), "", oidcprovider.ClientCredentials{}, "invalid_client"},
		{"basic with a bad escape", "Basic " + enc("c%zz:s"), "", oidcprovider.ClientCredentials{}, "invalid_client"},
		{"client_id twice", "", "client_id=a&client_id=b", oidcprovider.ClientCredentials{}, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form, err := url.ParseQuery(tc.body)
			require.NoError(t, err)
			got, err := oidcprovider.ParseClientCredentials(tc.authorization, form)
			if tc.code != "" {
				require.Error(t, err)
				require.Equal(t, tc.code, err.(*apierr.Error).Code)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
