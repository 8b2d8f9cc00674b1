package providers_test

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // OAuth 1.0a's HMAC-SHA1 signature method
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/stretchr/testify/require"
)

// twitterServer implements Twitter's OAuth 1.0a endpoints and
// verify_credentials, checking every request's HMAC-SHA1 signature
// (RFC 5849, 3.4) against the consumer secret and the token secret it
// issued. https://developer.x.com/en/docs/authentication/oauth-1-0a
type twitterServer struct {
	srv            *httptest.Server
	consumerKey    string
	consumerSecret string

	mu          sync.Mutex
	secrets     map[string]string // token → secret, request and access tokens
	verifiers   map[string]string // request token → verifier
	nonces      map[string]bool
	callback    string
	issued      int // request tokens issued
	failAccess  int // status to answer the access-token request with
	failRequest int // status to answer the request-token request with
}

func newTwitterServer(t *testing.T) *twitterServer {
	t.Helper()
	s := &twitterServer{consumerKey: "ck-1", consumerSecret: "cs-1", secrets: map[string]string{},
		verifiers: map[string]string{}, nonces: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *twitterServer) config() providers.Config {
	return providers.Config{Twitter: providers.Twitter{Enabled: true, ConsumerKey: s.consumerKey, ConsumerSecret: s.consumerSecret,
		RequestTokenURL: s.srv.URL + "/oauth/request_token", AuthorizationURL: s.srv.URL + "/oauth/authorize",
		AccessTokenURL: s.srv.URL + "/oauth/access_token", UserProfileURL: s.srv.URL + "/1.1/account/verify_credentials.json"}}
}

func (s *twitterServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	oauth, err := s.verify(r)
	if err != nil {
		http.Error(w, `{"errors":[{"code":32,"message":"Could not authenticate you."}]}`, http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/oauth/request_token":
		if s.failRequest != 0 {
			http.Error(w, "over capacity", s.failRequest)
			return
		}
		s.callback = oauth["oauth_callback"]
		s.issued++
		n := strconv.Itoa(s.issued)
		s.secrets["req-token-"+n] = "req-secret-" + n
		s.verifiers["req-token-"+n] = "verifier-" + n
		fmt.Fprintf(w, "oauth_token=req-token-%s&oauth_token_secret=req-secret-%s&oauth_callback_confirmed=true", n, n)
	case "/oauth/access_token":
		if s.failAccess != 0 {
			http.Error(w, "over capacity", s.failAccess)
			return
		}
		tok := oauth["oauth_token"]
		if v, ok := s.verifiers[tok]; !ok || v != oauth["oauth_verifier"] {
			http.Error(w, "Invalid request token.", http.StatusUnauthorized)
			return
		}
		delete(s.verifiers, tok)
		n := strings.TrimPrefix(tok, "req-token-")
		s.secrets["access-token-"+n] = "access-secret-" + n
		fmt.Fprintf(w, "oauth_token=access-token-%s&oauth_token_secret=access-secret-%s&user_id=6253282&screen_name=twitterapi", n, n)
	case "/1.1/account/verify_credentials.json":
		if !strings.HasPrefix(oauth["oauth_token"], "access-token-") {
			http.Error(w, "not an access token", http.StatusUnauthorized)
			return
		}
		// https://developer.x.com/en/docs/x-api/v1/accounts-and-users/manage-account-settings/api-reference/get-account-verify_credentials
		email := ""
		if r.URL.Query().Get("include_email") == "true" {
			email = `,"email":"api@example.com"`
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":6253282,"id_str":"6253282","name":"Twitter API","screen_name":"TwitterAPI",
			"location":"San Francisco, CA","verified":true,
			"profile_image_url_https":"https://pbs.twimg.com/profile_images/942858479592554497/BbazLO9L_normal.jpg"%s}`, email)
	default:
		http.NotFound(w, r)
	}
}

// verify checks the request's OAuth 1.0a signature and returns its oauth_*
// parameters.
func (s *twitterServer) verify(r *http.Request) (map[string]string, error) {
	oauth, err := parseOAuthHeader(r.Header.Get("Authorization"))
	if err != nil {
		return nil, err
	}
	if oauth["oauth_consumer_key"] != s.consumerKey || oauth["oauth_signature_method"] != "HMAC-SHA1" {
		return nil, errors.New("consumer or method")
	}
	ts, err := strconv.ParseInt(oauth["oauth_timestamp"], 10, 64)
	if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return nil, errors.New("timestamp")
	}
	if oauth["oauth_nonce"] == "" || s.nonces[oauth["oauth_nonce"]] {
		return nil, errors.New("nonce replayed")
	}
	s.nonces[oauth["oauth_nonce"]] = true
	tokenSecret := ""
	if tok := oauth["oauth_token"]; tok != "" {
		var ok bool
		if tokenSecret, ok = s.secrets[tok]; !ok {
			return nil, errors.New("unknown token")
		}
	}
	var params [][2]string
	for k, vs := range r.URL.Query() {
		for _, v := range vs {
			params = append(params, [2]string{k, v})
		}
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for k, vs := range r.PostForm {
			for _, v := range vs {
				params = append(params, [2]string{k, v})
			}
		}
	}
	for k, v := range oauth {
		if k != "oauth_signature" && k != "realm" {
			params = append(params, [2]string{k, v})
		}
	}
	for i := range params {
		params[i] = [2]string{percent(params[i][0]), percent(params[i][1])}
	}
	sort.Slice(params, func(i, j int) bool {
		if params[i][0] != params[j][0] {
			return params[i][0] < params[j][0]
		}
		return params[i][1] < params[j][1]
	})
	pairs := make([]string, len(params))
	for i, p := range params {
		pairs[i] = p[0] + "=" + p[1]
	}
	base := r.Method + "&" + percent("http://"+r.Host+r.URL.Path) + "&" + percent(strings.Join(pairs, "&"))
	mac := hmac.New(sha1.New, []byte(percent(s.consumerSecret)+"&"+percent(tokenSecret)))
	mac.Write([]byte(base))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(oauth["oauth_signature"])) != 1 {
		return nil, errors.New("bad signature")
	}
	return oauth, nil
}

// parseOAuthHeader reads `OAuth k="v", …` with percent-encoded values.
func parseOAuthHeader(h string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(h, "OAuth ")
	if !ok {
		return nil, errors.New("no OAuth header")
	}
	out := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, errors.New("malformed header")
		}
		v, err := url.PathUnescape(strings.Trim(v, `"`))
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// percent is RFC 5849 3.6 encoding: everything but unreserved characters.
func percent(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func TestTwitter(t *testing.T) {
	begin := func(t *testing.T) (*twitterServer, providers.Provider, providers.AuthRequest) {
		t.Helper()
		s := newTwitterServer(t)
		p, ok := registry(t, s.config(), nil).Provider("twitter")
		require.True(t, ok)
		ar, err := p.AuthRequest(background(), "state-tw")
		require.NoError(t, err)
		require.Equal(t, s.srv.URL+"/oauth/authorize?oauth_token=req-token-1", ar.URL)
		require.Equal(t, providers.Pending{RequestToken: "req-token-1", RequestTokenSecret: "req-secret-1"}, ar.Pending)
		require.Equal(t, "https://auth.example.com/v1/signin/provider/twitter/callback?state=state-tw", s.callback)
		return s, p, ar
	}
	callback := func(verifier string) providers.Callback {
		return providers.ParseCallback(url.Values{"state": {"state-tw"}, "oauth_token": {"req-token-1"}, "oauth_verifier": {verifier}})
	}

	t.Run("sign in", func(t *testing.T) {
		_, p, ar := begin(t)
		id, err := p.Complete(background(), callback("verifier-1"), ar.Pending)
		require.NoError(t, err)
		require.Equal(t, providers.Profile{ProviderUserID: "6253282", Email: "api@example.com", EmailVerified: true,
			DisplayName: "Twitter API", AvatarURL: "https://pbs.twimg.com/profile_images/942858479592554497/BbazLO9L_normal.jpg"}, id.Profile)
		require.Equal(t, providers.Token{AccessToken: "access-token-1", TokenSecret: "access-secret-1"}, id.Token)
	})
	for _, tc := range []struct {
		name  string
		edit  func(*providers.Callback, *providers.Pending)
		kind  error
		stage providers.Stage
	}{
		{"request token secret lost: the signature fails",
			func(_ *providers.Callback, p *providers.Pending) { p.RequestTokenSecret = "guessed" },
			providers.ErrProvider, providers.StageExchange},
		{"wrong verifier", func(cb *providers.Callback, _ *providers.Pending) { cb.OAuthVerifier = "verifier-x" },
			providers.ErrProvider, providers.StageExchange},
		{"callback for another request token", func(cb *providers.Callback, _ *providers.Pending) { cb.OAuthToken = "req-token-2" },
			providers.ErrBadCallback, providers.StageCallback},
		{"no verifier", func(cb *providers.Callback, _ *providers.Pending) { cb.OAuthVerifier = "" },
			providers.ErrBadCallback, providers.StageCallback},
		{"pending request lost", func(_ *providers.Callback, p *providers.Pending) { *p = providers.Pending{} },
			providers.ErrBadCallback, providers.StageCallback},
		{"user denied", func(cb *providers.Callback, _ *providers.Pending) {
			*cb = providers.ParseCallback(url.Values{"state": {"state-tw"}, "denied": {"req-token-1"}})
		}, providers.ErrDenied, providers.StageCallback},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, p, ar := begin(t)
			cb := callback("verifier-1")
			tc.edit(&cb, &ar.Pending)
			_, err := p.Complete(background(), cb, ar.Pending)
			requireKind(t, err, tc.kind, tc.stage)
		})
	}
	t.Run("access token endpoint 5xx", func(t *testing.T) {
		s, p, ar := begin(t)
		s.mu.Lock()
		s.failAccess = http.StatusServiceUnavailable
		s.mu.Unlock()
		_, err := p.Complete(background(), callback("verifier-1"), ar.Pending)
		requireKind(t, err, providers.ErrUnavailable, providers.StageExchange)
	})
	t.Run("concurrent sign-ins", func(t *testing.T) {
		s := newTwitterServer(t)
		p, _ := registry(t, s.config(), nil).Provider("twitter")
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				ar, err := p.AuthRequest(background(), "st")
				if err != nil {
					errs <- err
					return
				}
				n := strings.TrimPrefix(ar.Pending.RequestToken, "req-token-")
				id, err := p.Complete(background(), providers.Callback{OAuthToken: ar.Pending.RequestToken,
					OAuthVerifier: "verifier-" + n}, ar.Pending)
				if err == nil && id.Token.AccessToken != "access-token-"+n {
					err = fmt.Errorf("got %s for request %s", id.Token.AccessToken, n)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	})
	for name, tc := range map[string]struct {
		edit func(*twitterServer, *providers.Config)
		kind error
	}{
		"request token endpoint 5xx": {func(s *twitterServer, _ *providers.Config) { s.failRequest = http.StatusServiceUnavailable },
			providers.ErrUnavailable},
		"wrong consumer secret": {func(_ *twitterServer, c *providers.Config) { c.Twitter.ConsumerSecret = "not-the-secret" },
			providers.ErrProvider},
	} {
		t.Run(name, func(t *testing.T) {
			s := newTwitterServer(t)
			cfg := s.config()
			tc.edit(s, &cfg)
			p, _ := registry(t, cfg, nil).Provider("twitter")
			_, err := p.AuthRequest(background(), "state-tw")
			requireKind(t, err, tc.kind, providers.StageAuthorize)
		})
	}
}
