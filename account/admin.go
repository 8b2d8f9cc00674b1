package account

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/emailaddr"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/pwhash"
)

// Admin actions (handlers/admin_users.go, behind HASURA_GRAPHQL_ADMIN_SECRET).
// Each change and its audit row are written in one transaction.

// AdminNewUser is what an operator gives to create a user.
type AdminNewUser struct {
	Email         string
	Password      string // optional: without one the user signs in by other means (reset, magic link)
	DisplayName   string
	Locale        string
	DefaultRole   string   // default: AUTH_USER_DEFAULT_ROLE
	Roles         []string // default: AUTH_USER_DEFAULT_ALLOWED_ROLES; may name any role (created if new)
	EmailVerified bool
	Disabled      bool
	Metadata      map[string]any
}

// rolePattern keeps role names to what Hasura headers and permissions carry well.
var rolePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// adminRoles checks an operator's roles: unlike sign-up options they may
// name roles outside AUTH_USER_DEFAULT_ALLOWED_ROLES (an operator grants
// "admin"); the default role is always among them.
func (s *Service) adminRoles(defaultRole string, roles []string) (string, []string, error) {
	if defaultRole == "" {
		defaultRole = s.cfg.DefaultRole
	}
	if roles == nil {
		roles = s.cfg.DefaultAllowedRoles
	}
	for _, r := range append([]string{defaultRole}, roles...) {
		if !rolePattern.MatchString(r) {
			return "", nil, apierr.Invalid(fmt.Sprintf("Role %q must be 1 to 64 letters, digits, _ or -", r))
		}
	}
	out := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(roles), defaultRole))))
	return defaultRole, out, nil
}

// AdminCreateUser creates a user. The access-control lists
// (AUTH_ACCESS_CONTROL_*) and AUTH_DISABLE_SIGNUP bind self sign-up only.
func (s *Service) AdminCreateUser(ctx context.Context, in AdminNewUser) (*models.User, error) {
	if err := parseEmail(&in.Email); err != nil {
		return nil, err
	}
	var hash *string
	if in.Password != "" {
		if err := s.validatePassword(in.Password); err != nil {
			return nil, err
		}
		b, err := pwhash.Generate(ctx, []byte(in.Password), s.cfg.BcryptCost)
		if err != nil {
			return nil, apierr.Internal(fmt.Errorf("hash password: %w", err))
		}
		h := string(b)
		hash = &h
	}
	p, err := s.resolve(&SignUpOptions{DisplayName: in.DisplayName, Locale: in.Locale, Metadata: in.Metadata}, in.Email)
	if err != nil {
		return nil, err
	}
	defaultRole, roles, err := s.adminRoles(in.DefaultRole, in.Roles)
	if err != nil {
		return nil, err
	}
	email := in.Email
	u := &models.User{
		Email: &email, PasswordHash: hash, Disabled: in.Disabled, DisplayName: p.displayName, Locale: p.locale,
		DefaultRole: defaultRole, EmailVerified: in.EmailVerified, Metadata: p.metadata,
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := models.UpsertRoles(ctx, tx, roles); err != nil {
			return err
		}
		if err := models.CreateUser(tx, u, roles); err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return apierr.New(apierr.EmailAlreadyInUse)
			}
			return err
		}
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.AdminUserCreated, UserID: u.ID, Actor: audit.ActorAdmin,
			Detail: map[string]any{"email": in.Email, "defaultRole": defaultRole, "roles": roles, "disabled": in.Disabled}})
	})
	if err != nil {
		return nil, err
	}
	return s.AdminGetUser(ctx, u.ID)
}

// UserFilter selects users for AdminListUsers.
type UserFilter struct {
	Email  string // exact, case-insensitive
	Query  string // substring of email or display name
	Limit  int
	Offset int
}

// AdminListUsers lists users, newest first.
func (s *Service) AdminListUsers(ctx context.Context, f UserFilter) ([]models.User, error) {
	q := s.db.WithContext(ctx).Preload("Roles").Order("created_at DESC, id").Limit(f.Limit).Offset(f.Offset)
	if f.Email != "" {
		if stored, err := emailaddr.Parse(f.Email); err == nil {
			f.Email = stored // as sign-up stored it; anything else is looked for as written
		}
		q = q.Where("email = ?", f.Email)
	}
	if f.Query != "" {
		like := "%" + likeEscape(f.Query) + "%"
		q = q.Where("(email::text ILIKE ? OR display_name ILIKE ?)", like, like)
	}
	var users []models.User
	if err := q.Find(&users).Error; err != nil {
		return nil, err
	}
	return users, nil
}

func likeEscape(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(out)
}

