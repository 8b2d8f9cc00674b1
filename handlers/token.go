package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/hasura-auth-go/auth/apierr"
)

type refreshTokenRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// refreshToken rotates the body's refresh token or, in cookie mode, the
// cookie's (writeSession sets the rotated one).
func (h *Handlers) refreshToken(c *gin.Context) error {
	var req refreshTokenRequest
	if err := h.bindJSON(c, &req, h.cfg.RefreshTokenCookie); err != nil {
		return err
	}
	fromCookie := false
	if req.RefreshToken == "" {
		tok, err := h.refreshTokenFromCookie(c)
		if err != nil {
			return err
		}
		req.RefreshToken, fromCookie = tok, tok != ""
	}
	if req.RefreshToken == "" {
		return apierr.Invalid(`"refreshToken" is required`)
	}
	if _, err := uuid.Parse(req.RefreshToken); err != nil {
		return apierr.Invalid(`"refreshToken" must be a uuid`)
	}
	issued, err := h.sessions.Refresh(c.Request.Context(), req.RefreshToken)
	if err != nil {
		if fromCookie && apierr.As(err).Code == apierr.InvalidRefreshToken {
			h.clearRefreshCookie(c) // dead: stop the browser sending it
		}
		return err
	}
	return h.writeSession(c, issued, nil)
}

type verifyTokenRequest struct {
	Token string `json:"token"`
}

// verifyToken checks the token in the body, or the Bearer token when the body has none.
func (h *Handlers) verifyToken(c *gin.Context) error {
	var req verifyTokenRequest
	if err := h.bindJSON(c, &req, true); err != nil {
		return err
	}
	if req.Token == "" {
		if _, err := h.bearer(c); err != nil {
			return err
		}
	} else if _, err := h.verifyAccess(c, req.Token); err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}

type signOutRequest struct {
	RefreshToken string `json:"refreshToken"`
	All          bool   `json:"all"`
}

func (h *Handlers) signOut(c *gin.Context) error {
	var req signOutRequest
	if err := h.bindJSON(c, &req, h.cfg.RefreshTokenCookie); err != nil {
		return err
	}
	if !req.All && req.RefreshToken == "" {
		tok, err := h.refreshTokenFromCookie(c)
		if err != nil {
			return err
		}
		req.RefreshToken = tok
	}
	if req.All {
		caller, err := h.bearer(c)
		if err != nil {
			return err
		}
		if err := h.sessions.SignOutAll(c.Request.Context(), caller.UserID); err != nil {
			return err
		}
		h.clearRefreshCookie(c)
		c.JSON(http.StatusOK, "OK")
		return nil
	}
	if req.RefreshToken == "" {
		return apierr.Invalid(`"refreshToken" is required unless "all" is true`)
	}
	if _, err := uuid.Parse(req.RefreshToken); err != nil {
		return apierr.Invalid(`"refreshToken" must be a uuid`)
	}
	if err := h.sessions.SignOut(c.Request.Context(), req.RefreshToken); err != nil {
		return err
	}
	h.clearRefreshCookie(c)
	c.JSON(http.StatusOK, "OK")
	return nil
}
