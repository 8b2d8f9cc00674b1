package hibp_test

import (
	"context"
	"crypto/sha1" //nolint:gosec
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/hibp"
)

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s)) //nolint:gosec
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// rangeServer answers range queries from a corpus of leaked passwords, the
// way the real API does: every suffix under the prefix, padded with zero
// counts. It records the paths it was asked for.
type rangeServer struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newRangeServer(t *testing.T, leaked ...string) *rangeServer {
	t.Helper()
	corpus := map[string]int{}
	for i, p := range leaked {
		corpus[sha1Hex(p)] = 10 + i
	}
	rs := &rangeServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		rs.paths = append(rs.paths, r.URL.Path)
		rs.mu.Unlock()
		prefix, ok := strings.CutPrefix(r.URL.Path, "/range/")
		if !ok || len(prefix) != 5 {
			http.NotFound(w, r)
			return
		}
		var lines []string
		for h, n := range corpus {
			if strings.HasPrefix(h, prefix) {
				lines = append(lines, fmt.Sprintf("%s:%d", h[5:], n))
			}
		}
		// padding: suffixes that match nothing, count 0
		lines = append(lines, strings.Repeat("0", 35)+":0", "ABCDEF"+strings.Repeat("1", 29)+":0")
		if r.Header.Get("Add-Padding") == "true" {
			_, _ = fmt.Fprint(w, strings.Join(lines, "\r\n"))
		}
	}))
	t.Cleanup(rs.Close)
	return rs
}

func TestPwned(t *testing.T) {
	srv := newRangeServer(t, "password1", "hunter2")
	c := hibp.New(srv.URL, hibp.Options{})
	for pw, want := range map[string]bool{
		"password1": true, "hunter2": true,
		"correct horse battery staple 8a1f": false, "": false,
	} {
		got, err := c.Pwned(context.Background(), pw)
		require.NoError(t, err, pw)
		assert.Equal(t, want, got, pw)
	}
	// Only five hex characters of each hash left: never the password, never
	// the rest of its hash.
	for _, p := range srv.paths {
		require.Regexp(t, `^/range/[0-9A-F]{5}$`, p)
	}
	require.NotContains(t, strings.Join(srv.paths, " "), sha1Hex("password1")[5:])
}

// A suffix that is listed with count 0 is padding, not a leak.
func TestPaddingIsNotALeak(t *testing.T) {
	pw := "padding-only"
	h := sha1Hex(pw)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "%s:0\r\n", h[5:])
	}))
	defer srv.Close()
	got, err := hibp.New(srv.URL, hibp.Options{}).Pwned(context.Background(), pw)
	require.NoError(t, err)
	require.False(t, got)
}

func TestUnavailable(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // nothing listens there now
	limited := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "rate limited", http.StatusTooManyRequests)
	}))
	defer limited.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "<html>maintenance</html>")
	}))
	defer garbage.Close()
	for name, url := range map[string]string{"unreachable": down.URL, "error status": limited.URL, "not a range answer": garbage.URL} {
		t.Run(name, func(t *testing.T) {
			_, err := hibp.New(url, hibp.Options{}).Pwned(context.Background(), "anything")
			require.Error(t, err)
			require.True(t, errors.Is(err, hibp.ErrUnavailable), "%v", err)
		})
	}
}

func TestParseLine(t *testing.T) {
	for line, want := range map[string]struct {
		suffix string
		count  int
		ok     bool
	}{
		"0018A45C4D1DEF81644B54AB7F969B88D65:1":    {"0018A45C4D1DEF81644B54AB7F969B88D65", 1, true},
		"0018a45c4d1def81644b54ab7f969b88d65:21\r": {"0018A45C4D1DEF81644B54AB7F969B88D65", 21, true},
		"0018A45C4D1DEF81644B54AB7F969B88D65":      {},
		"0018A45C4D1DEF81644B54AB7F969B88D6:1":     {},
		"0018A45C4D1DEF81644B54AB7F969B88DZZ:1":    {},
		"0018A45C4D1DEF81644B54AB7F969B88D65:-1":   {},
		"0018A45C4D1DEF81644B54AB7F969B88D65:x":    {},
		"":                                         {},
	} {
		s, n, ok := hibp.ParseLine(line)
		assert.Equal(t, want.ok, ok, "%q", line)
		if want.ok {
			assert.Equal(t, want.suffix, s)
			assert.Equal(t, want.count, n)
		}
	}
}

// The range answer comes from the network: no line may crash the parser, and
// an accepted line is always a 35-character upper-case hex suffix.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"0018A45C4D1DEF81644B54AB7F969B88D65:1", ":", "a:b:c", strings.Repeat("F", 35) + ":99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		s, n, ok := hibp.ParseLine(line)
		if !ok {
			return
		}
		if len(s) != 35 || strings.ToUpper(s) != s || n < 0 {
			t.Fatalf("accepted %q as %q:%d", line, s, n)
		}
		if _, err := hex.DecodeString("0" + s); err != nil {
			t.Fatalf("accepted non-hex suffix %q", s)
		}
	})
}
