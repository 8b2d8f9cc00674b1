package handlers

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/ratelimit"
)

// Mounting: each row of the route table becomes a gin route whose chain is
// the middleware its traits ask for, always in this order: the route
// itself (for writeSession and writeError), rate limit, captcha, pacing,
// profile cache, access check, handler. Pacing and the profile cache wrap
// the access check as they wrap the handler: a refusal is an answer too. The middleware of every route
// (request log, metrics, recover, CORS, audit details, body cap) is on the
// engine (NewRouter).

const routeKey = "route"

// mount registers rows on r.
func (h *Handlers) mount(r *gin.Engine, rows []Route) {
	prefixed := r.Group(h.cfg.APIPrefix)
	for i := range rows {
		rt := &rows[i]
		chain := h.chain(rt)
		switch rt.Mount {
		case UnderPrefix:
			prefixed.Handle(rt.Method, rt.Path, chain...)
		case AtRoot:
			r.Handle(rt.Method, rt.Path, chain...)
		case UnderPrefixAndRoot:
			prefixed.Handle(rt.Method, rt.Path, chain...)
			if h.cfg.APIPrefix != "" {
				r.Handle(rt.Method, rt.Path, chain...)
			}
		default:
			panic(fmt.Sprintf("route %s %s: unknown mount %d", rt.Method, rt.Path, rt.Mount))
		}
	}
}

func (h *Handlers) chain(rt *Route) []gin.HandlerFunc {
	chain := []gin.HandlerFunc{func(c *gin.Context) { c.Set(routeKey, rt) }}
	if h.limiter != nil && !rt.Unlimited {
		chain = append(chain, h.rateLimit(rt.Rate))
	}
	if rt.Captcha && h.captcha != nil {
		chain = append(chain, h.guard(h.captchaOnce))
	}
	if rt.Paced {
		chain = append(chain, h.hold)
	}
	if rt.EmptiesProfiles() {
		chain = append(chain, h.forgetProfiles)
	}
	chain = append(chain, h.accessChecks(rt.Access)...)
	return append(chain, h.handle(func(c *gin.Context) error { return rt.Handle(h, c) }))
}

const captchaPassedKey = "captcha-passed"

// captchaOnce runs the captcha check once per request: a Turnstile token
// is good for one verification, and both the rate limit (an account past
// its limit) and a Captcha route may ask.
func (h *Handlers) captchaOnce(c *gin.Context) error {
	if c.GetBool(captchaPassedKey) {
		return nil
	}
	if err := h.captcha(c); err != nil {
		return err
	}
	c.Set(captchaPassedKey, true)
	return nil
}

// routeOf is the row of the request's route; nil when no route matched.
func routeOf(c *gin.Context) *Route {
	v, _ := c.Get(routeKey)
	rt, _ := v.(*Route)
	return rt
}

// guard turns a check into middleware: an error is the answer.
func (h *Handlers) guard(check func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := check(c); err != nil {
			h.writeError(c, err)
			return
		}
		c.Next()
	}
}

// limitUnmatched counts a request that matched no route against the global
// limit, as every request under AUTH_API_PREFIX is: probing for routes costs
// what calling them does. It returns false when the request was refused
// (the answer is written).
func (h *Handlers) limitUnmatched(c *gin.Context) bool {
	if h.limiter == nil || c.Request.Method == http.MethodOptions {
		return true
	}
	p, ok := strings.CutPrefix(c.Request.URL.Path, h.cfg.APIPrefix)
	if !ok || (p != "" && p[0] != '/') {
		return true
	}
	return h.checkLimit(c, ratelimit.Global)
}
