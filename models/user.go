package models

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// User is a row of auth.users.
type User struct {
	ID                  uuid.UUID `gorm:"type:uuid;primaryKey;default:gen_random_uuid()"`
	CreatedAt           time.Time
	UpdatedAt           time.Time
	LastSeen            *time.Time `gorm:"column:last_seen"`
	Disabled            bool
	DisplayName         string
	AvatarURL           string `gorm:"column:avatar_url"`
	Locale              string
	Email               *string
	PhoneNumber         *string
	PasswordHash        *string `json:"-"`
	EmailVerified       bool
	PhoneNumberVerified bool
	NewEmail            *string
	DefaultRole         string
	IsAnonymous         bool
	TOTPSecret          *string   `gorm:"column:totp_secret" json:"-"`
	ActiveMFAType       *string   `gorm:"column:active_mfa_type"`
	Ticket              *string   `json:"-"`
	TicketExpiresAt     time.Time `gorm:"default:now()"`
	Metadata            JSONMap   `gorm:"type:jsonb"`

	Roles []UserRole `gorm:"foreignKey:UserID"`
}

// TableName places the model in schema auth.
func (User) TableName() string { return "auth.users" }

// RoleNames is the user's roles from auth.user_roles plus the default role.
func (u *User) RoleNames() []string {
	out := make([]string, 0, len(u.Roles)+1)
	hasDefault := false
	for _, r := range u.Roles {
		out = append(out, r.Role)
		hasDefault = hasDefault || r.Role == u.DefaultRole
	}
	if !hasDefault {
		out = append(out, u.DefaultRole)
	}
	return out
}

// UserRole is a row of auth.user_roles.
type UserRole struct {
	ID        uuid.UUID `gorm:"type:uuid;primaryKey;default:gen_random_uuid()"`
	CreatedAt time.Time
	UserID    uuid.UUID `gorm:"type:uuid"`
	Role      string
}

// TableName places the model in schema auth.
func (UserRole) TableName() string { return "auth.user_roles" }

// Role is a row of auth.roles.
type Role struct {
	Role string `gorm:"primaryKey"`
}

// TableName places the model in schema auth.
func (Role) TableName() string { return "auth.roles" }

// ErrNotFound is returned by finders when no row matches.
var ErrNotFound = errors.New("not found")

func first[T any](q *gorm.DB) (*T, error) {
	var out T
	err := q.Take(&out).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// FindUserByEmail looks a user up by email (citext: case-insensitive), with roles.
func FindUserByEmail(db *gorm.DB, email string) (*User, error) {
	return first[User](db.Preload("Roles").Where("email = ?", email))
}

// FindUserByID loads a user with roles.
func FindUserByID(db *gorm.DB, id uuid.UUID) (*User, error) {
	return first[User](db.Preload("Roles").Where("id = ?", id))
}

// LockUserByID loads a user FOR UPDATE (call inside a transaction).
func LockUserByID(db *gorm.DB, id uuid.UUID) (*User, error) {
	return first[User](db.Preload("Roles").Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id))
}

// CreateUser inserts the user and its role rows; the caller wraps it in a transaction.
func CreateUser(tx *gorm.DB, u *User, roles []string) error {
	if u.ID == uuid.Nil {
		u.ID = uuid.New()
	}
	if err := tx.Omit("Roles").Create(u).Error; err != nil {
		return err
	}
	return insertRoles(tx, u, roles) // a new user has none to replace
}

// SetUserRoles replaces the user's rows in auth.user_roles.
func SetUserRoles(tx *gorm.DB, u *User, roles []string) error {
	if err := tx.Where("user_id = ?", u.ID).Delete(&UserRole{}).Error; err != nil {
		return err
	}
	return insertRoles(tx, u, roles)
}

func insertRoles(tx *gorm.DB, u *User, roles []string) error {
	u.Roles = make([]UserRole, 0, len(roles))
	for _, r := range roles {
		u.Roles = append(u.Roles, UserRole{ID: NewRowID(), UserID: u.ID, Role: r})
	}
	if len(u.Roles) == 0 {
		return nil
	}
	return tx.Create(&u.Roles).Error
}

// UpsertRoles makes sure every role exists in auth.roles.
func UpsertRoles(ctx context.Context, db *gorm.DB, roles []string) error {
	if len(roles) == 0 {
		return nil
	}
	rows := make([]Role, len(roles))
	for i, r := range roles {
		rows[i] = Role{Role: r}
	}
	return db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error
}

// TouchLastSeen records a sign-in or refresh.
func TouchLastSeen(db *gorm.DB, id uuid.UUID, at time.Time) error {
	return db.Model(&User{}).Where("id = ?", id).Update("last_seen", at).Error
}
