package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/token"
)

// Access checks: the middleware each Route.Access mounts, run before the
// handler. Routes whose body decides (BearerOptional, ElevatedOptional)
// check in their handler with bearer and requireElevated.

const callerKey = "caller"

func (h *Handlers) accessChecks(a Access) []gin.HandlerFunc {
	switch a {
	case Public, BearerOptional, ElevatedOptional:
		return nil
	case Bearer:
		return []gin.HandlerFunc{h.requireBearer}
	case Elevated:
		return []gin.HandlerFunc{h.requireBearer, h.guard(func(c *gin.Context) error { return h.requireElevated(c, caller(c)) })}
	case ElevatedToAddKey:
		return []gin.HandlerFunc{h.requireBearer, h.guard(func(c *gin.Context) error {
			return h.accounts.CheckElevatedToAddKey(c.Request.Context(), caller(c))
		})}
	case AdminSecret:
		return []gin.HandlerFunc{h.guard(h.requireAdmin)}
	case WebhookKey:
		return []gin.HandlerFunc{h.guard(h.requireWebhookOrAdmin)}
	case MetricsToken:
		return []gin.HandlerFunc{h.guard(h.requireMetricsToken)}
	case OAuth2Bearer:
		return []gin.HandlerFunc{h.requireOAuth2Bearer}
	}
	panic(fmt.Sprintf("unknown access %d", a))
}

// requireBearer admits a request with a valid access token and keeps its
// holder for the handler (caller).
func (h *Handlers) requireBearer(c *gin.Context) {
	v, err := h.bearer(c)
	if err != nil {
		h.writeError(c, err)
		return
	}
	c.Set(callerKey, v)
	c.Next()
}

// caller is the holder of the access token requireBearer admitted.
func caller(c *gin.Context) *token.Verified {
	v, _ := c.Get(callerKey)
	return v.(*token.Verified)
}

// bearer returns the verified caller of a Bearer-authenticated request.
func (h *Handlers) bearer(c *gin.Context) (*token.Verified, error) {
	raw, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		return nil, apierr.New(apierr.Unauthorized)
	}
	return h.verifyAccess(c, raw)
}

// verifyAccess checks an access token's signature and claims, then that its
// user exists and its sessions were not revoked after it was issued (one
// indexed lookup: session/epoch.go).
func (h *Handlers) verifyAccess(c *gin.Context, raw string) (*token.Verified, error) {
	v, err := h.tokens.Verify(raw)
	if err != nil {
		return nil, err
	}
	if err := h.sessions.CheckAccess(c.Request.Context(), v); err != nil {
		return nil, err
	}
	return v, nil
}

// bearerToken accepts exactly "Bearer <token>", as Hasura does.
func bearerToken(header string) (string, bool) {
	parts := strings.Split(header, " ")
	if len(parts) != 2 || !strings.EqualFold(parts[0], "Bearer") || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}

// requireElevated guards a sensitive action (create PAT, activate TOTP,
// change password or email): under AUTH_REQUIRE_ELEVATED_CLAIM it refuses a
// caller whose token is not recently elevated with 403
// elevated-claim-required.
func (h *Handlers) requireElevated(c *gin.Context, caller *token.Verified) error {
	return h.accounts.CheckElevated(c.Request.Context(), caller)
}

// requireAdmin admits requests carrying HASURA_GRAPHQL_ADMIN_SECRET, as
// Hasura's own admin API does.
func (h *Handlers) requireAdmin(c *gin.Context) error {
	if h.cfg.HasuraAdminSecret == "" {
		return apierr.Newf(apierr.DisabledEndpoint, "Admin endpoints need HASURA_GRAPHQL_ADMIN_SECRET to be set")
	}
	if !secretEqual(c.GetHeader("X-Hasura-Admin-Secret"), h.cfg.HasuraAdminSecret) {
		return apierr.Newf(apierr.Unauthorized, "Send the admin secret in X-Hasura-Admin-Secret")
	}
	return nil
}

// requireWebhookOrAdmin admits X-Webhook-Key: AUTH_WEBHOOK_KEY (a narrower
// secret a cron job can hold) or X-Hasura-Admin-Secret.
func (h *Handlers) requireWebhookOrAdmin(c *gin.Context) error {
	key := h.cfg.Operators.WebhookKey
	if key == "" && h.cfg.HasuraAdminSecret == "" {
		return apierr.Newf(apierr.DisabledEndpoint, "Set AUTH_WEBHOOK_KEY or HASURA_GRAPHQL_ADMIN_SECRET to use this endpoint")
	}
	if got := c.GetHeader("X-Webhook-Key"); key != "" && got != "" {
		if secretEqual(got, key) {
			return nil
		}
		return apierr.Newf(apierr.Unauthorized, "Send AUTH_WEBHOOK_KEY in X-Webhook-Key or the admin secret in X-Hasura-Admin-Secret")
	}
	if h.cfg.HasuraAdminSecret == "" {
		return apierr.Newf(apierr.Unauthorized, "Send AUTH_WEBHOOK_KEY in X-Webhook-Key")
	}
	return h.requireAdmin(c)
}

// requireMetricsToken admits scrapers sending AUTH_METRICS_TOKEN. Without
// a token /metrics is not on the API port at all (only on AUTH_METRICS_ADDR):
// anyone could read it there.
func (h *Handlers) requireMetricsToken(c *gin.Context) error {
	if h.cfg.MetricsToken == "" {
		return apierr.New(apierr.RouteNotFound)
	}
	return checkMetricsToken(h.cfg.MetricsToken, c.GetHeader("Authorization"))
}

func checkMetricsToken(want, authorization string) error {
	raw, _ := bearerToken(authorization)
	if !secretEqual(raw, want) {
		return apierr.Newf(apierr.Unauthorized, "Send AUTH_METRICS_TOKEN as Authorization: Bearer <token>")
	}
	return nil
}

// secretEqual compares in constant time whatever the lengths: hashing first.
func secretEqual(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
