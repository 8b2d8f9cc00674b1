// Package smstest runs local HTTP servers that speak the request and answer
// shapes of Twilio's Messages and Verify APIs and Modica's Mobile Gateway
// REST v2, check basic auth, record what they were sent, and can be told to
// refuse a number, fail (503) or answer slowly. Tests only.
package smstest

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Request is one request a fake server received.
type Request struct {
	Method      string
	Path        string
	ContentType string
	User        string // basic-auth user ("" when none)
	AuthOK      bool   // basic auth matched the server's credentials
	Form        url.Values
	Body        []byte
}

// server is what both fakes share: credentials, the request log, faults.
type server struct {
	URL      string // base URL (no trailing slash)
	user     string
	password string

	srv        *httptest.Server
	mu         sync.Mutex
	requests   []Request
	rejected   map[string]bool // numbers refused as invalid
	outage     bool
	delay      time.Duration
	statusOnce []int // queued statuses answered instead of the real handling
}

func newServer(t testing.TB, user, password string, handle func(w http.ResponseWriter, r *http.Request, rec *Request)) *server {
	s := &server{user: user, password: password, rejected: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		u, p, hasAuth := r.BasicAuth()
		rec := Request{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"),
			User: u, AuthOK: hasAuth && u == s.user && p == s.password, Body: body}
		if form, err := url.ParseQuery(string(body)); err == nil && rec.ContentType == "application/x-www-form-urlencoded" {
			rec.Form = form
		}
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		delay, outage := s.delay, s.outage
		var forced int
		if len(s.statusOnce) > 0 {
			forced, s.statusOnce = s.statusOnce[0], s.statusOnce[1:]
		}
		s.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case outage:
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		case forced != 0:
			w.WriteHeader(forced)
		default:
			handle(w, r, &rec)
		}
	}))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Requests returns every request received, in order.
func (s *server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RejectNumber makes the server refuse e164 as an invalid destination.
func (s *server) RejectNumber(e164 string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected[e164] = true
}

// SetOutage makes every answer a 503 (true) or ends the outage (false).
func (s *server) SetOutage(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = on
}

// SetDelay holds every answer back by d (0: none), or until the client
// gives up.
func (s *server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// FailNext answers the next requests with these statuses and no body, one
// each, before handling resumes.
func (s *server) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statusOnce = append(s.statusOnce, statuses...)
}

func (s *server) isRejected(number string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected[number]
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
