// Package claims resolves custom x-hasura-* claims (hasura-auth's
// AUTH_JWT_CUSTOM_CLAIMS and AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS, plus templates
// and a PostgreSQL function) for each access token.
//
// Each claim costs as little as its source allows: paths into auth.users
// (a column, or the metadata JSON) are read from the row already loaded;
// paths through relationships are fetched from Hasura in one GraphQL query
// per token; a claims function is one SELECT in the caller's transaction.
// With nothing configured, New returns nil and tokens cost nothing extra.
package claims

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
)

// Variable names, for errors that tell the operator what to fix.
const (
	VarClaims   = "AUTH_JWT_CUSTOM_CLAIMS"
	VarDefaults = "AUTH_JWT_CUSTOM_CLAIMS_DEFAULTS"
	VarFunction = "AUTH_JWT_CUSTOM_CLAIMS_FUNCTION"
	VarGraphQL  = "HASURA_GRAPHQL_GRAPHQL_URL"
)

// DefaultTimeout bounds the Hasura query: a token waits for it, and a
// sign-in may hold a database transaction meanwhile.
const DefaultTimeout = 2 * time.Second

// Config is what the operator configured.
type Config struct {
	Claims      map[string]string // claim name → path in the user, or a template with {{path}} placeholders
	Defaults    map[string]any    // claim name → value when the claim yields nothing
	Function    string            // [schema.]function(user_id uuid) returns jsonb; "" for none
	GraphQLURL  string            // Hasura's GraphQL endpoint, for relationship paths
	AdminSecret string            `json:"-"`
}

// Options are the run-time dependencies.
type Options struct {
	DB         *gorm.DB      // used for the function when the caller has no transaction, and for the start-up check
	HTTPClient *http.Client  // nil: a default client
	Timeout    time.Duration // of the Hasura query; 0: DefaultTimeout
	Log        *slog.Logger
}

// builtins are the claims the server sets itself; nothing custom replaces them.
var builtins = map[string]bool{
	"x-hasura-user-id":           true,
	"x-hasura-default-role":      true,
	"x-hasura-allowed-roles":     true,
	"x-hasura-user-is-anonymous": true,
	"x-hasura-auth-elevated":     true, // set by the token service only after a fresh proof of a credential
}

const prefix = "x-hasura-"

var claimName = regexp.MustCompile(`^x-hasura-[a-z0-9_][a-z0-9_.-]*$`)

// Name is the claim a configured key becomes: lower case, prefixed with
// x-hasura- unless it already is (so "x-hasura-org" does not double up).
func Name(key string) string {
	n := strings.ToLower(strings.TrimSpace(key))
	if !strings.HasPrefix(n, prefix) {
		n = prefix + n
	}
	return n
}

// claim is one compiled AUTH_JWT_CUSTOM_CLAIMS entry.
type claim struct {
	name  string
	parts []part // a plain path is one part; a template is literals and placeholders
}

type part struct {
	literal string
	path    *path // nil: literal
}

