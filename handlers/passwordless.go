package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
)

// signInEmailRequest is the contract's SignInPasswordlessEmailRequest and
// SignInOTPEmailRequest.
type signInEmailRequest struct {
	Email   string                 `json:"email"`
	Options *account.SignUpOptions `json:"options"`
}

// signInPasswordlessEmail: POST /signin/passwordless/email mails a magic link.
func (h *Handlers) signInPasswordlessEmail(c *gin.Context) error {
	var req signInEmailRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if err := h.accounts.SignInPasswordlessEmail(c.Request.Context(), req.Email, req.Options); err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}

// signInOTPEmail: POST /signin/otp/email mails a 6-digit code.
func (h *Handlers) signInOTPEmail(c *gin.Context) error {
	var req signInEmailRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if err := h.accounts.SignInOTPEmail(c.Request.Context(), req.Email, req.Options); err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}

// signInOTPEmailVerifyRequest is the contract's SignInOTPEmailVerifyRequest.
type signInOTPEmailVerifyRequest struct {
	OTP   string `json:"otp"`
	Email string `json:"email"`
}

// signInOTPEmailVerify: POST /signin/otp/email/verify answers a session,
// or the ticket of the second factor.
func (h *Handlers) signInOTPEmailVerify(c *gin.Context) error {
	var req signInOTPEmailVerifyRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.OTP == "" {
		return apierr.Invalid(`"otp" is required`)
	}
	issued, ticket, err := h.accounts.SignInOTPEmailVerify(c.Request.Context(), req.Email, req.OTP)
	if err != nil {
		return err
	}
	if ticket != "" {
		// As password sign-in answers a user with TOTP; the contract's
		// SignInOTPEmailVerifyResponse lacks "mfa" (docs/sessions-and-security.md).
		c.JSON(http.StatusOK, signInEmailPasswordResponse{MFA: &mfaChallenge{Ticket: ticket}})
		return nil
	}
	return h.writeSession(c, issued, nil)
}
