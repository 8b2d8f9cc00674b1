package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hasura-auth-go/auth/secretbox"
)

// Var declares one environment variable, once: its default, its meaning,
// how its value is parsed into Config. Everything else derives from the
// declarations in vars*.go: the defaults, Keys, parsing in Load,
// .env.example and docs/configuration.md (EnvExample, Reference; regenerate
// both with go generate ./config).
type Var struct {
	Name    string
	Default string // as written in .env; "" = empty
	Example string // value .env.example shows instead of Default, when it must differ
	Doc     string // what it does, one or a few sentences

	Secret bool // a secret: never echoed in errors, masked in docs examples
	Ours   bool // read only by this server; false: hasura-auth's name and meaning

	// Pending names the feature behind a variable hasura-auth reads but this
	// release does not implement yet: the variable is accepted and parsed;
	// when it is a Gate, enabling it stops the start.
	Pending string
	Gate    bool   // with Pending or Refused: "true" (a bool) or any value (a string) is refused
	Refused string // why this server will not do what the variable asks, whatever the release

	bind binder
}

// binder parses a raw value into a Config field; typ names the format in the docs.
type binder struct {
	typ string
	set func(p *parser, c *Config, key, raw string)
	on  func(c *Config) bool // for a Gate: is the feature switched on
}

// Section groups variables under a heading in .env.example and the reference.
type Section struct {
	Title string
	Intro string // a sentence or two; "" for none
	Vars  []Var
}

func v(name, def string, b binder, doc string) Var {
	return Var{Name: name, Default: def, Doc: doc, bind: b}
}

func (x Var) secret() Var             { x.Secret = true; return x }
func (x Var) ours() Var               { x.Ours = true; return x }
func (x Var) example(s string) Var    { x.Example = s; return x }
func (x Var) pending(what string) Var { x.Pending = what; return x }
func (x Var) gate() Var               { x.Gate = true; return x }
func (x Var) refused(why string) Var  { x.Refused = why; x.Gate = true; return x }

// Type is the format of the value, for the reference.
func (x Var) Type() string { return x.bind.typ }

// --- binders ---

func toText(f func(*Config) *string) binder {
	return binder{typ: "string", set: func(_ *parser, c *Config, _, raw string) { *f(c) = strings.TrimSpace(raw) },
		on: func(c *Config) bool { return *f(c) != "" }}
}

// toRawText keeps surrounding spaces (passwords may have them).
func toRawText(f func(*Config) *string) binder {
	return binder{typ: "string", set: func(_ *parser, c *Config, _, raw string) { *f(c) = raw },
		on: func(c *Config) bool { return *f(c) != "" }}
}

func toUpper(f func(*Config) *string) binder {
	return binder{typ: "string", set: func(_ *parser, c *Config, _, raw string) { *f(c) = strings.ToUpper(strings.TrimSpace(raw)) }}
}

func toLower(f func(*Config) *string) binder {
	return binder{typ: "string", set: func(_ *parser, c *Config, _, raw string) { *f(c) = strings.ToLower(strings.TrimSpace(raw)) }}
}

// toPrefix reads a path prefix without its trailing slash.
func toPrefix(f func(*Config) *string) binder {
	return binder{typ: "path", set: func(_ *parser, c *Config, _, raw string) { *f(c) = strings.TrimRight(strings.TrimSpace(raw), "/") }}
}

func toOneOf(values []string, f func(*Config) *string) binder {
	return binder{typ: strings.Join(values, " | "), set: func(p *parser, c *Config, key, raw string) {
		s := strings.TrimSpace(raw)
		if !slices.Contains(values, s) {
			p.fail(key, "one of "+strings.Join(values, ", "), s)
		}
		*f(c) = s
	}}
}

func toInt(f func(*Config) *int) binder {
	return binder{typ: "integer", set: func(p *parser, c *Config, key, raw string) { *f(c) = p.int(key, raw) }}
}

func toInt64(f func(*Config) *int64) binder {
	return binder{typ: "integer", set: func(p *parser, c *Config, key, raw string) { *f(c) = int64(p.int(key, raw)) }}
}

