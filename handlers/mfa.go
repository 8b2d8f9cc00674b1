package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
)

// totpGenerateResponse is the contract's TotpGenerateResponse.
type totpGenerateResponse struct {
	ImageURL   string `json:"imageUrl"`
	TOTPSecret string `json:"totpSecret"`
}

func (h *Handlers) generateTOTP(c *gin.Context) error {
	caller := caller(c)
	setup, err := h.accounts.GenerateTOTP(c.Request.Context(), caller.UserID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, totpGenerateResponse{ImageURL: setup.ImageURL, TOTPSecret: setup.Secret})
	return nil
}

// userMFARequest is the contract's UserMfaRequest.
type userMFARequest struct {
	Code          string  `json:"code"`
	ActiveMFAType *string `json:"activeMfaType"`
}

// changeUserMFA activates TOTP (elevation required when the mode asks: an
// attacker holding a stolen access token must not bind their own
// authenticator) or deactivates it (the code itself is the proof).
func (h *Handlers) changeUserMFA(c *gin.Context) error {
	caller := caller(c)
	var req userMFARequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.Code == "" {
		return apierr.Invalid(`"code" is required`)
	}
	if req.ActiveMFAType != nil && *req.ActiveMFAType == account.MFATypeTOTP {
		if err := h.requireElevated(c, caller); err != nil {
			return err
		}
	}
	if err := h.accounts.ChangeMFA(c.Request.Context(), caller.UserID, req.Code, req.ActiveMFAType); err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}

// signInMFATOTPRequest is the contract's SignInMfaTotpRequest.
type signInMFATOTPRequest struct {
	Ticket string `json:"ticket"`
	OTP    string `json:"otp"`
}

func (h *Handlers) signInMFATOTP(c *gin.Context) error {
	var req signInMFATOTPRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.Ticket == "" || req.OTP == "" {
		return apierr.Invalid(`"ticket" and "otp" are required`)
	}
	issued, err := h.accounts.SignInMFATOTP(c.Request.Context(), req.Ticket, req.OTP)
	h.auditSignIn(c, audit.SignIn, "totp", "", issued, err)
	if err != nil {
		return err
	}
	return h.writeSession(c, issued, nil)
}

type elevatePasswordRequest struct {
	Password string `json:"password"`
}

// elevatePassword: POST /elevate/password (Bearer) re-enters the password
// and answers a new session whose access token is elevated.
func (h *Handlers) elevatePassword(c *gin.Context) error {
	caller := caller(c)
	var req elevatePasswordRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	issued, err := h.accounts.ElevatePassword(c.Request.Context(), caller.UserID, req.Password)
	if err != nil {
		return err
	}
	return h.writeSession(c, issued, nil)
}

type elevateTOTPRequest struct {
	OTP string `json:"otp"`
}

// elevateTOTP: POST /elevate/totp (Bearer) with a TOTP code; answers a new
// session whose access token is elevated.
func (h *Handlers) elevateTOTP(c *gin.Context) error {
	caller := caller(c)
	var req elevateTOTPRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.OTP == "" {
		return apierr.Invalid(`"otp" is required`)
	}
	issued, err := h.accounts.ElevateTOTP(c.Request.Context(), caller.UserID, req.OTP)
	if err != nil {
		return err
	}
	return h.writeSession(c, issued, nil)
}
