package handlers_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// dribble is a body sent one byte per tick: a slow (or malicious) client.
type dribble struct {
	r    io.Reader
	tick time.Duration
}

func (d *dribble) Read(p []byte) (int, error) {
	time.Sleep(d.tick)
	return d.r.Read(p[:1])
}

// A client that sends its body slowly must not set the pace of everyone
// else's answers: the pacer times the handler from the moment the body is in.
func TestPacerIgnoresSlowBodies(t *testing.T) {
	e, _ := newMailEnv(t, nil)
	body := `{"email":"nobody-slow@example.com"}`
	req := httptest.NewRequest("POST", "/v1/user/password/reset",
		&dribble{r: strings.NewReader(body), tick: 3 * time.Second / time.Duration(len(body))})
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.srv.Router.ServeHTTP(rec, req)
	require.Equal(t, 200, rec.Code, "%s", rec.Body)

	var slowest time.Duration
	for i := 0; i < 3; i++ {
		start := time.Now()
		r := e.do("POST", "/v1/user/password/reset", map[string]string{"email": email(t)})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("slowest later answer: %s", slowest)
	require.Less(t, slowest, 500*time.Millisecond, "later answers held by one slow client's body")
}
