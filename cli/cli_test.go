package cli_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/cli"
	"github.com/hasura-auth-go/auth/hasura"
	"github.com/hasura-auth-go/auth/testsupport"
)

func run(args ...string) (code int, out, errOut string) {
	var o, e bytes.Buffer
	code = cli.Run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

var secretLine = regexp.MustCompile(`HASURA_GRAPHQL_JWT_SECRET='(.*)'`)

func secretOf(t *testing.T, out string) *hasura.JWTSecret {
	t.Helper()
	m := secretLine.FindStringSubmatch(out)
	require.Len(t, m, 2, out)
	s, err := hasura.ParseJWTSecret(m[1])
	require.NoError(t, err, "Hasura accepts the printed secret")
	return s
}

func TestGenSecret(t *testing.T) {
	for alg, min := range map[string]int{"HS256": 32, "HS384": 48, "HS512": 64} {
		code, out, _ := run("gen-secret", "--alg", alg)
		require.Equal(t, 0, code)
		s := secretOf(t, out)
		require.Equal(t, alg, s.Type)
		require.GreaterOrEqual(t, len(s.Key), min)
		require.NotNil(t, s.SignKey)
	}
	code, _, errOut := run("gen-secret", "--alg", "RS256")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "HS256")
}

func TestGenKeys(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256", "ES384", "ES512", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			code, out, errOut := run("gen-keys", "--alg", alg)
			require.Equal(t, 0, code, errOut)
			require.Contains(t, out, "-----BEGIN PRIVATE KEY-----")
			s := secretOf(t, out)
			require.NotNil(t, s.SignKey, "the server can sign with it")
			require.NotNil(t, s.VerifyKey, "Hasura can verify with it")
			require.NotEmpty(t, s.KID)
		})
	}
	code, _, errOut := run("gen-keys", "--alg", "PS256")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "JWKS")
}

func TestHelpAndUnknownCommands(t *testing.T) {
	for _, cmd := range []string{"gen-secret", "gen-keys", "rotate-keys", "list-keys"} {
		code, out, _ := run(cmd, "--help")
		require.Equal(t, 0, code, cmd)
		require.Contains(t, out, "usage: hasura-auth-go "+cmd)
	}
	code, out, _ := run("help")
	require.Equal(t, 0, code)
	require.Contains(t, out, "rotate-keys")
	code, _, errOut := run("frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `unknown command "frobnicate"`)
	require.False(t, cli.IsCommand(nil))
	require.False(t, cli.IsCommand([]string{"serve"}))
}

func TestRotateAndListKeys(t *testing.T) {
	url, drop, err := testsupport.CreateDB(context.Background())
	require.NoError(t, err)
	t.Cleanup(drop)
	t.Setenv("HASURA_GRAPHQL_DATABASE_URL", url)
	t.Setenv("HASURA_GRAPHQL_JWT_SECRET", "")

	code, out, errOut := run("rotate-keys", "--alg", "ES256")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `new key \S+ \(ES256\) published now, signs from `, out)

	code, out, errOut = run("list-keys")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "KID")
	require.Contains(t, out, "ES256")
	require.Contains(t, out, "pending")
	require.Equal(t, 2, strings.Count(out, "\n"), out)

	t.Setenv("HASURA_GRAPHQL_JWT_SECRET", `{"type":"HS256","key":"`+strings.Repeat("k", 32)+`"}`)
	code, _, errOut = run("rotate-keys")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "HASURA_GRAPHQL_JWT_SECRET is set")
}
