package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hasura-auth-go/auth/secretbox"

	"github.com/spf13/viper"
)

// parser converts strictly: viper's GetInt turns "abc" into 0 silently, which
// would start a server with a config nobody asked for.
type parser struct {
	v      *viper.Viper
	errs   *[]error
	failed map[string]bool // keys that did not parse; range checks skip them
}

func (p parser) raw(key string) string { return strings.TrimSpace(fmt.Sprint(p.v.Get(key))) }

func (p parser) fail(key, want, got string) {
	p.failed[key] = true
	*p.errs = append(*p.errs, fmt.Errorf("%s: must be %s, got %q", key, want, got))
}

func (p parser) int(key string) int {
	s := p.raw(key)
	n, err := strconv.Atoi(s)
	if err != nil {
		p.fail(key, "an integer", s)
	}
	return n
}

func (p parser) bool(key string) bool {
	s := p.raw(key)
	b, err := strconv.ParseBool(s)
	if err != nil {
		p.fail(key, "true or false", s)
	}
	return b
}

// seconds reads hasura-auth's integer-seconds settings.
func (p parser) seconds(key string) time.Duration {
	s := p.raw(key)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.fail(key, "a whole number of seconds", s)
	}
	return time.Duration(n) * time.Second
}

// duration accepts Go durations ("30s") or plain seconds.
func (p parser) duration(key string) time.Duration {
	s := p.raw(key)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Duration(n) * time.Second
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		p.fail(key, "a duration such as 30s", s)
	}
	return d
}

// hexKey reads an optional 32-byte key written as 64 hex characters. The
// value is never echoed: it is a secret.
func (p parser) hexKey(key string) []byte {
	s := p.raw(key)
	if s == "" || s == "<nil>" {
		return nil
	}
	b, err := secretbox.ParseHexKey(s)
	if err != nil {
		*p.errs = append(*p.errs, fmt.Errorf("%s: %w", key, err))
		p.failed[key] = true
		return nil
	}
	return b
}

// hexKeys reads a comma-separated list of hex keys.
func (p parser) hexKeys(key string) [][]byte {
	var out [][]byte
	for i, part := range strings.Split(p.raw(key), ",") {
		part = strings.TrimSpace(part)
		if part == "" || part == "<nil>" {
			continue
		}
		b, err := secretbox.ParseHexKey(part)
		if err != nil {
			*p.errs = append(*p.errs, fmt.Errorf("%s: entry %d %w", key, i+1, err))
			p.failed[key] = true
			continue
		}
		out = append(out, b)
	}
	return out
}
