package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/audit"
)

type signInEmailPasswordRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (h *Handlers) signInEmailPassword(c *gin.Context) error {
	var req signInEmailPasswordRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	issued, ticket, err := h.accounts.SignInEmailPassword(c.Request.Context(), req.Email, req.Password)
	if ticket == "" { // with a ticket the sign-in is not complete yet: /signin/mfa/totp records it
		h.auditSignIn(c, audit.SignIn, "email-password", req.Email, issued, err)
	}
	if err != nil {
		return err
	}
	if ticket != "" {
		c.JSON(http.StatusOK, signInEmailPasswordResponse{MFA: &mfaChallenge{Ticket: ticket}})
		return nil
	}
	return h.writeSession(c, issued, nil)
}

// signInEmailPasswordResponse is the contract's SignInEmailPasswordResponse
// when TOTP is needed: {"session": null, "mfa": {"ticket": "mfaTotp:…"}}.
type signInEmailPasswordResponse struct {
	Session *Session      `json:"session"`
	MFA     *mfaChallenge `json:"mfa"`
}

// mfaChallenge is the contract's MFAChallengePayload.
type mfaChallenge struct {
	Ticket string `json:"ticket"`
}

type signInAnonymousRequest struct {
	DisplayName string         `json:"displayName"`
	Locale      string         `json:"locale"`
	Metadata    map[string]any `json:"metadata"`
}

func (h *Handlers) signInAnonymous(c *gin.Context) error {
	var req signInAnonymousRequest
	if err := h.bindJSON(c, &req, true); err != nil {
		return err
	}
	issued, err := h.accounts.SignInAnonymous(c.Request.Context(), req.DisplayName, req.Locale, req.Metadata)
	if err != nil {
		return err
	}
	h.auditSignIn(c, audit.SignUp, "anonymous", "", issued, nil)
	return h.writeSession(c, issued, nil)
}
