package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
)

// Operators' endpoints: the admin API under /admin, for callers holding
// HASURA_GRAPHQL_ADMIN_SECRET, and the purge of expired rows for cron jobs,
// for AUTH_WEBHOOK_KEY or the admin secret (access.go checks both).

// purgeExpired deletes expired sessions, retired tokens, tickets and old
// audit rows now, as the background janitor does, and says how many.
func (h *Handlers) purgeExpired(c *gin.Context) error {
	res, err := h.janitor.RunOnce(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

// adminUser is the contract's User plus what only an operator sees.
type adminUser struct {
	*User
	Disabled  bool       `json:"disabled"`
	LastSeen  *time.Time `json:"lastSeen"`
	UpdatedAt time.Time  `json:"updatedAt"`
}

func adminUserJSON(u *models.User) adminUser {
	out := adminUser{User: userJSON(u), Disabled: u.Disabled, LastSeen: u.LastSeen, UpdatedAt: u.UpdatedAt.UTC()}
	if out.LastSeen != nil {
		t := out.LastSeen.UTC()
		out.LastSeen = &t
	}
	return out
}

func userID(c *gin.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return uuid.Nil, apierr.Invalid("The user id in the path must be a uuid")
	}
	return id, nil
}

// queryInt reads an optional integer query parameter within [min, max].
func queryInt(c *gin.Context, name string, def, min, max int) (int, error) {
	s, ok := c.GetQuery(name)
	if !ok || s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, apierr.Invalid(`"` + name + `" must be a whole number from ` + strconv.Itoa(min) + " to " + strconv.Itoa(max))
	}
	return n, nil
}

// queryText: PostgreSQL refuses NUL and invalid UTF-8 in text, which would
// turn a bad query string into a 500.
func queryText(s string) bool {
	return len(s) <= 320 && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// GET /admin/users?email=&q=&limit=&offset= → {"users": [...]}, newest first.
func (h *Handlers) adminListUsers(c *gin.Context) error {
	limit, err := queryInt(c, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	offset, err := queryInt(c, "offset", 0, 0, 1_000_000)
	if err != nil {
		return err
	}
	f := account.UserFilter{Email: c.Query("email"), Query: c.Query("q"), Limit: limit, Offset: offset}
	if !queryText(f.Email) || !queryText(f.Query) {
		return apierr.Invalid(`"email" and "q" must be text of at most 320 characters`)
	}
	users, err := h.accounts.AdminListUsers(c.Request.Context(), f)
	if err != nil {
		return err
	}
	out := make([]adminUser, len(users))
	for i := range users {
		out[i] = adminUserJSON(&users[i])
	}
	c.JSON(http.StatusOK, gin.H{"users": out})
	return nil
}

func (h *Handlers) adminGetUser(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	u, err := h.accounts.AdminGetUser(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, adminUserJSON(u))
	return nil
}

type adminCreateUserRequest struct {
	Email         string         `json:"email"`
	Password      string         `json:"password"`
	DisplayName   string         `json:"displayName"`
	Locale        string         `json:"locale"`
	DefaultRole   string         `json:"defaultRole"`
	Roles         []string       `json:"roles"`
	EmailVerified bool           `json:"emailVerified"`
	Disabled      bool           `json:"disabled"`
	Metadata      map[string]any `json:"metadata"`
}

func (h *Handlers) adminCreateUser(c *gin.Context) error {
	var req adminCreateUserRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	u, err := h.accounts.AdminCreateUser(c.Request.Context(), account.AdminNewUser{
		Email: req.Email, Password: req.Password, DisplayName: req.DisplayName, Locale: req.Locale,
		DefaultRole: req.DefaultRole, Roles: req.Roles, EmailVerified: req.EmailVerified, Disabled: req.Disabled, Metadata: req.Metadata,
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, adminUserJSON(u))
	return nil
}

func (h *Handlers) adminDisableUser(c *gin.Context) error { return h.adminSetDisabled(c, true) }
func (h *Handlers) adminEnableUser(c *gin.Context) error  { return h.adminSetDisabled(c, false) }

func (h *Handlers) adminSetDisabled(c *gin.Context, disabled bool) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	u, err := h.accounts.AdminSetDisabled(c.Request.Context(), id, disabled)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, adminUserJSON(u))
	return nil
}

type adminSetRolesRequest struct {
	DefaultRole string   `json:"defaultRole"`
	Roles       []string `json:"roles"`
}

func (h *Handlers) adminSetRoles(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	var req adminSetRolesRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	u, err := h.accounts.AdminSetRoles(c.Request.Context(), id, req.DefaultRole, req.Roles)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, adminUserJSON(u))
	return nil
}

func (h *Handlers) adminSignOutAll(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	n, err := h.accounts.AdminSignOutAll(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"sessions": n})
	return nil
}

func (h *Handlers) adminDeleteUser(c *gin.Context) error {
	id, err := userID(c)
	if err != nil {
		return err
	}
	if err := h.accounts.AdminDeleteUser(c.Request.Context(), id); err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}

// GET /admin/audit-log?userId=&event=&before=<id>&limit= → {"events": [...]},
// newest first; pass the last id as before= for the next page.
func (h *Handlers) adminAuditLog(c *gin.Context) error {
	limit, err := queryInt(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	f := audit.Filter{Limit: limit, Event: c.Query("event")}
	if !queryText(f.Event) {
		return apierr.Invalid(`"event" must be text of at most 320 characters`)
	}
	if s := c.Query("userId"); s != "" {
		if f.UserID, err = uuid.Parse(s); err != nil {
			return apierr.Invalid(`"userId" must be a uuid`)
		}
	}
	if s := c.Query("before"); s != "" {
		if f.Before, err = strconv.ParseInt(s, 10, 64); err != nil || f.Before < 1 {
			return apierr.Invalid(`"before" must be an audit entry id`)
		}
	}
	events, err := audit.List(c.Request.Context(), h.db, f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"events": events})
	return nil
}
