package handlers_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func (e *env) metrics(headers ...header) string {
	e.t.Helper()
	r := e.do("GET", "/metrics", nil, headers...)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	require.Contains(e.t, r.Header.Get("Content-Type"), "text/plain")
	return string(r.Body)
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
	requireMetric(t, m, `auth_signin_failures_total{reason="invalid-email-password",route="/v1/signin/email-password"}`, "3")
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
	require.True(t, strings.HasPrefix(e.metrics(bearer("scrape-me")), "#"))
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
