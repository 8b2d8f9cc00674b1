package handlers

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/passkeys"
	"github.com/hasura-auth-go/auth/session"
	"github.com/hasura-auth-go/auth/webauthn"
)

// The WebAuthn routes (package passkeys runs them): nhost's eight, and
// listing, renaming and removing one's keys. Options and credentials pass
// through as JSON: the browser's WebAuthn API reads and writes them.

// withPasskeys adapts the handler of a WebAuthn route: with
// AUTH_WEBAUTHN_ENABLED false the route answers 409 disabled-endpoint, as
// hasura-auth does.
func withPasskeys(handle func(*Handlers, *passkeys.Flows, *gin.Context) error) func(*Handlers, *gin.Context) error {
	return func(h *Handlers, c *gin.Context) error {
		if h.passkeys == nil {
			return apierr.Newf(apierr.DisabledEndpoint, "Security keys and passkeys are disabled (AUTH_WEBAUTHN_ENABLED)")
		}
		return handle(h, h.passkeys, c)
	}
}

// answer writes v, the result of a call that may have failed.
func answer(c *gin.Context, v any, err error) error {
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// answerSession writes the session a flow issued, or its error.
func (h *Handlers) answerSession(c *gin.Context, issued *session.Issued, err error) error {
	if err != nil {
		return err
	}
	return h.writeSession(c, issued, nil)
}

// signUpWebAuthnRequest is the contract's SignUpWebauthnRequest; options
// are the contract's SignUpOptions, read by the flow.
type signUpWebAuthnRequest struct {
	Email   string          `json:"email"`
	Options json.RawMessage `json:"options"`
}

func (h *Handlers) signUpWebAuthn(f *passkeys.Flows, c *gin.Context) error {
	var req signUpWebAuthnRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	opts, err := f.BeginSignUp(c.Request.Context(), req.Email, req.Options)
	return answer(c, opts, err)
}

// credentialRequest is what every verify request holds: the browser's
// answer, passed on as it came.
type credentialRequest struct {
	Credential json.RawMessage `json:"credential"`
}

// bindCredential binds a verify request (dst embeds credentialRequest).
func (h *Handlers) bindCredential(c *gin.Context, dst interface{ credential() json.RawMessage }) error {
	if err := h.bindJSON(c, dst, false); err != nil {
		return err
	}
	if len(dst.credential()) == 0 {
		return apierr.Invalid(`"credential" is required`)
	}
	return nil
}

func (r *credentialRequest) credential() json.RawMessage { return r.Credential }

// signUpWebAuthnVerifyRequest is the contract's SignUpWebauthnVerifyRequest.
type signUpWebAuthnVerifyRequest struct {
	credentialRequest
	Options  json.RawMessage `json:"options"`
	Nickname string          `json:"nickname"`
}

func (h *Handlers) signUpWebAuthnVerify(f *passkeys.Flows, c *gin.Context) error {
	var req signUpWebAuthnVerifyRequest
	if err := h.bindCredential(c, &req); err != nil {
		return err
	}
	issued, err := f.FinishSignUp(c.Request.Context(), req.Credential, req.Options, req.Nickname)
	return h.answerSession(c, issued, err)
}

// signInWebAuthnRequest is the contract's SignInWebauthnRequest: without an
// email, any passkey of this site may answer.
type signInWebAuthnRequest struct {
	Email string `json:"email"`
}

func (h *Handlers) signInWebAuthn(f *passkeys.Flows, c *gin.Context) error {
	var req signInWebAuthnRequest
	if err := h.bindJSON(c, &req, true); err != nil {
		return err
	}
	opts, err := f.BeginSignIn(c.Request.Context(), req.Email)
	return answer(c, opts, err)
}

// assertionRequest is the contract's SignInWebauthnVerifyRequest, also what
// /elevate/webauthn/verify takes; its email is deprecated and ignored.
type assertionRequest struct {
	credentialRequest
	Email string `json:"email"`
}

func (h *Handlers) signInWebAuthnVerify(f *passkeys.Flows, c *gin.Context) error {
	var req assertionRequest
	if err := h.bindCredential(c, &req); err != nil {
		return err
	}
	issued, err := f.FinishSignIn(c.Request.Context(), req.Credential)
	return h.answerSession(c, issued, err)
}

func (h *Handlers) elevateWebAuthn(f *passkeys.Flows, c *gin.Context) error {
	opts, err := f.BeginElevate(c.Request.Context(), caller(c).UserID)
	return answer(c, opts, err)
}

func (h *Handlers) elevateWebAuthnVerify(f *passkeys.Flows, c *gin.Context) error {
	var req assertionRequest
	if err := h.bindCredential(c, &req); err != nil {
		return err
	}
	issued, err := f.FinishElevate(c.Request.Context(), caller(c).UserID, req.Credential)
	return h.answerSession(c, issued, err)
}

func (h *Handlers) addSecurityKey(f *passkeys.Flows, c *gin.Context) error {
	opts, err := f.BeginAddKey(c.Request.Context(), caller(c).UserID)
	return answer(c, opts, err)
}

// addSecurityKeyVerifyRequest is the contract's VerifyAddSecurityKeyRequest.
type addSecurityKeyVerifyRequest struct {
	credentialRequest
	Nickname string `json:"nickname"`
}

// addSecurityKeyVerifyResponse is the contract's VerifyAddSecurityKeyResponse.
type addSecurityKeyVerifyResponse struct {
	ID       string `json:"id"`
	Nickname string `json:"nickname,omitempty"`
}

func (h *Handlers) addSecurityKeyVerify(f *passkeys.Flows, c *gin.Context) error {
	var req addSecurityKeyVerifyRequest
	if err := h.bindCredential(c, &req); err != nil {
		return err
	}
	key, err := f.FinishAddKey(c.Request.Context(), caller(c).UserID, req.Credential, req.Nickname)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, addSecurityKeyVerifyResponse{ID: key.ID.String(), Nickname: key.Nickname})
	return nil
}

