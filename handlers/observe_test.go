package handlers_test

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// metrics scrapes the listener of AUTH_METRICS_ADDR.
func (e *env) metrics(headers ...header) string {
	e.t.Helper()
	r := e.scrape(headers...)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	require.Contains(e.t, r.Header.Get("Content-Type"), "text/plain")
	return string(r.Body)
}

func (e *env) scrape(headers ...header) *response {
	e.t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	for _, h := range headers {
		req.Header.Set(h.k, h.v)
	}
	rec := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(rec, req)
	return &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

func requireMetric(t *testing.T, body, series string, value string) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(body)
	require.NotNil(t, m, "no %s in:\n%s", series, body)
	require.Equal(t, value, m[1], series)
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, rateLimited("", nil))
	addr := email(t)
	s := e.signUp(addr, nil)
	require.Equal(t, 401, e.wrongPassword(addr).Status)
	require.Equal(t, 401, e.wrongPassword("nobody-"+addr).Status)
	require.Equal(t, 404, e.do("GET", "/v1/no/such/route?token=secret", nil).Status)
	require.Equal(t, 200, e.do("GET", "/v1/user", nil, bearer(s.AccessToken)).Status)

	// A replayed refresh token, after the reuse interval: theft, session revoked.
	r := e.do("POST", "/v1/token", map[string]string{"refreshToken": s.RefreshToken})
	require.Equal(t, 200, r.Status)
	e.clock.Advance(11 * time.Second)
	r = e.do("POST", "/v1/token", map[string]string{"refreshToken": s.RefreshToken})
	require.Equal(t, 401, r.Status)

	// The brute-force limit (3): two attempts above, one more, then 429.
	require.Equal(t, 401, e.wrongPassword(addr).Status)
	require.Equal(t, 429, e.wrongPassword(addr).Status)

	m := e.metrics()
	requireMetric(t, m, `auth_http_requests_total{method="POST",route="/v1/signup/email-password",status="200"}`, "1")
	requireMetric(t, m, `auth_http_requests_total{method="POST",route="/v1/signin/email-password",status="401"}`, "3")
	requireMetric(t, m, `auth_http_requests_total{method="POST",route="/v1/signin/email-password",status="429"}`, "1")
	requireMetric(t, m, `auth_http_requests_total{method="GET",route="unmatched",status="404"}`, "1")
	requireMetric(t, m, `auth_http_request_duration_seconds_count{method="POST",route="/v1/signin/email-password",status="401"}`, "3")
	requireMetric(t, m, `auth_http_request_duration_seconds_bucket{method="POST",route="/v1/signin/email-password",status="401",le="+Inf"}`, "3")
	requireMetric(t, m, `auth_signin_failures_total{reason="concealed",route="/v1/signin/email-password"}`, "3")
	requireMetric(t, m, `auth_signin_failures_total{reason="too-many-requests",route="/v1/signin/email-password"}`, "1")
	requireMetric(t, m, `auth_refresh_token_reuse_detected_total`, "1")
	requireMetric(t, m, `auth_rate_limited_total{limit="bruteforce"}`, "1")
	require.Regexp(t, `(?m)^go_sql_max_open_connections\{db_name="auth"\} 20$`, m)
	require.Regexp(t, `(?m)^go_sql_in_use_connections\{db_name="auth"\} \d+$`, m)
	require.Regexp(t, `(?m)^go_goroutines \d+$`, m)
	require.NotContains(t, m, "secret", "raw paths and queries never become labels")
	require.NotContains(t, m, addr)
}

func TestMetricsToken(t *testing.T) {
	e := newEnv(t, map[string]string{"AUTH_METRICS_TOKEN": "scrape-me"})
	r := e.do("GET", "/metrics", nil)
	require.Equal(t, 401, r.Status)
	require.Equal(t, 401, e.do("GET", "/metrics", nil, bearer("wrong")).Status)
	r = e.do("GET", "/metrics", nil, bearer("scrape-me"))
	require.Equal(t, 200, r.Status, "with a token, on the API port too")
	require.True(t, strings.HasPrefix(string(r.Body), "#"))
	// and on its own listener, with the token as well
	r = e.scrape()
	require.Equal(t, 401, r.Status)
	require.Equal(t, "unauthorized", r.errorCode(t))
	require.True(t, strings.HasPrefix(e.metrics(bearer("scrape-me")), "#"))
}

// Without AUTH_METRICS_TOKEN, /metrics is not on the API port: anyone could
// read pool, process and failure figures there. Its own listener serves it.
func TestMetricsNotOnTheAPIPortWithoutAToken(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/metrics", nil)
	require.Equal(t, 404, r.Status, "%s", r.Body)
	require.Equal(t, "route-not-found", r.errorCode(t))
	require.True(t, strings.HasPrefix(e.metrics(), "#"))
	r = e.scrape()
	require.Equal(t, 200, r.Status)
	req := httptest.NewRequest("GET", "/v1/version", nil)
	rec := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(rec, req)
	require.Equal(t, 404, rec.Code, "the metrics listener serves nothing else")
	require.Equal(t, "127.0.0.1:4001", e.srv.Config.MetricsAddr, "loopback by default")
}

// A disabled account, an unknown one and a wrong password are one series:
// the answers conceal which it was (AUTH_CONCEAL_ERRORS), so /metrics must too.
func TestMetricsConcealSignInFailureReasons(t *testing.T) {
	e := newEnv(t, map[string]string{"AUTH_CONCEAL_ERRORS": "true"})
	addr, off := email(t), email(t)
	e.signUp(addr, nil)
	e.signUp(off, nil)
	require.NoError(t, e.srv.DB.Exec(`update auth.users set disabled = true where email = ?`, off).Error)
	for _, r := range []*response{
		e.wrongPassword(addr),
		e.wrongPassword("nobody-" + addr),
		// the right password of a disabled account: the answer conceals that it is disabled
		e.do("POST", "/v1/signin/email-password", map[string]any{"email": off, "password": password}),
	} {
		require.Equal(t, 400, r.Status, "%s", r.Body)
		require.Equal(t, "invalid-request", r.errorCode(t))
	}
	m := e.metrics()
	require.NotContains(t, m, "disabled-user")
	requireMetric(t, m, `auth_signin_failures_total{reason="concealed",route="/v1/signin/email-password"}`, "3")
}

func TestRequestID(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/v1/version", nil, header{"X-Request-Id", "trace-abc.123"})
	require.Equal(t, "trace-abc.123", r.Header.Get("X-Request-Id"), "a caller's id is kept")
	require.Contains(t, e.logs.String(), "request_id=trace-abc.123")
	for _, bad := range []string{"has space", strings.Repeat("x", 65), "quote\"d"} {
		r = e.do("GET", "/v1/version", nil, header{"X-Request-Id", bad})
		require.Regexp(t, `^[0-9a-f]{16}$`, r.Header.Get("X-Request-Id"), "%q is replaced", bad)
	}
	r = e.do("GET", "/v1/version", nil)
	require.Regexp(t, `^[0-9a-f]{16}$`, r.Header.Get("X-Request-Id"))
}
