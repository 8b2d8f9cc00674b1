package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The load generator's connection against net/http's server: the framings
// a server may answer with, keep-alive, and a server that closes.
func TestConnAgainstNetHTTP(t *testing.T) {
	var conns atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/length", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"got":"` + string(b) + `","auth":"` + r.Header.Get("Authorization") + `"}`))
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 3; i++ {
			_, _ = w.Write([]byte(strings.Repeat("x", 5000)))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("no"))
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	u, _ := url.Parse(srv.URL + "/")
	cn := newConn(u, 5*time.Second)
	defer cn.close()
	post := cn.prepare(http.MethodPost, "length", "Content-Type", "application/json", "Authorization", "Bearer abc", "X-Empty", "")
	cases := []struct {
		name   string
		req    request
		body   []byte
		status int
		want   string
	}{
		{"content-length with a body", post, []byte("hello"), 200, `{"got":"hello","auth":"Bearer abc"}`},
		{"again on the same connection", post, []byte("again"), 200, `{"got":"again","auth":"Bearer abc"}`},
		{"chunked", cn.prepare(http.MethodGet, "chunked"), nil, 200, strings.Repeat("x", 15000)},
		{"no content", cn.prepare(http.MethodGet, "empty"), nil, 204, ""},
		{"connection close", cn.prepare(http.MethodGet, "close"), nil, 401, "no"},
		{"after a close, a new connection", post, []byte(""), 200, `{"got":"","auth":"Bearer abc"}`},
	}
	for _, tc := range cases {
		status, err := cn.do(tc.req, tc.body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if status != tc.status || string(cn.body) != tc.want {
			t.Fatalf("%s: got %d %q, want %d %q", tc.name, status, cn.body, tc.status, tc.want)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("connections: got %d, want 2 (one kept alive until the close)", n)
	}

	// The server drops idle connections: the next request goes out again on a new one.
	srv.CloseClientConnections()
	if status, err := cn.do(post, []byte("x")); err != nil || status != 200 {
		t.Fatalf("after the server closed the connection: %d %v", status, err)
	}
}

func TestReadResponseRejects(t *testing.T) {
	cases := map[string]string{
		"not HTTP":                 "SSH-2.0-OpenSSH\r\n\r\n",
		"status not a number":      "HTTP/1.1 2x0 OK\r\n\r\n",
		"header without colon":     "HTTP/1.1 200 OK\r\nbroken\r\n\r\n",
		"bad length":               "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"two lengths":              "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"short body":               "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		"bad chunk size":           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"chunk without terminator": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
		"unknown encoding":         "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		"truncated headers":        "HTTP/1.1 200 OK\r\nContent-Len",
	}
	for name, raw := range cases {
		if _, _, _, err := readResponse(bufio.NewReader(strings.NewReader(raw)), nil); err == nil {
			t.Errorf("%s: accepted %q", name, raw)
		}
	}
}

// FuzzReadResponse: whatever a server sends, the parser returns or fails;
// it never panics or holds more than maxBody.
func FuzzReadResponse(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	f.Add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nok\r\n0\r\nT: v\r\n\r\n")
	f.Add("HTTP/1.0 401 Unauthorized\r\n\r\nbody until close")
	f.Fuzz(func(t *testing.T, raw string) {
		status, _, body, err := readResponse(bufio.NewReaderSize(strings.NewReader(raw), 4096), nil)
		if err == nil && (status < 100 || status > 999) {
			t.Fatalf("status %d accepted", status)
		}
		if len(body) > maxBody {
			t.Fatalf("body of %d bytes", len(body))
		}
	})
}

func TestRefreshTokenOf(t *testing.T) {
	const tok = "0f8fad5b-d9cb-469f-a165-70867728950e"
	cases := map[string]string{
		`{"accessToken":"a","refreshToken":"` + tok + `","user":{}}`:    tok,
		`{"refreshToken" : "` + tok + `"}`:                              tok, // spaced: decoded properly
		`{"user":{"refreshToken":"x"},"refreshToken":"` + tok + `"}`:    tok, // two keys: decoded properly
		`{"refreshTokenId":"i","refreshToken":"` + tok + `","other":1}`: tok,
	}
	for body, want := range cases {
		got, err := refreshTokenOf([]byte(body))
		if err != nil || got != want {
			t.Errorf("%s: got %q, %v", body, got, err)
		}
	}
	for _, bad := range []string{`{}`, `not json`, `{"refreshToken":""}`} {
		if _, err := refreshTokenOf([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
