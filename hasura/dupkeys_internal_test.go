package hasura

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

func TestDuplicateKeys(t *testing.T) {
	dup := []string{
		`{"a":1,"a":2}`,
		`{"a":{"b":1,"b":2}}`,
		`{"a":[{"b":1},{"c":{"d":1,"d":1}}]}`,
		`{"x":"a","y":["a","a"],"x":null}`,
		`{"alg":"none","alg":"RS256"}`,
		`{"a":1,"\u0061":2}`,
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":0}`,
	}
	for _, s := range dup {
		_, dup, err := parseJSON([]byte(s))
		require.NoError(t, err, s)
		require.True(t, dup, s)
	}
	fine := []string{
		`{"a":1,"b":{"a":1},"c":[{"a":1},{"a":2}],"d":["a","a"]}`,
		`{"a":"b","b":"a"}`,
		`[{"a":1},{"a":1}]`,
		`{}`,
		`{"a":"}{\"\\","b":{"a":"a"},"c":"a"}`,
		`{"a\"b":1,"a":2,"b":3}`,
	}
	for _, s := range fine {
		_, dup, err := parseJSON([]byte(s))
		require.NoError(t, err, s)
		require.False(t, dup, s)
	}
}

// Hasura keeps the last of repeated keys; the option refuses the token.
func TestVerifierRejectDuplicateKeysOption(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	now := time.Now()
	payload := fmt.Sprintf(`{"sub":"u","iat":%d,"exp":%d,"https://hasura.io/jwt/claims":{"x-hasura-allowed-roles":["user"],"x-hasura-default-role":"user","x-hasura-user-id":"a","x-hasura-user-id":"b"}}`,
		now.Unix(), now.Add(time.Minute).Unix())
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	sig, err := jwt.SigningMethodHS256.Sign(input, key)
	require.NoError(t, err)
	tok := input + "." + enc.EncodeToString(sig)
	secret := &JWTSecret{Type: "HS256", VerifyKey: key, ClaimsNamespace: DefaultClaimsNamespace}

	lenient, err := NewVerifier(VerifierConfig{Secret: secret})
	require.NoError(t, err)
	c, err := lenient.Verify(tok, "")
	require.NoError(t, err, "Hasura's verdict: accepted")
	require.Equal(t, "b", c.SessionVariables["x-hasura-user-id"])

	strict, err := NewVerifier(VerifierConfig{Secret: secret, RejectDuplicateKeys: true})
	require.NoError(t, err)
	_, err = strict.Verify(tok, "")
	require.ErrorContains(t, err, "duplicate key")
}
