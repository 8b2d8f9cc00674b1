package main

// Docker cannot run where the tests run, so these tests read the deployment
// files instead and check that they agree with the configuration the server
// reads: .env.example documents every variable, docker-compose.yaml only sets
// variables the server knows and wires Hasura to trust this server's tokens.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/hasura"
)

// envAssignment is NAME=value at the start of a line (not a commented example).
var envAssignment = regexp.MustCompile(`^([A-Z][A-Z0-9_]*)=`)

func TestEnvExampleDocumentsEveryVariable(t *testing.T) {
	b, err := os.ReadFile(".env.example")
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	documented := map[string]bool{}
	var problems []string
	for i, line := range lines {
		m := envAssignment.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := m[1]
		if documented[name] {
			problems = append(problems, fmt.Sprintf("line %d: %s is set twice", i+1, name))
		}
		documented[name] = true
		if !slices.Contains(config.Keys(), name) {
			problems = append(problems, fmt.Sprintf("line %d: %s is documented but the configuration never reads it", i+1, name))
		}
		if i == 0 || !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "#") {
			problems = append(problems, fmt.Sprintf("line %d: %s needs a one-line meaning in a comment directly above it", i+1, name))
		}
	}
	for _, k := range config.Keys() {
		if !documented[k] {
			problems = append(problems, fmt.Sprintf("%s is read by the configuration but missing from .env.example (add NAME=<default> with a comment)", k))
		}
	}
	if len(problems) > 0 {
		t.Errorf(".env.example and the configuration disagree:\n%s", strings.Join(problems, "\n"))
	}
}

// .env.example's values are the defaults: copied to .env unchanged it starts
// the same server as no file at all (but for the two URLs it fills in as examples).
func TestEnvExampleHoldsTheDefaults(t *testing.T) {
	example, err := config.Load(".env.example", nil)
	require.NoError(t, err, "copied to .env, .env.example must be a valid configuration")
	defaults, err := config.Load("", nil)
	require.NoError(t, err)
	example.ClientURL, example.HasuraGraphQLURL = defaults.ClientURL, defaults.HasuraGraphQLURL
	example.WebAuthn.ClientURL = defaults.WebAuthn.ClientURL // AUTH_CLIENT_URL's copy
	require.Equal(t, defaults, example, ".env.example must show each variable's default value")
}

func TestDockerComposeAgreesWithConfig(t *testing.T) {
	b, err := os.ReadFile("docker-compose.yaml")
	require.NoError(t, err)
	require.NoError(t, checkCompose(b))

	// The variables compose gives the server make a valid configuration.
	c, err := parseCompose(b)
	require.NoError(t, err)
	_, err = config.Load("", c.services["auth"].env)
	require.NoError(t, err)
}

