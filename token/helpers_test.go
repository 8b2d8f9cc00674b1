package token_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/token"
)

var tokenGenerate = func(alg string) (*models.JWTSigningKey, error) { return token.GenerateKey(alg) }

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func headerOf(t *testing.T, tok string) string {
	t.Helper()
	head, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	require.NoError(t, err)
	return string(raw)
}

func kidOf(t *testing.T, tok string) string {
	t.Helper()
	var h struct{ Kid string }
	require.NoError(t, json.Unmarshal([]byte(headerOf(t, tok)), &h))
	require.NotEmpty(t, h.Kid)
	return h.Kid
}
