package handlers

import (
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/secretbox"
	"github.com/hasura-auth-go/auth/token"
)

func (h *Handlers) keyStore() (*token.KeyStore, error) {
	ks := h.tokens.Store()
	if ks == nil {
		return nil, apierr.Newf(apierr.DisabledEndpoint, "Tokens are signed with HASURA_GRAPHQL_JWT_SECRET; there are no generated keys to manage")
	}
	return ks, nil
}

// keyJSON describes a signing key; never its private part.
type keyJSON struct {
	KID         string     `json:"kid"`
	Algorithm   string     `json:"algorithm"`
	State       string     `json:"state"`
	CreatedAt   time.Time  `json:"createdAt"`
	ActivatesAt time.Time  `json:"activatesAt"`
	RetiresAt   *time.Time `json:"retiresAt"`
	ExpiresAt   *time.Time `json:"expiresAt"`
	Encrypted   bool       `json:"encrypted"`
}

func keyView(r models.JWTSigningKey, now time.Time) keyJSON {
	return keyJSON{
		KID: r.ID, Algorithm: r.Algorithm, State: token.KeyState(r, now), CreatedAt: r.CreatedAt,
		ActivatesAt: r.ActivatesAt, RetiresAt: r.RetiresAt, ExpiresAt: r.ExpiresAt, Encrypted: secretbox.IsSealed(r.PrivateKey),
	}
}

type rotateKeysRequest struct {
	Algorithm string `json:"algorithm"`
}

// rotateKeys publishes a new key that signs after AUTH_JWKS_MAX_AGE.
func (h *Handlers) rotateKeys(c *gin.Context) error {
	if _, err := h.keyStore(); err != nil {
		return err
	}
	var req rotateKeysRequest
	if err := h.bindJSON(c, &req, true); err != nil {
		return err
	}
	if req.Algorithm != "" && !slices.Contains(config.SigningAlgorithms, req.Algorithm) {
		return apierr.Invalid(`"algorithm" must be one of EdDSA, ES256, ES384, ES512, RS256, RS384, RS512, PS256`)
	}
	k, err := h.tokens.Rotate(c.Request.Context(), req.Algorithm)
	if err != nil {
		return err
	}
	h.log.Info("signing key rotation requested", "kid", k.ID, "alg", k.Algorithm, "signs_from", k.ActivatesAt, "request_id", requestID(c))
	_ = h.audit.Log(c.Request.Context(), nil, audit.Event{Type: audit.AdminKeysRotated, Actor: audit.ActorAdmin,
		Detail: map[string]any{"kid": k.ID, "algorithm": k.Algorithm}})
	c.JSON(http.StatusOK, keyView(*k, k.CreatedAt))
	return nil
}

func (h *Handlers) listKeys(c *gin.Context) error {
	ks, err := h.keyStore()
	if err != nil {
		return err
	}
	rows, err := ks.List(c.Request.Context())
	if err != nil {
		return err
	}
	now := ks.Now()
	out := make([]keyJSON, len(rows))
	for i, r := range rows {
		out[i] = keyView(r, now)
	}
	c.JSON(http.StatusOK, gin.H{"keys": out})
	return nil
}
