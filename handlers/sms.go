package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/account"
)

// signInSMSRequest is the contract's SignInPasswordlessSmsRequest.
type signInSMSRequest struct {
	PhoneNumber string                 `json:"phoneNumber"`
	Options     *account.SignUpOptions `json:"options"`
}

// signInPasswordlessSMS: POST /signin/passwordless/sms texts a code.
func (h *Handlers) signInPasswordlessSMS(c *gin.Context) error {
	var req signInSMSRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if err := h.sms.Send(c.Request.Context(), req.PhoneNumber, req.Options); err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}

// signInSMSOTPRequest is the contract's SignInPasswordlessSmsOtpRequest.
type signInSMSOTPRequest struct {
	PhoneNumber string `json:"phoneNumber"`
	OTP         string `json:"otp"`
}

// signInSMSMFAResponse is the contract's SignInPasswordlessSmsOtpResponse
// for a user with TOTP active: {"mfa": {"ticket": "mfaTotp:…"}}; its session
// is not nullable, so it is left out.
type signInSMSMFAResponse struct {
	MFA *mfaChallenge `json:"mfa"`
}

// signInPasswordlessSMSOTP: POST /signin/passwordless/sms/otp answers a
// session, or the ticket of the second factor.
func (h *Handlers) signInPasswordlessSMSOTP(c *gin.Context) error {
	var req signInSMSOTPRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	res, err := h.sms.Verify(c.Request.Context(), req.PhoneNumber, req.OTP)
	if err != nil {
		return err
	}
	if res.MFATicket != "" {
		c.JSON(http.StatusOK, signInSMSMFAResponse{MFA: &mfaChallenge{Ticket: res.MFATicket}})
		return nil
	}
	return h.writeSession(c, res.Session, nil)
}
