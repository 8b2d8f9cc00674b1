package handlers

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
)

// optionsRedirectTo is the contract's OptionsRedirectTo.
type optionsRedirectTo struct {
	RedirectTo string `json:"redirectTo"`
}

func (o *optionsRedirectTo) target() string {
	if o == nil {
		return ""
	}
	return o.RedirectTo
}

// sendVerificationEmailRequest is the contract's UserEmailSendVerificationEmailRequest.
type sendVerificationEmailRequest struct {
	Email   string             `json:"email"`
	Options *optionsRedirectTo `json:"options"`
}

// sendVerificationEmail: POST /user/email/send-verification-email.
func (h *Handlers) sendVerificationEmail(c *gin.Context) error {
	var req sendVerificationEmailRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if err := h.accounts.SendVerificationEmail(c.Request.Context(), req.Email, req.Options.target()); err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}

// changeEmailRequest is the contract's UserEmailChangeRequest.
type changeEmailRequest struct {
	NewEmail string             `json:"newEmail"`
	Options  *optionsRedirectTo `json:"options"`
}

// changeEmail: POST /user/email/change (Bearer, elevated when the mode asks):
// mails a link to the new address; the email changes when it is followed.
func (h *Handlers) changeEmail(c *gin.Context) error {
	caller := caller(c)
	var req changeEmailRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if err := h.accounts.ChangeEmail(c.Request.Context(), caller.UserID, req.NewEmail, req.Options.target()); err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}

// verifyTicket: GET /verify?ticket&type&redirectTo, the link of every email.
// A redirectTo that is not allowed is answered in JSON and never redirected
// to; every other outcome is a 302 to redirectTo with refreshToken (and
// type), mfaTicket (and type) for a user with a second factor, or error and
// errorDescription in its query.
func (h *Handlers) verifyTicket(c *gin.Context) error {
	target, err := h.accounts.CheckRedirect(c.Query("redirectTo"))
	if err != nil {
		return err
	}
	if c.Query("ticket") == "" {
		return apierr.Invalid(`"ticket" is required`)
	}
	v, err := h.accounts.VerifyTicket(c.Request.Context(), c.Query("ticket"), c.Query("type"))
	if err != nil {
		return h.redirectError(c, target, err, nil)
	}
	if v.MFATicket != "" {
		// The app continues with POST /signin/mfa/totp {ticket, otp}.
		return h.redirectWith(c, target, url.Values{"mfaTicket": {v.MFATicket}, "type": {v.LinkType}})
	}
	return h.writeSession(c, v.Session, &redirect{target: target, query: url.Values{"type": {v.LinkType}}})
}