func toBool(f func(*Config) *bool) binder {
	return binder{typ: "true | false", set: func(p *parser, c *Config, key, raw string) { *f(c) = p.bool(key, raw) },
		on: func(c *Config) bool { return *f(c) }}
}

func toSeconds(f func(*Config) *time.Duration) binder {
	return binder{typ: "seconds", set: func(p *parser, c *Config, key, raw string) { *f(c) = p.seconds(key, raw) }}
}

func toMilliseconds(f func(*Config) *time.Duration) binder {
	return binder{typ: "milliseconds", set: func(p *parser, c *Config, key, raw string) {
		*f(c) = time.Duration(p.int(key, raw)) * time.Millisecond
	}}
}

func toDuration(f func(*Config) *time.Duration) binder {
	return binder{typ: "duration (30s, 5m) or seconds", set: func(p *parser, c *Config, key, raw string) { *f(c) = p.duration(key, raw) }}
}

func toList(f func(*Config) *[]string) binder {
	return binder{typ: "comma-separated list", set: func(_ *parser, c *Config, _, raw string) { *f(c) = list(raw) }}
}

func toLowerList(f func(*Config) *[]string) binder {
	return binder{typ: "comma-separated list", set: func(_ *parser, c *Config, _, raw string) { *f(c) = lowerList(raw) }}
}

func toHexKey(f func(*Config) *[]byte) binder {
	return binder{typ: "64 hex characters", set: func(p *parser, c *Config, key, raw string) { *f(c) = p.hexKey(key, raw) }}
}

func toHexKeys(f func(*Config) *[][]byte) binder {
	return binder{typ: "comma-separated hex keys", set: func(p *parser, c *Config, key, raw string) { *f(c) = p.hexKeys(key, raw) }}
}

func toJSONObject[T any](shape string, f func(*Config) *T) binder {
	return binder{typ: "JSON object", set: func(p *parser, c *Config, key, raw string) { p.jsonObject(key, raw, shape, f(c)) }}
}

// --- parsing ---

// parser converts strictly: "abc" for a number is an error naming the
// variable, never a silent 0.
type parser struct {
	errs   *[]error
	failed map[string]bool // keys that did not parse; range checks skip them
}

func (p parser) fail(key, want, got string) {
	p.failed[key] = true
	*p.errs = append(*p.errs, fmt.Errorf("%s: must be %s, got %q", key, want, got))
}

func (p parser) int(key, raw string) int {
	s := strings.TrimSpace(raw)
	n, err := strconv.Atoi(s)
	if err != nil {
		p.fail(key, "an integer", s)
	}
	return n
}

func (p parser) bool(key, raw string) bool {
	s := strings.TrimSpace(raw)
	b, err := strconv.ParseBool(s)
	if err != nil {
		p.fail(key, "true or false", s)
	}
	return b
}

// seconds reads hasura-auth's integer-seconds settings.
func (p parser) seconds(key, raw string) time.Duration {
	s := strings.TrimSpace(raw)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		p.fail(key, "a whole number of seconds", s)
	}
	return time.Duration(n) * time.Second
}

// duration accepts Go durations ("30s") or plain seconds.
func (p parser) duration(key, raw string) time.Duration {
	s := strings.TrimSpace(raw)
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
func (p parser) hexKey(key, raw string) []byte {
	s := strings.TrimSpace(raw)
	if s == "" {
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
func (p parser) hexKeys(key, raw string) [][]byte {
	var out [][]byte
	for i, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
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

// jsonObject reads an optional JSON object; "" means none. The value is not
// echoed in the error: the JSON parser's message and offset locate the fault.
func (p parser) jsonObject(key, raw, shape string, dst any) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber() // a default of 12345678901234567890 stays exact
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = fmt.Errorf("unexpected data after the object")
	}
	if err != nil {
		p.failed[key] = true
		*p.errs = append(*p.errs, fmt.Errorf("%s: must be a JSON object (%s), got %q: %v", key, shape, s, err))
	}
}

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func lowerList(s string) []string { return list(strings.ToLower(s)) }