// A value containing "{{" is a template: "{{path}}" placeholders between
// literal text. Paths never contain braces, so this cannot misread a path.
func parseClaimValue(v string) ([]part, error) {
	if !strings.Contains(v, "{{") {
		p, err := parsePath(v)
		if err != nil {
			return nil, err
		}
		return []part{{path: p}}, nil
	}
	var parts []part
	rest := v
	for rest != "" {
		open := strings.Index(rest, "{{")
		if open < 0 {
			parts = append(parts, part{literal: rest})
			break
		}
		if open > 0 {
			parts = append(parts, part{literal: rest[:open]})
		}
		end := strings.Index(rest[open:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("template %q: {{ without }}", v)
		}
		p, err := parsePath(rest[open+2 : open+end])
		if err != nil {
			return nil, fmt.Errorf("template %q: %w", v, err)
		}
		parts = append(parts, part{path: p})
		rest = rest[open+end+2:]
	}
	return parts, nil
}

// compiled is a validated Config.
type compiled struct {
	claims    []claim           // sorted by name
	defaults  map[string]string // claim name → encoded value
	selection selection         // nil when no path needs Hasura
	function  string            // quoted; "" for none
}

// Enabled says whether anything is configured.
func (c Config) Enabled() bool {
	return len(c.Claims) > 0 || len(c.Defaults) > 0 || strings.TrimSpace(c.Function) != ""
}

// Validate checks the configuration; each error names its variable.
func (c Config) Validate() error {
	_, err := c.compile()
	return err
}

func (c Config) compile() (*compiled, error) {
	var errs []error
	bad := func(variable, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{variable}, args...)...))
	}
	out := &compiled{defaults: map[string]string{}}
	seen := map[string]string{}
	keys := make([]string, 0, len(c.Claims))
	for k := range c.Claims {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := Name(k)
		switch {
		case !claimName.MatchString(name):
			bad(VarClaims, "claim %q: a name is letters, digits, _ . and -", k)
			continue
		case builtins[name]:
			bad(VarClaims, "claim %q: %s is set by the server and is never overwritten", k, name)
			continue
		case seen[name] != "":
			bad(VarClaims, "claims %q and %q both become %s", seen[name], k, name)
			continue
		}
		seen[name] = k
		parts, err := parseClaimValue(c.Claims[k])
		if err != nil {
			bad(VarClaims, "claim %q: %v", k, err)
			continue
		}
		for _, p := range parts {
			if p.path != nil && p.path.src == fromHasura {
				if out.selection == nil {
					out.selection = selection{}
				}
				out.selection.add(p.path.segs)
			}
		}
		out.claims = append(out.claims, claim{name: name, parts: parts})
	}
	if out.selection != nil {
		if strings.TrimSpace(c.GraphQLURL) == "" {
			bad(VarClaims, "paths through relationships are resolved by Hasura, but %s is not set", VarGraphQL)
		} else if u, err := url.Parse(c.GraphQLURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(VarGraphQL, "must be an http(s) URL for the custom claims that go through Hasura")
		}
	}
	seen = map[string]string{}
	keys = keys[:0]
	for k := range c.Defaults {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, name := c.Defaults[k], Name(k)
		switch {
		case seen[name] != "":
			bad(VarDefaults, "claims %q and %q both become %s", seen[name], k, name)
		case !claimName.MatchString(name):
			bad(VarDefaults, "claim %q: a name is letters, digits, _ . and -", k)
		case builtins[name]:
			bad(VarDefaults, "claim %q: %s is set by the server and is never overwritten", k, name)
		default:
			seen[name] = k
			if s, ok := encode(v); ok {
				out.defaults[name] = s
			}
		}
	}
	if fn := strings.TrimSpace(c.Function); fn != "" {
		q, err := quoteFunctionName(fn)
		if err != nil {
			bad(VarFunction, "%v", err)
		}
		out.function = q
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Resolver adds the configured claims to each token.
type Resolver struct {
	c      *compiled
	hasura *hasuraSource // nil: no path needs Hasura
	db     *gorm.DB
	log    *slog.Logger
}

// New compiles cfg. It returns nil when nothing is configured, so that
// issuing a token does no custom-claims work at all. A claims function that
// does not exist yet is only a warning: the schema may be migrated after
// this server starts (by Hasura's migrations, say).
func New(ctx context.Context, cfg Config, o Options) (*Resolver, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	c, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	r := &Resolver{c: c, db: o.DB, log: o.Log}
	if c.selection != nil {
		client := o.HTTPClient
		if client == nil {
			client = &http.Client{}
		}
		timeout := o.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		logURL := "(unparseable URL)"
		if u, err := url.Parse(cfg.GraphQLURL); err == nil {
			logURL = u.Redacted()
		}
		r.hasura = &hasuraSource{url: cfg.GraphQLURL, logURL: logURL, adminSecret: cfg.AdminSecret, query: buildQuery(c.selection), client: client, timeout: timeout}
	}
	if c.function != "" && o.DB != nil {
		problem, err := checkFunction(ctx, o.DB, c.function)
		if err != nil {
			return nil, fmt.Errorf("%s: check function: %w", VarFunction, err)
		}
		if problem != "" {
			o.Log.Warn(VarFunction+": tokens will fail until this is fixed", "problem", problem)
		}
	}
	return r, nil
}

// Resolve adds custom claims to out, which holds the built-in ones. Order of
// precedence: built-in claims, then the function's result, then paths and
// templates, then defaults. A failed Hasura query is logged and its claims
// take their defaults; a failing function fails the issue, because it ran in
// tx and PostgreSQL has aborted that transaction.
func (r *Resolver) Resolve(ctx context.Context, tx *gorm.DB, u *models.User, out map[string]any) error {
	if r == nil {
		return nil
	}
	var (
		remote   map[string]any
		remoteOK bool
		wg       sync.WaitGroup
	)
	if r.hasura != nil {
		// The HTTP call overlaps the function's SELECT: they share nothing.
		wg.Add(1)
		go func() {
			defer wg.Done()
			remote, remoteOK = r.fetch(ctx, u)
		}()
	}
	var fnClaims map[string]any
	var fnErr error
	if r.c.function != "" {
		db := tx
		if db == nil {
			db = r.db
		}
		fnClaims, fnErr = callFunction(ctx, db, r.c.function, u.ID)
	}
	wg.Wait()
	if fnErr != nil {
		return fnErr
	}
	for _, c := range r.c.claims {
		if v, ok := c.render(u, remote, remoteOK); ok {
			out[c.name] = v
		}
	}
	for k, v := range fnClaims {
		name := Name(k)
		if builtins[name] || !claimName.MatchString(name) {
			continue
		}
		if s, ok := encode(v); ok {
			out[name] = s
		}
	}
	for name, v := range r.c.defaults {
		if _, set := out[name]; !set {
			out[name] = v
		}
	}
	return nil
}

func (r *Resolver) fetch(ctx context.Context, u *models.User) (map[string]any, bool) {
	user, err := r.hasura.fetch(ctx, u.ID.String())
	if err != nil {
		// The error holds no secret: the admin secret is only ever a header.
		r.log.WarnContext(ctx, "custom claims: Hasura query failed; issuing the token with defaults",
			"user_id", u.ID, "url", r.hasura.logURL, "error", err.Error())
		return nil, false
	}
	return user, user != nil
}

// render evaluates a claim; false when it yields nothing (a path with no
// value, or Hasura unavailable for a relationship path).
func (c *claim) render(u *models.User, remote map[string]any, remoteOK bool) (string, bool) {
	if len(c.parts) == 1 && c.parts[0].path != nil {
		v, ok := c.parts[0].path.value(u, remote, remoteOK)
		if !ok {
			return "", false
		}
		return encode(v)
	}
	var b strings.Builder
	for _, p := range c.parts {
		if p.path == nil {
			b.WriteString(p.literal)
			continue
		}
		v, ok := p.path.value(u, remote, remoteOK)
		if !ok {
			return "", false
		}
		s, ok := encode(v)
		if !ok {
			return "", false
		}
		b.WriteString(s)
	}
	return b.String(), true
}

func (p *path) value(u *models.User, remote map[string]any, remoteOK bool) (any, bool) {
	var v any
	switch p.src {
	case fromColumn:
		v = p.column(u)
	case fromMetadata:
		var root any // a NULL column is nothing, not an empty object
		if u.Metadata != nil {
			root = map[string]any(u.Metadata)
		}
		v = eval(root, p.segs, p.list)
	case fromHasura:
		if !remoteOK {
			return nil, false
		}
		v = eval(remote, p.segs, p.list)
	}
	return v, v != nil
}