// The checker itself, on variants of the stack.
func TestCheckComposeCatchesMiswiring(t *testing.T) {
	const hs = `'{"type":"HS256","key":"0123456789abcdef0123456789abcdef-shared"}'`
	const other = `'{"type":"HS256","key":"0123456789abcdef0123456789abcdef-differs"}'`
	stack := func(authEnv, hasuraEnv string) string {
		return `
services:
  db:
    image: postgres:15
  auth:
    build: .
    environment:
      HASURA_GRAPHQL_DATABASE_URL: postgres://postgres:pw@db:5432/postgres
      HASURA_GRAPHQL_GRAPHQL_URL: http://hasura:8080/v1/graphql
      HASURA_GRAPHQL_ADMIN_SECRET: ${ADMIN:-s3cret}
` + authEnv + `
  hasura:
    image: hasura/graphql-engine:v2.44.0
    environment:
      HASURA_GRAPHQL_DATABASE_URL: postgres://postgres:pw@db:5432/postgres
      HASURA_GRAPHQL_ADMIN_SECRET: s3cret
` + hasuraEnv + "\n"
	}
	const jwks = `      HASURA_GRAPHQL_JWT_SECRET: '{"jwk_url":"http://auth:4000/.well-known/jwks.json"}'`
	cases := []struct{ name, compose, wantErr string }{
		{name: "jwk_url", compose: stack("", jwks)},
		{name: "jwk_url with prefix and port", compose: stack("      AUTH_PORT: \"5000\"\n      AUTH_API_PREFIX: /v1", `      HASURA_GRAPHQL_JWT_SECRET: '{"jwk_url":"http://auth:5000/v1/.well-known/jwks.json"}'`)},
		{name: "shared HS secret", compose: stack("      HASURA_GRAPHQL_JWT_SECRET: "+hs, "      HASURA_GRAPHQL_JWT_SECRET: "+hs)},
		{name: "list-form environment", compose: `
services:
  db: {image: "postgres:15"}
  auth:
    build: {context: .}
    environment:
      - HASURA_GRAPHQL_DATABASE_URL=postgres://postgres:pw@db:5432/postgres
      - HASURA_GRAPHQL_GRAPHQL_URL=http://hasura:8080/v1/graphql
      - HASURA_GRAPHQL_ADMIN_SECRET=s3cret
  hasura:
    image: hasura/graphql-engine:v2.44.0
    environment:
      - HASURA_GRAPHQL_DATABASE_URL=postgres://postgres:pw@db:5432/postgres
      - HASURA_GRAPHQL_ADMIN_SECRET=s3cret
      - 'HASURA_GRAPHQL_JWT_SECRET={"jwk_url":"http://auth:4000/.well-known/jwks.json"}'
`},

		{name: "different HS secrets", compose: stack("      HASURA_GRAPHQL_JWT_SECRET: "+hs, "      HASURA_GRAPHQL_JWT_SECRET: "+other), wantErr: "not the one auth signs with"},
		{name: "HS on hasura only", compose: stack("", "      HASURA_GRAPHQL_JWT_SECRET: "+hs), wantErr: "not the one auth signs with"},
		{name: "jwk_url at the wrong host", compose: stack("", `      HASURA_GRAPHQL_JWT_SECRET: '{"jwk_url":"http://localhost:4000/.well-known/jwks.json"}'`), wantErr: "want http://auth:4000/.well-known/jwks.json"},
		{name: "jwk_url missing the prefix", compose: stack("      AUTH_API_PREFIX: /v1", jwks), wantErr: "want http://auth:4000/v1/.well-known/jwks.json"},
		{name: "jwk_url while auth signs with HS", compose: stack("      HASURA_GRAPHQL_JWT_SECRET: "+hs, jwks), wantErr: "jwk_url and auth's HASURA_GRAPHQL_JWT_SECRET"},
		{name: "no JWT mode", compose: stack("", ""), wantErr: "HASURA_GRAPHQL_JWT_SECRET is not set"},
		{name: "unknown variable", compose: stack("      AUTH_SMPT_HOST: mailpit", jwks), wantErr: "AUTH_SMPT_HOST"},
		{name: "admin secrets differ", compose: strings.Replace(stack("", jwks), "      HASURA_GRAPHQL_ADMIN_SECRET: s3cret", "      HASURA_GRAPHQL_ADMIN_SECRET: other", 1), wantErr: "admin secrets differ"},
		{name: "GraphQL URL elsewhere", compose: strings.Replace(stack("", jwks), "http://hasura:8080/v1/graphql", "http://graphql:8080/v1/graphql", 1), wantErr: "HASURA_GRAPHQL_GRAPHQL_URL"},
		{name: "databases differ", compose: strings.Replace(stack("", jwks), "@db:5432/postgres\n      HASURA_GRAPHQL_GRAPHQL_URL", "@db:5432/auth\n      HASURA_GRAPHQL_GRAPHQL_URL", 1), wantErr: "not the database auth uses"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkCompose([]byte(tc.compose))
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestDockerfileIsStaticSmallAndNonRoot(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	var stages [][]string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) > 0 && line != "" && !strings.HasPrefix(line, "#") {
			stages[len(stages)-1] = append(stages[len(stages)-1], line)
		}
	}
	require.GreaterOrEqual(t, len(stages), 2, "multi-stage build")
	require.Contains(t, strings.Join(stages[0], "\n"), "CGO_ENABLED=0", "static binary")
	final := stages[len(stages)-1]
	require.Regexp(t, `^FROM (gcr\.io/distroless/static\S*|scratch)$`, final[0])
	users := slices.DeleteFunc(slices.Clone(final), func(l string) bool { return !strings.HasPrefix(l, "USER ") })
	require.NotEmpty(t, users, "final stage sets USER")
	user := strings.TrimPrefix(users[len(users)-1], "USER ")
	require.NotRegexp(t, `^(root|0)(:|$)`, user)
	require.Contains(t, final, "EXPOSE 4000", "the default AUTH_PORT")

	ignore, err := os.ReadFile(".dockerignore")
	require.NoError(t, err)
	for _, must := range []string{".git", ".env"} {
		require.Contains(t, strings.Split(string(ignore), "\n"), must, ".dockerignore keeps %s out of the image", must)
	}
}

type composeService struct {
	image string
	build bool
	env   map[string]string // interpolated with compose's defaults
}

type composeFile struct{ services map[string]composeService }

func parseCompose(b []byte) (*composeFile, error) {
	var raw struct {
		Services map[string]struct {
			Image       string    `yaml:"image"`
			Build       yaml.Node `yaml:"build"`
			Environment yaml.Node `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	c := &composeFile{services: map[string]composeService{}}
	for name, s := range raw.Services {
		env := map[string]string{}
		switch n := &s.Environment; n.Kind {
		case yaml.MappingNode:
			var m map[string]string
			if err := n.Decode(&m); err != nil {
				return nil, fmt.Errorf("services.%s.environment: %w", name, err)
			}
			for k, v := range m {
				env[k] = interpolate(v)
			}
		case yaml.SequenceNode:
			var l []string
			if err := n.Decode(&l); err != nil {
				return nil, fmt.Errorf("services.%s.environment: %w", name, err)
			}
			for _, kv := range l {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = interpolate(v)
			}
		}
		c.services[name] = composeService{image: s.Image, build: s.Build.Kind != 0, env: env}
	}
	return c, nil
}

// interpolate resolves compose's ${NAME:-default} / ${NAME-default} to the
// default and ${NAME} / $NAME to "", as with an empty environment; $$ is a $.
func interpolate(s string) string {
	re := regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)
	return re.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		return re.FindStringSubmatch(m)[2]
	})
}

// checkCompose applies the rules in the file comment to a compose file whose
// server is the service "auth" built from this repository.
func checkCompose(b []byte) error {
	c, err := parseCompose(b)
	if err != nil {
		return err
	}
	auth, ok := c.services["auth"]
	if !ok || !auth.build {
		return errors.New(`no service "auth" built from this repository (build: .)`)
	}
	var hasuraName string
	for name, s := range c.services {
		if strings.HasPrefix(s.image, "hasura/graphql-engine") {
			hasuraName = name
		}
	}
	if hasuraName == "" {
		return errors.New("no hasura/graphql-engine service")
	}
	gql := c.services[hasuraName]
	var errs []error

	for k := range auth.env {
		if (strings.HasPrefix(k, "AUTH_") || strings.HasPrefix(k, "HASURA_")) && !slices.Contains(config.Keys(), k) {
			errs = append(errs, fmt.Errorf("auth sets %s, which the configuration does not read", k))
		}
	}

	if a, h := auth.env["HASURA_GRAPHQL_ADMIN_SECRET"], gql.env["HASURA_GRAPHQL_ADMIN_SECRET"]; a == "" || a != h {
		errs = append(errs, errors.New("the admin secrets differ (or are empty): auth applies metadata with HASURA_GRAPHQL_ADMIN_SECRET"))
	}

	if u, err := url.Parse(auth.env["HASURA_GRAPHQL_GRAPHQL_URL"]); err != nil || u.Host != hasuraName+":8080" || u.Path != "/v1/graphql" {
		errs = append(errs, fmt.Errorf("auth's HASURA_GRAPHQL_GRAPHQL_URL must be http://%s:8080/v1/graphql", hasuraName))
	}

	authDB, err1 := url.Parse(auth.env["HASURA_GRAPHQL_DATABASE_URL"])
	gqlDB, err2 := url.Parse(gql.env["HASURA_GRAPHQL_DATABASE_URL"])
	if err1 != nil || err2 != nil || authDB.Host == "" || authDB.Host != gqlDB.Host || authDB.Path != gqlDB.Path {
		errs = append(errs, fmt.Errorf("%s's HASURA_GRAPHQL_DATABASE_URL is not the database auth uses: the tracked auth tables would not exist there", hasuraName))
	} else if db, ok := c.services[authDB.Hostname()]; !ok || !strings.HasPrefix(db.image, "postgres") {
		errs = append(errs, fmt.Errorf("the database host %q is not a postgres service", authDB.Hostname()))
	}

	errs = append(errs, checkJWTWiring(auth.env, gql.env, hasuraName))
	return errors.Join(errs...)
}

// checkJWTWiring: Hasura must verify what auth signs, either by fetching
// auth's JWKS or by holding the same HS secret.
func checkJWTWiring(authEnv, gqlEnv map[string]string, hasuraName string) error {
	raw := gqlEnv["HASURA_GRAPHQL_JWT_SECRET"]
	if raw == "" {
		return fmt.Errorf("%s: HASURA_GRAPHQL_JWT_SECRET is not set, so Hasura is not in JWT mode", hasuraName)
	}
	var hs struct {
		Type   string `json:"type"`
		Key    string `json:"key"`
		JWKURL string `json:"jwk_url"`
	}
	if err := json.Unmarshal([]byte(raw), &hs); err != nil {
		return fmt.Errorf("%s: HASURA_GRAPHQL_JWT_SECRET is not JSON: %w", hasuraName, err)
	}
	authSecret := authEnv["HASURA_GRAPHQL_JWT_SECRET"]
	if hs.JWKURL != "" {
		port := authEnv["AUTH_PORT"]
		if port == "" {
			port = "4000"
		}
		want := "http://auth:" + port + strings.TrimRight(authEnv["AUTH_API_PREFIX"], "/") + "/.well-known/jwks.json"
		if hs.JWKURL != want {
			return fmt.Errorf("%s: jwk_url is %s, want %s (auth's JWKS)", hasuraName, hs.JWKURL, want)
		}
		if authSecret != "" {
			return fmt.Errorf("%s uses jwk_url and auth's HASURA_GRAPHQL_JWT_SECRET is set: auth publishes generated keys only when it is unset", hasuraName)
		}
		return nil
	}
	mine, err := hasura.ParseJWTSecret(authSecret)
	if authSecret == "" || err != nil {
		return fmt.Errorf("%s verifies with a %s key that is not the one auth signs with (auth's HASURA_GRAPHQL_JWT_SECRET is unset or invalid)", hasuraName, hs.Type)
	}
	theirs, err := hasura.ParseJWTSecret(raw)
	if err != nil {
		return fmt.Errorf("%s: HASURA_GRAPHQL_JWT_SECRET: %w", hasuraName, err)
	}
	var a, b struct{ Type, Key string }
	_ = json.Unmarshal([]byte(authSecret), &a)
	_ = json.Unmarshal([]byte(raw), &b)
	if a.Type != b.Type || a.Key != b.Key || mine == nil || theirs == nil {
		return fmt.Errorf("%s verifies with a %s key that is not the one auth signs with", hasuraName, hs.Type)
	}
	return nil
}
