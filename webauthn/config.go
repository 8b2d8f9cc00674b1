package webauthn

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
)

// Config is the WebAuthn configuration. The server fills it from
// hasura-auth's AUTH_WEBAUTHN_* variables, declared once with their defaults
// in config/vars_signin.go (config.Config.WebAuthn); DefaultConfig gives the
// same defaults to code that builds one by hand. Validate names the
// variable behind each problem.
type Config struct {
	// Enabled (AUTH_WEBAUTHN_ENABLED) turns the WebAuthn routes on.
	Enabled bool
	// RPName (AUTH_WEBAUTHN_RP_NAME) is the name authenticators show for
	// this site. Default: the RP ID, as hasura-auth.
	RPName string
	// RPID (AUTH_WEBAUTHN_RP_ID) is the relying party ID: the domain
	// credentials are bound to, which must be the host of every origin the
	// ceremonies run on or a parent domain of it. Default: the host of
	// AUTH_CLIENT_URL, as hasura-auth (its front end calls
	// navigator.credentials, not the auth server).
	RPID string
	// RPOrigins (AUTH_WEBAUTHN_RP_ORIGINS) are the origins
	// (scheme://host[:port]) whose pages may run the ceremonies; the origin
	// of AUTH_CLIENT_URL is always added, as hasura-auth does. Native apps'
	// origins (android:apk-key-hash:…, ios:bundle-id:…) are accepted as given.
	RPOrigins []string
	// AttestationTimeout (AUTH_WEBAUTHN_ATTESTATION_TIMEOUT, milliseconds)
	// is how long a ceremony may take, sent to the browser as the timeout
	// and enforced on the challenge. Default 60 s, hasura-auth's documented
	// default.
	AttestationTimeout time.Duration

	// ClientURL is AUTH_CLIENT_URL, the front end's URL (a shared setting):
	// the default RP ID and an origin that is always allowed.
	ClientURL string
}

// DefaultConfig is Config with hasura-auth's defaults; WebAuthn stays off.
func DefaultConfig() Config {
	return Config{AttestationTimeout: 60 * time.Second}
}

// Bounds of AttestationTimeout: shorter fails people fumbling for a key;
// longer keeps unfinished ceremonies (and pending sign-ups) around.
const (
	minTimeout = time.Second
	maxTimeout = time.Hour
)

// settings is a validated Config with every default applied.
type settings struct {
	rpID    string
	rpName  string
	origins []string
	timeout time.Duration
}

// Validate checks the configuration; with WebAuthn off only Enabled is
// read. Every problem is reported, each naming its variable.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

func (c Config) resolve() (settings, error) {
	if !c.Enabled {
		return settings{}, nil
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	var s settings

	var clientOrigin, clientHost string
	if raw := strings.TrimSpace(c.ClientURL); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			bad("AUTH_CLIENT_URL", "must be an absolute http(s) URL to derive the WebAuthn RP ID and origin from, got %q", raw)
		} else {
			clientOrigin = strings.ToLower(u.Scheme + "://" + u.Host)
			clientHost = strings.ToLower(u.Hostname())
		}
	}

	s.rpID = strings.ToLower(strings.TrimSpace(c.RPID))
	switch {
	case s.rpID == "" && clientHost == "":
		bad("AUTH_WEBAUTHN_RP_ID", "must be set when AUTH_CLIENT_URL is not (it defaults to AUTH_CLIENT_URL's host)")
	case s.rpID == "":
		s.rpID = clientHost
		if err := protocol.ValidateRPID(s.rpID); err != nil {
			bad("AUTH_WEBAUTHN_RP_ID", "the default, AUTH_CLIENT_URL's host %q, is not a valid RP ID (%v); set a domain name", s.rpID, err)
		}
	default:
		if err := protocol.ValidateRPID(s.rpID); err != nil {
			bad("AUTH_WEBAUTHN_RP_ID", "must be a domain name such as example.com (no scheme, port or path), got %q: %v", c.RPID, err)
		}
	}

	s.rpName = strings.TrimSpace(c.RPName)
	if s.rpName == "" {
		s.rpName = s.rpID
	}

	for _, raw := range c.RPOrigins {
		o, err := normalizeOrigin(raw)
		switch {
		case err != nil:
			bad("AUTH_WEBAUTHN_RP_ORIGINS", "%v", err)
		case o != "" && !slices.Contains(s.origins, o):
			s.origins = append(s.origins, o)
		}
	}
	if clientOrigin != "" && !slices.Contains(s.origins, clientOrigin) {
		s.origins = append(s.origins, clientOrigin)
	}
	if len(s.origins) == 0 && clientHost == "" {
		bad("AUTH_WEBAUTHN_RP_ORIGINS", "must name at least one origin when AUTH_CLIENT_URL is not set")
	}

	s.timeout = c.AttestationTimeout
	if s.timeout < minTimeout || s.timeout > maxTimeout {
		bad("AUTH_WEBAUTHN_ATTESTATION_TIMEOUT", "must be between %d and %d milliseconds, got %d",
			minTimeout.Milliseconds(), maxTimeout.Milliseconds(), c.AttestationTimeout.Milliseconds())
	}
	return s, errors.Join(errs...)
}

// normalizeOrigin turns an http(s) URL into its origin (lower-case scheme
// and host, port kept, a bare trailing slash dropped) and accepts the
// origins native clients send as they are. An empty entry is skipped.
func normalizeOrigin(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	lower := strings.ToLower(raw)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		if protocol.IsKnownOpaqueOrigin(raw) {
			return raw, nil
		}
		return "", fmt.Errorf("%q is neither an http(s) origin nor a native app origin (android:apk-key-hash:…, ios:bundle-id:…)", raw)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%q is not an origin such as https://app.example.com", raw)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%q must be an origin (scheme://host[:port]) without path, query or user", raw)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}
