package account

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/emailaddr"
)

// Limits from the contract's request schemas.
const (
	maxPasswordLength    = 50
	maxPasswordBytes     = 72
	maxDisplayNameLength = 32
	maxEmailLength       = 254
)

// displayNamePattern is the contract's: letters, numbers, symbols and a few
// punctuation marks, but not & / : which would help XSS in templates.
var displayNamePattern = regexp.MustCompile(`^[\p{L}\p{N}\p{S} ,.'-]+$`)

// ParseEmail is parseEmail for the flows beside account/ (passkeys): the
// address in its stored form, or a 400 invalid-request saying why not.
func ParseEmail(email string) (string, error) {
	if err := parseEmail(&email); err != nil {
		return "", err
	}
	return email, nil
}

// parseEmail checks *email and replaces it with the form every flow stores
// and looks up (emailaddr.Parse): look-alike addresses are one account or
// refused, never two accounts.
func parseEmail(email *string) *apierr.Error {
	if *email == "" {
		return apierr.Invalid(`"email" is required`)
	}
	if len(*email) > maxEmailLength {
		return apierr.Invalid(`"email" is too long`)
	}
	norm, err := emailaddr.Parse(*email)
	if err != nil {
		var e *emailaddr.Error
		if errors.As(err, &e) {
			return apierr.Invalid(`"email" must be a valid email address: ` + e.Reason)
		}
		return apierr.Invalid(`"email" must be a valid email address`)
	}
	*email = norm
	return nil
}

func (s *Service) validatePassword(password string) *apierr.Error {
	n := utf8.RuneCountInString(password)
	if n < s.cfg.PasswordMinLength {
		return apierr.New(apierr.PasswordTooShort)
	}
	if n > maxPasswordLength {
		return apierr.Invalid(`"password" must be at most 50 characters`)
	}
	// bcrypt reads at most 72 bytes and refuses more: 50 characters of a
	// non-Latin script can exceed that.
	if len(password) > maxPasswordBytes {
		return apierr.Invalid(`"password" must be at most 72 bytes in UTF-8`)
	}
	return nil
}

// emailAllowed applies AUTH_ACCESS_CONTROL_*: blocked lists win; a non-empty
// allow list (emails or domains) admits only what it names.
func (s *Service) emailAllowed(email string) bool {
	email = strings.ToLower(email)
	domain := email[strings.LastIndexByte(email, '@')+1:]
	if slices.Contains(s.cfg.BlockedEmails, email) || slices.Contains(s.cfg.BlockedEmailDomains, domain) {
		return false
	}
	if len(s.cfg.AllowedEmails) == 0 && len(s.cfg.AllowedEmailDomains) == 0 {
		return true
	}
	return slices.Contains(s.cfg.AllowedEmails, email) || slices.Contains(s.cfg.AllowedEmailDomains, domain)
}

// redirectAllowed applies hasura-auth's rules for AUTH_CLIENT_URL and
// AUTH_ACCESS_CONTROL_ALLOWED_REDIRECT_URLS, without its open redirects
// (account/redirect.go).
func (s *Service) redirectAllowed(redirectTo string) bool {
	return s.redirects.allows(redirectTo)
}
