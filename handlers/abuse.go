package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/emailaddr"
	"github.com/hasura-auth-go/auth/ratelimit"
	"github.com/hasura-auth-go/auth/sms/phone"
)

// Abuse: body cap, rate limits (package ratelimit) and even timing of the
// routes whose answer must not tell whether an account exists.

// bodyCap refuses a declared body over AUTH_MAX_REQUEST_BODY_BYTES before
// any work, and caps undeclared (chunked) bodies for every reader after it.
// The answer is bindJSON's: 400 invalid-request, a code the contract knows.
func (h *Handlers) bodyCap(c *gin.Context) {
	if c.Request.ContentLength > h.cfg.MaxRequestBodyBytes {
		h.writeError(c, apierr.Invalid(fmt.Sprintf("The request body is larger than %d bytes", h.cfg.MaxRequestBodyBytes)))
		return
	}
	if c.Request.Body != nil && c.Request.Body != http.NoBody {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, h.cfg.MaxRequestBodyBytes)
	}
	c.Next()
}

// rateLimit applies AUTH_RATE_LIMIT_* to a route of class (mounted only
// when enabled).
func (h *Handlers) rateLimit(class ratelimit.Class) gin.HandlerFunc {
	return func(c *gin.Context) {
		req, ok := h.countRequest(c, class)
		if !ok {
			return
		}
		c.Next()
		if req.Target != "" && guessFailed(c) {
			if err := h.limiter.Failed(c.Request.Context(), req); err != nil {
				h.log.ErrorContext(c.Request.Context(), "rate limit failure count failed", "error", err.Error())
			}
		}
	}
}

// guessFailed: the request was refused for a wrong secret (password, code,
// ticket): a 401 before concealing, or a wrong one-time code (400 in the
// contract).
func guessFailed(c *gin.Context) bool {
	last := c.Errors.Last()
	if last == nil {
		return false
	}
	e := apierr.As(last.Err)
	return e.Status == http.StatusUnauthorized || e.Code == apierr.InvalidOTP
}

// checkLimit counts the request; false: refused, the 429 is written. The
// client is the IP gin resolves under AUTH_TRUSTED_PROXIES; the target is
// the "email" of the body, else its "phoneNumber" (in E.164 when it parses,
// so that one number written two ways is one target), on classes counted
// per address.
func (h *Handlers) checkLimit(c *gin.Context, class ratelimit.Class) bool {
	_, ok := h.countRequest(c, class)
	return ok
}

// countRequest is checkLimit, returning the request it counted. An account
// past its limit of failed guesses (ratelimit.AccountRule) is not refused
// outright, which would let anyone lock its owner out: with Turnstile
// configured the request needs a passed challenge; without, IPs that have not
// failed at the account go on, those that have are refused.
func (h *Handlers) countRequest(c *gin.Context, class ratelimit.Class) (ratelimit.Request, bool) {
	ip, _ := netip.ParseAddr(c.ClientIP())
	req := ratelimit.Request{Class: class, IP: ip}
	if class.Targeted() {
		req.Target = h.peekTarget(c)
	}
	denied, err := h.limiter.Check(c.Request.Context(), req)
	if err != nil {
		// Stores fall back to memory rather than fail; never lock everyone out.
		h.log.ErrorContext(c.Request.Context(), "rate limit check failed", "error", err.Error())
	}
	if denied != nil && denied.Challenge {
		switch {
		case h.captcha != nil:
			if err := h.captchaOnce(c); err != nil {
				h.metrics.RateLimited(denied.Rule)
				h.writeError(c, err)
				return req, false
			}
			denied = nil
		case !denied.FailedHere:
			denied = nil
		}
	}
	if denied != nil {
		h.metrics.RateLimited(denied.Rule)
		c.Header("Retry-After", strconv.Itoa(ratelimit.RetryAfterSeconds(denied.RetryAfter)))
		h.writeError(c, apierr.New(apierr.TooManyRequests))
		return req, false
	}
	return req, true
}

