package handlers_test

import (
	"math/rand/v2"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomToken is n letters: a valid HTTP method token that no route knows.
func randomToken(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('A' + r.IntN(26))
	}
	return string(b)
}

// Random methods and paths (a scanner, or someone filling our memory) must
// not become label values or unbounded log fields: /metrics stays the size
// it was and the request log lines stay short.
func TestMetricsAndLogsBoundedUnderRandomMethods(t *testing.T) {
	e := newEnv(t, nil)
	e.do("GET", "/v1/version", nil)
	before := len(e.metrics())
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100; i++ {
		method := randomToken(r, 30<<10)
		path := "/v1/" + strings.ToLower(randomToken(r, 1+r.IntN(4000)))
		if i%2 == 0 {
			path = "/v1/version" // a known route under an unknown method
		}
		req := httptest.NewRequest("GET", path, nil)
		req.Method = method
		rec := httptest.NewRecorder()
		e.srv.Router.ServeHTTP(rec, req)
		require.Contains(t, []int{404, 405, 501}, rec.Code)
		require.Contains(t, rec.Header().Get("Content-Type"), "application/json", "a JSON error")
	}
	for i := 0; i < 100; i++ {
		e.do("GET", "/v1/"+strings.ToLower(randomToken(r, 2000)), nil)
	}
	m := e.metrics()
	t.Logf("/metrics: %d bytes before, %d after 200 random requests", before, len(m))
	series := regexp.MustCompile(`(?m)^auth_http_requests_total\{`).FindAllStringIndex(m, -1)
	require.LessOrEqual(t, len(series), 6, "one series per (method class, route, status)")
	require.Less(t, len(m), before+8<<10, "/metrics grew from %d to %d bytes", before, len(m))
	require.NotRegexp(t, `method="[A-Z]{20,}"`, m)
	for _, line := range strings.Split(e.logs.String(), "\n") {
		require.Less(t, len(line), 1<<10, "log line too long: %.200s…", line)
	}
}
