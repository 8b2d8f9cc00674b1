package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
)

func (h *Handlers) getUser(c *gin.Context) error {
	caller := caller(c)
	u, err := h.accounts.Profile(c.Request.Context(), caller.UserID)
	if err != nil {
		return err
	}
	h.writeJSON(c, http.StatusOK, userJSON(u))
	return nil
}

type deanonymizeRequest struct {
	SignInMethod string                 `json:"signInMethod"`
	Email        string                 `json:"email"`
	Password     string                 `json:"password"`
	Connection   string                 `json:"connection"` // deprecated in the contract; ignored
	Options      *account.SignUpOptions `json:"options"`
}

func (h *Handlers) deanonymize(c *gin.Context) error {
	caller := caller(c)
	var req deanonymizeRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.SignInMethod == "" {
		return apierr.Invalid(`"signInMethod" is required`)
	}
	if err := h.accounts.Deanonymize(c.Request.Context(), caller.UserID, req.SignInMethod, req.Email, req.Password, req.Options); err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}