// peekTarget reads the "email" or "phoneNumber" of a JSON body and puts the
// body back for the handler. encoding/json matches keys as bindJSON does
// (case-insensitively, the last duplicate winning), so the limit keys the
// address the handler uses.
func (h *Handlers) peekTarget(c *gin.Context) string {
	body := c.Request.Body
	if body == nil || body == http.NoBody {
		return ""
	}
	limit := h.cfg.MaxRequestBodyBytes
	head, err := io.ReadAll(io.LimitReader(body, limit+1))
	// The handler reads what was read, then whatever is left (and so still
	// meets the cap's error on a body that is too large).
	c.Request.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), body), body}
	if err != nil || int64(len(head)) > limit {
		return ""
	}
	var v struct {
		Email       any `json:"email"`
		PhoneNumber any `json:"phoneNumber"`
	}
	if json.Unmarshal(head, &v) != nil {
		return ""
	}
	if s, _ := v.Email.(string); s != "" {
		if stored, err := emailaddr.Parse(s); err == nil {
			return stored // look-alikes of one address are one bucket
		}
		return s
	}
	s, _ := v.PhoneNumber.(string)
	if n, err := phone.Parse(s); err == nil {
		return n.String()
	}
	return s
}

// pacingCeiling bounds how long an answer is held.
const pacingCeiling = 5 * time.Second

// hold evens out the timing of a paced route (Route.Paced): its answer is
// buffered and released once ratelimit.Pacer says. Errors about the request
// itself are not paced: they do not depend on the account.
func (h *Handlers) hold(c *gin.Context) {
	// The clock starts once the body is in: a client that sends its body
	// slowly would otherwise make its own answer "slow" and so set the pace
	// of every other client's answers for minutes (the pacer keeps the
	// slowest). The body is already capped by bodyCap.
	readBody(c)
	started := time.Now()
	orig := c.Writer
	w := &bufferedWriter{ResponseWriter: orig, status: orig.Status()}
	c.Writer = w
	// On a panic the held answer is dropped: recover writes the 500.
	defer func() { c.Writer = orig }()
	c.Next()
	if w.status >= 200 && w.status <= 299 {
		if d := h.pacer.Delay(c.FullPath(), time.Since(started), time.Now()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-c.Request.Context().Done():
			}
			t.Stop()
		}
	}
	if err := w.release(orig); err != nil {
		h.log.DebugContext(c.Request.Context(), "answer not delivered", "error", err.Error())
	}
}

// readBody reads the request's body into memory and gives the handler that
// copy; a read error (the cap, a client gone) is kept for the handler to
// meet after the bytes read, as it would have met it reading.
func readBody(c *gin.Context) {
	body := c.Request.Body
	if body == nil || body == http.NoBody {
		return
	}
	data, err := io.ReadAll(body)
	var rest io.Reader = bytes.NewReader(data)
	if err != nil {
		rest = io.MultiReader(rest, errReader{err})
	}
	c.Request.Body = struct {
		io.Reader
		io.Closer
	}{rest, body}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// bufferedWriter holds an answer until hold releases it.
type bufferedWriter struct {
	gin.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *bufferedWriter) WriteHeader(code int) {
	if code > 0 {
		w.status = code
	}
}
func (w *bufferedWriter) WriteHeaderNow()                   {}
func (w *bufferedWriter) Write(b []byte) (int, error)       { return w.body.Write(b) }
func (w *bufferedWriter) WriteString(s string) (int, error) { return w.body.WriteString(s) }
func (w *bufferedWriter) Status() int                       { return w.status }
func (w *bufferedWriter) Size() int                         { return w.body.Len() }
func (w *bufferedWriter) Written() bool                     { return w.body.Len() > 0 }
func (w *bufferedWriter) Flush()                            {}
func (w *bufferedWriter) Pusher() http.Pusher               { return nil }
func (w *bufferedWriter) release(to gin.ResponseWriter) error {
	to.WriteHeader(w.status)
	if w.body.Len() == 0 {
		to.WriteHeaderNow()
		return nil
	}
	_, err := to.Write(w.body.Bytes())
	return err
}
