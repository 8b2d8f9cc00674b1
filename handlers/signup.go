package handlers

import (
	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
)

type signUpEmailPasswordRequest struct {
	Email    string                 `json:"email"`
	Password string                 `json:"password"`
	Options  *account.SignUpOptions `json:"options"`
}

func (h *Handlers) signUpEmailPassword(c *gin.Context) error {
	var req signUpEmailPasswordRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.Password == "" {
		return apierr.Invalid(`"password" is required`)
	}
	issued, err := h.accounts.SignUpEmailPassword(c.Request.Context(), req.Email, req.Password, req.Options)
	h.auditSignIn(c, audit.SignUp, "email-password", req.Email, issued, err)
	if err != nil {
		return err
	}
	return h.writeSession(c, issued, nil)
}
