package account

import (
	"context"
	"crypto/md5" //nolint:gosec // Gravatar keys images by the MD5 of the address; not a security use
	"encoding/hex"
	"errors"
	"net/url"
	"strings"

	"github.com/hasura-auth-go/auth/apierr"
)

// PwnedChecker says whether a password is known to have leaked (package hibp).
type PwnedChecker interface {
	Pwned(ctx context.Context, password string) (bool, error)
}

// checkNewPassword is validatePassword, then the leaked-passwords check. A
// password that could not be checked is refused with 503: accepting it
// would turn an outage of the service into a way around the check.
func (s *Service) checkNewPassword(ctx context.Context, password string) error {
	if err := s.validatePassword(password); err != nil {
		return err
	}
	if s.pwned == nil {
		return nil
	}
	pwned, err := s.pwned.Pwned(ctx, password)
	if err != nil {
		e := apierr.Newf(apierr.ServiceUnavailable, "The password could not be checked against known leaked passwords; try again shortly")
		e.Cause = errors.Join(errors.New("have i been pwned"), err)
		return e
	}
	if pwned {
		return apierr.New(apierr.PasswordInHIBPDatabase)
	}
	return nil
}

// avatarURL is the avatarUrl of a new user who signs up with email
// (AUTH_GRAVATAR_*): the Gravatar image of the address, or "".
func (s *Service) avatarURL(email string) string {
	g := s.cfg.Gravatar
	if !g.Enabled || email == "" {
		return ""
	}
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email)))) //nolint:gosec
	q := url.Values{"d": {g.Default}, "r": {g.Rating}}
	return "https://www.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?" + q.Encode()
}
