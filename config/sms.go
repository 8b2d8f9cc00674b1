package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hasura-auth-go/auth/sms"
)

// The SMS section is not written out here: its variables are the tagged
// fields of sms.Config (name, doc, accepted values), their defaults
// sms.DefaultConfig's. Adding a field there adds the variable here, to
// parsing, .env.example and docs/configuration.md.

func smsSection() Section {
	return Section{Title: "SMS", Intro: "Passwordless sign-in by SMS with Twilio (Messages or Verify) or Modica; docs/sms.md.", Vars: smsVars()}
}

// smsField is one tagged field of sms.Config.
type smsField struct {
	index int
	name  string
	ours  bool
	doc   string
	oneOf []string
	f     reflect.StructField
}

func smsFields() []smsField {
	var out []smsField
	t := reflect.TypeOf(sms.Config{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("env"), ",")
		if name == "" {
			continue
		}
		var oneOf []string
		if s := f.Tag.Get("oneof"); s != "" {
			oneOf = strings.Split(s, ",")
		}
		out = append(out, smsField{index: i, name: name, ours: opts == "ours", doc: f.Tag.Get("doc"), oneOf: oneOf, f: f})
	}
	return out
}

// smsShared reports whether name is declared among the server's own
// settings; sms.Config gets those copied in (derive).
func smsShared(name string) bool {
	for _, s := range coreSections() {
		for _, x := range s.Vars {
			if x.Name == name {
				return true
			}
		}
	}
	return false
}

func smsVars() []Var {
	defaults := reflect.ValueOf(sms.DefaultConfig())
	var out []Var
	for _, sf := range smsFields() {
		if smsShared(sf.name) {
			continue
		}
		x := v(sf.name, smsDefault(defaults.Field(sf.index)), smsBinder(sf), sf.doc)
		x.Ours = sf.ours
		x.Secret = sf.f.Tag.Get("json") == "-"
		out = append(out, x)
	}
	return out
}

func smsDefault(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case time.Duration:
		return strconv.FormatInt(int64(x/time.Second), 10)
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case string:
		return x
	}
	panic(fmt.Sprintf("sms.Config: no default format for %s", v.Type()))
}

// smsBinder parses into the field by its type.
func smsBinder(sf smsField) binder {
	field := func(c *Config) reflect.Value { return reflect.ValueOf(&c.SMS).Elem().Field(sf.index) }
	switch p := reflect.New(sf.f.Type).Interface().(type) {
	case *bool:
		return toBool(func(c *Config) *bool { return field(c).Addr().Interface().(*bool) })
	case *int:
		return toInt(func(c *Config) *int { return field(c).Addr().Interface().(*int) })
	case *time.Duration:
		return toDuration(func(c *Config) *time.Duration { return field(c).Addr().Interface().(*time.Duration) })
	case *string:
		str := func(c *Config) *string { return field(c).Addr().Interface().(*string) }
		if sf.oneOf != nil {
			return toLowerOneOf(sf.oneOf, str)
		}
		return toText(str)
	default:
		panic(fmt.Sprintf("sms.Config.%s: no parser for %T", sf.f.Name, p))
	}
}

// toLowerOneOf is toOneOf, case-insensitive.
func toLowerOneOf(values []string, f func(*Config) *string) binder {
	return binder{typ: strings.Join(values, " | "), set: func(p *parser, c *Config, key, raw string) {
		s := strings.ToLower(strings.TrimSpace(raw))
		if !slices.Contains(values, s) {
			p.fail(key, "one of "+strings.Join(values, ", "), s)
		}
		*f(c) = s
	}}
}

// deriveSMS copies the server's settings sms.Config shares into it, once
// they have their final values (AUTH_SERVER_URL's default, a templates
// path that does not exist dropped).
func (c *Config) deriveSMS() {
	c.SMS.BcryptCost = c.BcryptCost
	c.SMS.ServerURL = c.ServerURL
	c.SMS.TemplatesPath = c.Email.TemplatesPath
	c.SMS.DefaultLocale = c.LocaleDefault
}