// AdminGetUser loads one user; 404 user-not-found when there is none.
func (s *Service) AdminGetUser(ctx context.Context, id uuid.UUID) (*models.User, error) {
	u, err := models.FindUserByID(s.db.WithContext(ctx), id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.New(apierr.UserNotFound)
	}
	return u, err
}

// adminChange locks the user, applies change and writes the audit event, in
// one transaction.
func (s *Service) adminChange(ctx context.Context, id uuid.UUID, change func(tx *gorm.DB, u *models.User) (audit.Event, error)) (*models.User, error) {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := models.LockUserByID(tx, id)
		if errors.Is(err, models.ErrNotFound) {
			return apierr.New(apierr.UserNotFound)
		}
		if err != nil {
			return err
		}
		ev, err := change(tx, u)
		if err != nil {
			return err
		}
		ev.UserID, ev.Actor = id, audit.ActorAdmin
		return s.audit.Log(ctx, tx, ev)
	})
	if err != nil {
		return nil, err
	}
	return s.AdminGetUser(ctx, id)
}

// AdminSetDisabled disables or enables a user. Disabling also ends every
// session and refuses the access tokens already issued: an operator who
// disables an account wants it out now, not when its tokens expire.
func (s *Service) AdminSetDisabled(ctx context.Context, id uuid.UUID, disabled bool) (*models.User, error) {
	return s.adminChange(ctx, id, func(tx *gorm.DB, u *models.User) (audit.Event, error) {
		detail := map[string]any{"disabled": disabled}
		if disabled {
			// Before the update: the epoch is then this server's (its clock),
			// and migration 0103's trigger leaves it as it is.
			n, err := s.sessions.RevokeAll(tx, id)
			if err != nil {
				return audit.Event{}, err
			}
			detail["sessions"] = n
		}
		if err := tx.Model(&models.User{}).Where("id = ?", id).Update("disabled", disabled).Error; err != nil {
			return audit.Event{}, err
		}
		return audit.Event{Type: audit.AdminUserUpdated, Detail: detail}, nil
	})
}

// AdminSetRoles replaces the user's roles and default role. Access tokens
// already issued keep their roles until they expire or are refreshed; use
// AdminSignOutAll to cut them off at once.
func (s *Service) AdminSetRoles(ctx context.Context, id uuid.UUID, defaultRole string, roles []string) (*models.User, error) {
	if roles == nil {
		return nil, apierr.Invalid(`"roles" is required`)
	}
	return s.adminChange(ctx, id, func(tx *gorm.DB, u *models.User) (audit.Event, error) {
		if defaultRole == "" {
			defaultRole = u.DefaultRole
		}
		def, all, err := s.adminRoles(defaultRole, roles)
		if err != nil {
			return audit.Event{}, err
		}
		if err := models.UpsertRoles(ctx, tx, all); err != nil {
			return audit.Event{}, err
		}
		if err := tx.Model(&models.User{}).Where("id = ?", id).Update("default_role", def).Error; err != nil {
			return audit.Event{}, err
		}
		if err := models.SetUserRoles(tx, u, all); err != nil {
			return audit.Event{}, err
		}
		return audit.Event{Type: audit.AdminUserUpdated, Detail: map[string]any{"defaultRole": def, "roles": all}}, nil
	})
}

// AdminSignOutAll ends every session of the user, PATs included, and refuses
// their access tokens from now on. It returns how many sessions ended.
func (s *Service) AdminSignOutAll(ctx context.Context, id uuid.UUID) (int64, error) {
	var n int64
	_, err := s.adminChange(ctx, id, func(tx *gorm.DB, u *models.User) (audit.Event, error) {
		var err error
		n, err = s.sessions.RevokeAll(tx, id)
		return audit.Event{Type: audit.AdminSignOutAll, Detail: map[string]any{"sessions": n}}, err
	})
	return n, err
}

// AdminDeleteUser deletes the user and, by cascade, their roles, sessions,
// PATs and factors. Their access tokens are refused from then on: the
// Bearer check finds no user.
func (s *Service) AdminDeleteUser(ctx context.Context, id uuid.UUID) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := models.LockUserByID(tx, id)
		if errors.Is(err, models.ErrNotFound) {
			return apierr.New(apierr.UserNotFound)
		}
		if err != nil {
			return err
		}
		s.sessions.Invalidate(id)
		if err := tx.Exec(`DELETE FROM auth.users WHERE id = ?`, id).Error; err != nil {
			return err
		}
		detail := map[string]any{}
		if u.Email != nil {
			detail["email"] = *u.Email
		}
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.AdminUserDeleted, UserID: id, Actor: audit.ActorAdmin, Detail: detail})
	})
}
