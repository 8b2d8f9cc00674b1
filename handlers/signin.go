package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
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
	issued, err := h.accounts.SignInEmailPassword(c.Request.Context(), req.Email, req.Password)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, SessionPayload{Session: sessionJSON(issued)})
	return nil
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
	c.JSON(http.StatusOK, SessionPayload{Session: sessionJSON(issued)})
	return nil
}
