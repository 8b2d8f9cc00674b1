package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/ratelimit"
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

// routePath is the request path without AUTH_API_PREFIX; ok is false for
// paths outside it (the unprefixed /healthz, /metrics).
func (h *Handlers) routePath(c *gin.Context) (string, bool) {
	p, ok := strings.CutPrefix(c.Request.URL.Path, h.cfg.APIPrefix)
	if !ok || (p != "" && p[0] != '/') {
		return "", false
	}
	return p, true
}

// rateLimit applies AUTH_RATE_LIMIT_* (mounted only when enabled). The
// client is the IP gin resolves under AUTH_TRUSTED_PROXIES; the target is the
// "email" of the body on brute-force and email-sending routes.
func (h *Handlers) rateLimit(c *gin.Context) {
	path, ok := h.routePath(c)
	if !ok || path == "/healthz" || path == "/metrics" || c.Request.Method == http.MethodOptions {
		c.Next()
		return
	}
	ip, _ := netip.ParseAddr(c.ClientIP())
	req := ratelimit.Request{Path: path, IP: ip}
	if ratelimit.BruteForceProtected(path) || ratelimit.SendsEmail(path, true) {
		req.Target = h.peekEmail(c)
	}
	denied, err := h.limiter.Check(c.Request.Context(), req)
	if err != nil {
		// Stores fall back to memory rather than fail; never lock everyone out.
		h.log.ErrorContext(c.Request.Context(), "rate limit check failed", "error", err.Error())
	}
	if denied != nil {
		h.metrics.RateLimited(denied.Rule)
		c.Header("Retry-After", strconv.Itoa(ratelimit.RetryAfterSeconds(denied.RetryAfter)))
		h.writeError(c, apierr.New(apierr.TooManyRequests))
		return
	}
	c.Next()
}

// peekEmail reads the "email" of a JSON body and puts the body back for the
// handler. encoding/json matches keys as bindJSON does (case-insensitively,
// the last duplicate winning), so the limit keys the address the handler uses.
func (h *Handlers) peekEmail(c *gin.Context) string {
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
		Email any `json:"email"`
	}
	if json.Unmarshal(head, &v) != nil {
		return ""
	}
	s, _ := v.Email.(string)
	return s
}

// pacedRoutes answer "OK" whether or not the account exists; their timing
// is evened out by ratelimit.Pacer.
var pacedRoutes = map[string]bool{
	"/user/password/reset":                true,
	"/signin/passwordless/email":          true,
	"/signin/otp/email":                   true,
	"/user/email/send-verification-email": true,
}

// pacingCeiling bounds how long an answer is held.
const pacingCeiling = 5 * time.Second

// pace holds a successful answer of a paced route (see ratelimit.Pacer);
// errors about the request itself are not paced: they do not depend on the account.
func (h *Handlers) pace(c *gin.Context, started time.Time, status int) {
	if status < 200 || status > 299 || c.FullPath() == "" {
		return
	}
	d := h.pacer.Delay(c.FullPath(), time.Since(started), time.Now())
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.Request.Context().Done():
	}
}