// securityKeyJSON is one key in GET /user/webauthn/keys: never the public
// key or the counter.
type securityKeyJSON struct {
	ID           string     `json:"id"`
	Nickname     *string    `json:"nickname"`
	CredentialID string     `json:"credentialId"`
	Transports   []string   `json:"transports"`
	CreatedAt    *time.Time `json:"createdAt"`
	LastUsedAt   *time.Time `json:"lastUsedAt"`
	Synced       *bool      `json:"synced"`
}

func securityKey(k *webauthn.Key) securityKeyJSON {
	out := securityKeyJSON{ID: k.ID.String(), CredentialID: k.CredentialID, Transports: k.Transports,
		CreatedAt: utc(k.CreatedAt), LastUsedAt: utc(k.LastUsedAt), Synced: k.Synced}
	if k.Nickname != "" {
		out.Nickname = &k.Nickname
	}
	if out.Transports == nil {
		out.Transports = []string{}
	}
	return out
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (h *Handlers) listSecurityKeys(f *passkeys.Flows, c *gin.Context) error {
	keys, err := f.ListKeys(c.Request.Context(), caller(c).UserID)
	out := make([]securityKeyJSON, len(keys))
	for i := range keys {
		out[i] = securityKey(&keys[i])
	}
	return answer(c, out, err)
}

// keyID reads the :id of a key route.
func keyID(c *gin.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.Nil, apierr.Invalid("The security key id must be a uuid")
	}
	return id, nil
}

type renameSecurityKeyRequest struct {
	Nickname *string `json:"nickname"`
}

func (h *Handlers) renameSecurityKey(f *passkeys.Flows, c *gin.Context) error {
	id, err := keyID(c)
	if err != nil {
		return err
	}
	var req renameSecurityKeyRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.Nickname == nil {
		return apierr.Invalid(`"nickname" is required ("" removes it)`)
	}
	key, err := f.RenameKey(c.Request.Context(), caller(c).UserID, id, *req.Nickname)
	if err != nil {
		return err
	}
	return answer(c, securityKey(key), nil)
}

func (h *Handlers) removeSecurityKey(f *passkeys.Flows, c *gin.Context) error {
	id, err := keyID(c)
	if err != nil {
		return err
	}
	return answer(c, "OK", f.RemoveKey(c.Request.Context(), caller(c).UserID, id))
}
