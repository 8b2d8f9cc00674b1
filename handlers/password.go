package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// passwordResetRequest is the contract's UserPasswordResetRequest.
type passwordResetRequest struct {
	Email   string             `json:"email"`
	Options *optionsRedirectTo `json:"options"`
}

// sendPasswordResetEmail: POST /user/password/reset. "OK" whether or not the
// account exists, in the same time (account.SendPasswordResetEmail).
func (h *Handlers) sendPasswordResetEmail(c *gin.Context) error {
	var req passwordResetRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if err := h.accounts.SendPasswordResetEmail(c.Request.Context(), req.Email, req.Options.target()); err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}

// changePasswordRequest is the contract's UserPasswordRequest.
type changePasswordRequest struct {
	NewPassword string `json:"newPassword"`
	Ticket      string `json:"ticket"`
}

// changePassword: POST /user/password, with a passwordReset: ticket, or
// with a Bearer token (elevated when the mode asks).
func (h *Handlers) changePassword(c *gin.Context) error {
	var req changePasswordRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	ctx := c.Request.Context()
	if req.Ticket != "" {
		if err := h.accounts.ResetPassword(ctx, req.Ticket, req.NewPassword); err != nil {
			return err
		}
		c.JSON(http.StatusOK, "OK")
		return nil
	}
	caller, err := h.bearer(c)
	if err != nil {
		return err
	}
	if err := h.requireElevated(c, caller); err != nil {
		return err
	}
	if err := h.accounts.ChangePassword(ctx, caller.UserID, req.NewPassword); err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}
