package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/oauth/providertest"
)

// The provider routes' examples for TestRoutesBehaveAsDeclared
// (routes_test.go), and a fuzz target for what providers send back.

// walkProviders are the providers the route examples sign in with.
type walkProviders struct{ github, google, apple *providertest.Provider }

func startWalkProviders(t testing.TB) *walkProviders {
	return &walkProviders{github: providertest.Start(t, providertest.GitHub), google: providertest.Start(t, providertest.Google),
		apple: providertest.Start(t, providertest.Apple)}
}

func (p *walkProviders) env() map[string]string {
	return merge(p.github.Env(), p.google.Env(), p.apple.Env(), map[string]string{"AUTH_PROVIDER_GOOGLE_AUDIENCE": idTokenAudience})
}

func (p *walkProviders) setClock(now func() time.Time) {
	for _, pr := range []*providertest.Provider{p.github, p.google, p.apple} {
		pr.SetClock(now)
	}
}

// accountSeq numbers provider accounts (GitHub's ids are numbers).
var accountSeq atomic.Int64

func newAccount() providertest.Account {
	n := accountSeq.Add(1)
	return providertest.Account{ID: fmt.Sprint(900000 + n), Email: fmt.Sprintf("acct%d@example.com", n), Verified: true, Name: "Walk"}
}

// startAt begins a sign-in with provider through the router and returns
// the provider's authorization URL and the binding cookie to send back.
func startAt(t *testing.T, e *env, provider string) (authorize string, cookie header) {
	t.Helper()
	r := e.do("GET", "/v1/signin/provider/"+provider, nil)
	require.Equal(t, 302, r.Status, "%s", r.Body)
	cookies := (&http.Response{Header: r.Header}).Cookies()
	require.Len(t, cookies, 1)
	return r.Header.Get("Location"), header{"Cookie", cookies[0].Name + "=" + cookies[0].Value}
}

// consent plays the user at the provider and returns its answer: the
// query of its redirect, or the fields of its form_post page.
func consent(t *testing.T, authorize string) url.Values {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authorize)
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusFound {
		u, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		return u.Query()
	}
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	form := url.Values{}
	for _, in := range formInput.FindAllSubmatch(body, -1) {
		form.Set(unescapeHTML(string(in[1])), unescapeHTML(string(in[2])))
	}
	require.NotEmpty(t, form, "%s", body)
	return form
}

func init() {
	for k, v := range map[string]func(w *walker) call{
		"GET /signin/provider/:provider": func(*walker) call { return call{path: "/v1/signin/provider/github"} },
		"GET /signin/provider/:provider/callback": func(w *walker) call {
			w.providers.github.Next(newAccount())
			authorize, cookie := startAt(w.t, w.e, "github")
			return call{path: "/v1/signin/provider/github/callback?" + consent(w.t, authorize).Encode(), headers: []header{cookie}}
		},
		"POST /signin/provider/:provider/callback": func(w *walker) call {
			w.providers.apple.Next(newAccount())
			authorize, cookie := startAt(w.t, w.e, "apple")
			return call{path: "/v1/signin/provider/apple/callback", body: consent(w.t, authorize).Encode(),
				headers: []header{cookie, {"Content-Type", "application/x-www-form-urlencoded"}}}
		},
		"GET /signin/provider/:provider/callback/tokens": func(w *walker) call {
			u := w.githubUser()
			return call{path: "/v1/signin/provider/github/callback/tokens", headers: []header{bearer(u.AccessToken)}, subject: u.User.ID}
		},
		"POST /token/provider/:provider": func(w *walker) call {
			u := w.githubUser()
			pt := w.e.providerTokens(u.AccessToken, "github")
			return call{path: "/v1/token/provider/github", body: map[string]any{"refreshToken": *pt.RefreshToken},
				headers: []header{bearer(u.AccessToken)}, subject: u.User.ID}
		},
		"POST /signin/idtoken": func(w *walker) call {
			return call{path: "/v1/signin/idtoken", body: map[string]any{"provider": "google",
				"idToken": w.providers.google.IDToken(newAccount(), idTokenAudience, nil)}}
		},
		"POST /link/idtoken": userCall("/v1/link/idtoken", true, func(w *walker, _ walkUser) any {
			return map[string]any{"provider": "google", "idToken": w.providers.google.IDToken(newAccount(), idTokenAudience, nil)}
		}),
	} {
		routeExamples[k] = v
	}
}

// githubUser signs a new GitHub account in through the router and returns
// its session.
func (w *walker) githubUser() sessionBody {
	w.t.Helper()
	w.providers.github.Next(newAccount())
	authorize, cookie := startAt(w.t, w.e, "github")
	r := w.e.do("GET", "/v1/signin/provider/github/callback?"+consent(w.t, authorize).Encode(), nil, cookie)
	require.Equal(w.t, 302, r.Status, "%s", r.Body)
	to, err := url.Parse(r.Header.Get("Location"))
	require.NoError(w.t, err)
	return w.e.mustRefresh(to.Query().Get("refreshToken"))
}

// FuzzProviderCallback: whatever comes back from a provider (query or
// form, for a started request or not), the answer is never a 5xx: a
// redirect to the app, or a JSON error.
func FuzzProviderCallback(f *testing.F) {
	for _, s := range []string{"", "state=x&code=y", "error=access_denied&error_description=no&state=s", "oauth_token=a&oauth_verifier=b",
		"state=%ff%00&code=" + strings.Repeat("a", 300), "user=%7B%22name%22%3A1%7D&state=&code=", "state=a&state=b"} {
		f.Add(s, false, false)
		f.Add(s, true, true)
	}
	p := startWalkProviders(f)
	e := newEnv(f, p.env())
	p.setClock(e.clock.Now)
	f.Fuzz(func(t *testing.T, raw string, post, started bool) {
		e.t = t
		provider := "github"
		if post {
			provider = "apple"
		}
		var hdr []header
		if started {
			// The fuzzed fields go with a real request's state and cookie.
			authorize, cookie := startAt(t, e, provider)
			u, err := url.Parse(authorize)
			require.NoError(t, err)
			raw += "&state=" + url.QueryEscape(u.Query().Get("state"))
			hdr = append(hdr, cookie)
		}
		path := "/v1/signin/provider/" + provider + "/callback"
		var r *response
		if post {
			r = e.do("POST", path, raw, append(hdr, header{"Content-Type", "application/x-www-form-urlencoded"})...)
		} else {
			target := path + "?" + raw
			if _, err := url.ParseRequestURI(target); err != nil || strings.ContainsFunc(raw, func(c rune) bool {
				return c <= ' ' || c >= 0x7f || c == '#'
			}) {
				t.Skip("not a request line an HTTP server would accept")
			}
			r = e.do("GET", target, nil, hdr...)
		}
		if r.Status == http.StatusFound {
			require.True(t, strings.HasPrefix(r.Header.Get("Location"), appURL), "redirect to %s", r.Header.Get("Location"))
			return
		}
		checkAnswer(t, path, []byte(raw), r)
	})
}
