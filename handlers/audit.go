package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/session"
)

// auditSignIn queues a refused sign-in (or sign-up): no round trip on the
// request. A success is recorded by the service, in the transaction that
// creates the user or the session, so that a crash cannot lose it. Only
// refusals after a credential was checked count as failures; a malformed
// request is not an attempt.
func (h *Handlers) auditSignIn(c *gin.Context, ok audit.Type, method, email string, _ *session.Issued, err error) {
	ctx := c.Request.Context()
	if err == nil {
		return
	}
	ae := apierr.As(err)
	if ae.Status != http.StatusUnauthorized && ae.Status != http.StatusForbidden && ae.Status != http.StatusConflict {
		return
	}
	t := audit.SignInFailed
	if ok == audit.SignUp {
		t = audit.SignUpFailed
	}
	_ = h.audit.Log(ctx, nil, audit.Event{Type: t, Email: email, Detail: map[string]any{"method": method, "reason": ae.Code}})
}
