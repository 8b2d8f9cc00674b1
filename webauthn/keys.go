package webauthn

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Key is one of a user's security keys or passkeys.
type Key struct {
	ID       uuid.UUID
	UserID   uuid.UUID
	Nickname string // "" when none was given
	// CredentialID is the credential's id as stored: unpadded base64url.
	CredentialID string
	// Transports the browser reported at registration ("usb", "nfc",
	// "ble", "internal", "hybrid", …); empty for keys hasura-auth registered.
	Transports []string
	// CreatedAt is when the key was registered here; nil for keys
	// hasura-auth registered.
	CreatedAt *time.Time
	// LastUsedAt is its last sign-in or elevation here; nil if none yet.
	LastUsedAt *time.Time
	// Synced tells a passkey that a provider backs up and syncs across
	// devices (backup eligible) from a device-bound key; nil until known.
	Synced *bool
}

func (k *keyRow) key() Key {
	out := Key{
		ID:           k.ID,
		UserID:       k.UserID,
		CredentialID: k.CredentialID,
		Transports:   parseTransports(k.Transports),
		CreatedAt:    k.CreatedAt,
		LastUsedAt:   k.LastUsedAt,
		Synced:       k.BackupEligible,
	}
	if k.Nickname != nil {
		out.Nickname = *k.Nickname
	}
	return out
}

// ListKeys returns the user's keys, oldest first (keys hasura-auth
// registered, whose age is unknown, before the others).
func (s *Service) ListKeys(ctx context.Context, db *gorm.DB, userID uuid.UUID) ([]Key, error) {
	rows, err := keysOf(db.WithContext(ctx), userID)
	if err != nil {
		return nil, err
	}
	out := make([]Key, len(rows))
	for i := range rows {
		out[i] = rows[i].key()
	}
	return out, nil
}

// HasKeys says whether the user has a security key, whether WebAuthn is on
// here or not (keys registered under hasura-auth count): what
// AUTH_REQUIRE_ELEVATED_CLAIM=recommended asks about a user.
func HasKeys(ctx context.Context, db *gorm.DB, userID uuid.UUID) (bool, error) {
	var has bool
	err := db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM auth.user_security_keys WHERE user_id = ?)`, userID).Scan(&has).Error
	if err != nil {
		return false, fmt.Errorf("look for security keys: %w", err)
	}
	return has, nil
}

// RenameKey sets the nickname of one of the user's keys ("" removes it).
func (s *Service) RenameKey(ctx context.Context, db *gorm.DB, userID, keyID uuid.UUID, nickname string) (*Key, error) {
	nick, err := checkNickname(nickname)
	if err != nil {
		return nil, err
	}
	var value any // NULL for no nickname, as hasura-auth leaves it
	if nick != "" {
		value = nick
	}
	tx := db.WithContext(ctx)
	res := tx.Exec(`UPDATE auth.user_security_keys SET nickname = ? WHERE id = ? AND user_id = ?`, value, keyID, userID)
	if res.Error != nil {
		return nil, fmt.Errorf("rename security key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, ErrKeyNotFound
	}
	row, err := keyByID(tx, userID, keyID)
	if err != nil {
		return nil, err
	}
	k := row.key()
	return &k, nil
}

// RemoveKey deletes one of the user's keys. It does not check that the
// user keeps a way to sign in; the caller decides whether to allow it.
func (s *Service) RemoveKey(ctx context.Context, db *gorm.DB, userID, keyID uuid.UUID) error {
	res := db.WithContext(ctx).Exec(`DELETE FROM auth.user_security_keys WHERE id = ? AND user_id = ?`, keyID, userID)
	if res.Error != nil {
		return fmt.Errorf("remove security key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrKeyNotFound
	}
	return nil
}

// maxNickname bounds a nickname: a label in a list, not a document.
const maxNickname = 100

// checkNickname trims the nickname and refuses one that is too long or
// holds control characters (it ends up in UIs and logs).
func checkNickname(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", refuse(ErrInvalidInput, "nickname is not UTF-8")
	}
	if utf8.RuneCountInString(s) > maxNickname {
		return "", refuse(ErrInvalidInput, "nickname is longer than %d characters", maxNickname)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", refuse(ErrInvalidInput, "nickname holds a control character")
		}
	}
	return s, nil
}

// Transports are kept in hasura-auth's transports column (varchar(255),
// which hasura-auth leaves empty) as a comma-separated list.
const maxTransportsLen = 255

func formatTransports(ts []protocol.AuthenticatorTransport) string {
	var out []string
	n := 0
	for _, t := range ts {
		v := string(t)
		if !validTransport(v) || slices.Contains(out, v) || n+len(v)+1 > maxTransportsLen {
			continue
		}
		out = append(out, v)
		n += len(v) + 1
	}
	return strings.Join(out, ",")
}

// parseTransports reads the column leniently: comma- or space-separated,
// and also a JSON or PostgreSQL array written by another tool. Values that
// cannot be transport names are dropped.
func parseTransports(s string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '[' || r == ']' || r == '{' || r == '}' || r == '"' || unicode.IsSpace(r)
	})
	var out []string
	for _, f := range fields {
		f = strings.ToLower(f)
		if validTransport(f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// validTransport: the names the specification defines and any future one
// of the same shape.
func validTransport(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '-' {
			return false
		}
	}
	return true
}

func descriptorTransports(ss []string) []protocol.AuthenticatorTransport {
	if len(ss) == 0 {
		return nil
	}
	out := make([]protocol.AuthenticatorTransport, len(ss))
	for i, t := range ss {
		out[i] = protocol.AuthenticatorTransport(t)
	}
	return out
}
