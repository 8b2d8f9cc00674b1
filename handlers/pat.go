package handlers

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
)

// createPATRequest is the contract's CreatePATRequest. expiresAt is parsed
// here so a bad date gets a message naming it.
type createPATRequest struct {
	ExpiresAt string         `json:"expiresAt"`
	Metadata  map[string]any `json:"metadata"`
}

// createPATResponse is the contract's CreatePATResponse.
type createPATResponse struct {
	ID                  string `json:"id"`
	PersonalAccessToken string `json:"personalAccessToken"`
}

func (h *Handlers) createPAT(c *gin.Context) error {
	caller := caller(c)
	var req createPATRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.ExpiresAt == "" {
		return apierr.Invalid(`"expiresAt" is required`)
	}
	expiresAt, err := time.Parse(time.RFC3339Nano, req.ExpiresAt)
	if err != nil {
		return apierr.Invalid(`"expiresAt" must be an RFC 3339 date-time, like 2030-01-02T15:04:05Z`)
	}
	id, pat, err := h.sessions.CreatePAT(c.Request.Context(), caller.UserID, expiresAt, req.Metadata)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, createPATResponse{ID: id.String(), PersonalAccessToken: pat})
	return nil
}

type signInPATRequest struct {
	PersonalAccessToken string `json:"personalAccessToken"`
}

func (h *Handlers) signInPAT(c *gin.Context) error {
	var req signInPATRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	if req.PersonalAccessToken == "" {
		return apierr.Invalid(`"personalAccessToken" is required`)
	}
	issued, err := h.sessions.SignInPAT(c.Request.Context(), req.PersonalAccessToken)
	h.auditSignIn(c, audit.SignIn, "pat", "", issued, err)
	if err != nil {
		return err
	}
	return h.writeSession(c, issued, nil)
}

// patJSON is one PAT in GET /pat: never the token or its hash.
type patJSON struct {
	ID        string         `json:"id"`
	CreatedAt time.Time      `json:"createdAt"`
	ExpiresAt time.Time      `json:"expiresAt"`
	Metadata  map[string]any `json:"metadata"`
}

// listPATs: GET /pat (Bearer) lists the caller's PATs, newest first.
func (h *Handlers) listPATs(c *gin.Context) error {
	caller := caller(c)
	rows, err := h.sessions.ListPATs(c.Request.Context(), caller.UserID)
	if err != nil {
		return err
	}
	out := make([]patJSON, 0, len(rows))
	for _, r := range rows {
		meta := map[string]any(r.Metadata)
		if meta == nil {
			meta = map[string]any{}
		}
		out = append(out, patJSON{ID: r.ID.String(), CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), Metadata: meta})
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// revokePAT: DELETE /pat/:id (Bearer) deletes one of the caller's PATs and
// the sessions started with it. Revoking lowers privilege, so it needs no
// elevation. An id that is not one of the caller's PATs is 400, whoever owns it.
func (h *Handlers) revokePAT(c *gin.Context) error {
	caller := caller(c)
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return apierr.Invalid("The personal access token id must be a uuid")
	}
	found, err := h.sessions.RevokePAT(c.Request.Context(), caller.UserID, id)
	if err != nil {
		return err
	}
	if !found {
		return apierr.Invalid("You have no personal access token with this id")
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}
