package handlers

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/social"
)

// The provider's own tokens (package social, tokens.go): read once after a
// sign-in, and refreshed later, so the application can call the provider's
// API on the user's behalf.

// providerSessionBody is the contract's ProviderSession.
type providerSessionBody struct {
	AccessToken  string    `json:"accessToken"`
	ExpiresIn    int64     `json:"expiresIn"`
	ExpiresAt    time.Time `json:"expiresAt"`
	RefreshToken *string   `json:"refreshToken"`
}

func writeProviderSession(c *gin.Context, s *social.ProviderSession) {
	body := providerSessionBody{AccessToken: s.AccessToken, ExpiresIn: s.ExpiresIn, ExpiresAt: s.ExpiresAt}
	if s.RefreshToken != "" {
		body.RefreshToken = &s.RefreshToken
	}
	// Secrets: never cached.
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, body)
}

// getProviderTokens: GET /signin/provider/{provider}/callback/tokens.
func (h *Handlers) getProviderTokens(c *gin.Context) error {
	s, err := h.social.TakeTokens(c.Request.Context(), caller(c).UserID, c.Param("provider"))
	if err != nil {
		return err
	}
	writeProviderSession(c, s)
	return nil
}

// refreshProviderTokenRequest is the contract's RefreshProviderTokenRequest.
type refreshProviderTokenRequest struct {
	RefreshToken *string `json:"refreshToken"`
}

// refreshProviderToken: POST /token/provider/{provider}.
func (h *Handlers) refreshProviderToken(c *gin.Context) error {
	var req refreshProviderTokenRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.RefreshToken == nil || *req.RefreshToken == "" {
		return apierr.Invalid(`"refreshToken" is required`)
	}
	s, err := h.social.RefreshTokens(c.Request.Context(), caller(c).UserID, c.Param("provider"), *req.RefreshToken)
	if err != nil {
		return err
	}
	writeProviderSession(c, s)
	return nil
}
