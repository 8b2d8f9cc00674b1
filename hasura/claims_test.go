package hasura_test

import (
	"encoding/json"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/hasura"
)

func registered() map[string]any {
	return map[string]any{"sub": "user-1", "iat": testNow.Unix(), "exp": testNow.Unix() + 900, "iss": "hasura-auth"}
}

func TestPlaceClaims(t *testing.T) {
	claims := hasuraClaims()
	claimsJSON, err := json.Marshal(claims)
	require.NoError(t, err)
	tests := []struct {
		name    string
		secret  map[string]any
		payload map[string]any
		want    map[string]any // expected payload after placing, on top of registered()
		wantErr string
	}{
		{
			name:   "default namespace",
			secret: map[string]any{},
			want:   map[string]any{hasura.DefaultClaimsNamespace: claims},
		},
		{
			name:   "custom namespace",
			secret: map[string]any{"claims_namespace": "hasura"},
			want:   map[string]any{"hasura": claims},
		},
		{
			name:   "stringified in namespace",
			secret: map[string]any{"claims_format": "stringified_json"},
			want:   map[string]any{hasura.DefaultClaimsNamespace: string(claimsJSON)},
		},
		{
			name:   "path $ merges into top level",
			secret: map[string]any{"claims_namespace_path": "$"},
			want:   claims,
		},
		{
			name:    "path $ never overwrites registered claims",
			secret:  map[string]any{"claims_namespace_path": "$"},
			payload: map[string]any{"x-hasura-user-id": "someone-else"},
			wantErr: "already set",
		},
		{
			name:   "path $.a.b nests objects",
			secret: map[string]any{"claims_namespace_path": "$.a.b"},
			want:   map[string]any{"a": map[string]any{"b": claims}},
		},
		{
			name:    "path $.a.b keeps siblings",
			secret:  map[string]any{"claims_namespace_path": "$.a.b"},
			payload: map[string]any{"a": map[string]any{"other": "kept"}},
			want:    map[string]any{"a": map[string]any{"other": "kept", "b": claims}},
		},
		{
			name:   "stringified at nested path",
			secret: map[string]any{"claims_namespace_path": "$.hasura['claims']", "claims_format": "stringified_json"},
			want:   map[string]any{"hasura": map[string]any{"claims": string(claimsJSON)}},
		},
		{
			name:    "path through a non-object fails",
			secret:  map[string]any{"claims_namespace_path": "$.a.b"},
			payload: map[string]any{"a": "scalar"},
			wantErr: "not an object",
		},
		{
			name:    "path starting at a registered claim fails",
			secret:  map[string]any{"claims_namespace_path": "$.sub.claims"},
			wantErr: "registered claim",
		},
		{
			name:    "namespace that is a registered claim fails",
			secret:  map[string]any{"claims_namespace": "exp"},
			wantErr: "registered claim",
		},
		{
			name:    "array index in path fails",
			secret:  map[string]any{"claims_namespace_path": "$.a[0]"},
			wantErr: "array index",
		},
		{
			name: "claims_map writes mapped claims at their paths",
			secret: map[string]any{"claims_map": map[string]any{
				"x-hasura-allowed-roles": map[string]any{"path": "$.roles"},
				"x-hasura-default-role":  map[string]any{"path": "$.app.role"},
				"x-hasura-user-id":       map[string]any{"path": "$.sub"},
				"x-hasura-org":           "literal",
			}},
			payload: map[string]any{"sub": "5f0c6a6e-0000-4000-8000-000000000001"},
			want: map[string]any{
				"sub":                         "5f0c6a6e-0000-4000-8000-000000000001",
				hasura.DefaultClaimsNamespace: claims,
				"roles":                       []any{"user", "me"},
				"app":                         map[string]any{"role": "user"},
			},
		},
		{
			name: "claims_map never overwrites a different registered claim",
			secret: map[string]any{"claims_map": map[string]any{
				"x-hasura-allowed-roles": []string{"user"},
				"x-hasura-default-role":  "user",
				"x-hasura-user-id":       map[string]any{"path": "$.sub"},
			}},
			wantErr: "already holds a different value",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]any{"type": "HS256", "key": hs32}
			for k, v := range tc.secret {
				in[k] = v
			}
			s := mustSecret(t, in)
			payload := registered()
			for k, v := range tc.payload {
				payload[k] = v
			}
			err := s.PlaceClaims(payload, hasuraClaims())
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			want := registered()
			for k, v := range tc.want {
				want[k] = v
			}
			requireJSONEqual(t, want, payload)

			// Whatever PlaceClaims wrote, the verifier must find under the same secret.
			tok := sign(t, jwt.SigningMethodHS256, []byte(hs32), payload)
			c, err := newVerifier(t, s).Verify(tok, "")
			require.NoError(t, err)
			require.Equal(t, []string{"user", "me"}, c.AllowedRoles)
			require.Equal(t, "user", c.DefaultRole)
		})
	}
}

func TestPlaceClaimsNeedsPayload(t *testing.T) {
	s := mustSecret(t, map[string]any{"type": "HS256", "key": hs32})
	require.Error(t, s.PlaceClaims(nil, hasuraClaims()))
	var nilSecret *hasura.JWTSecret
	require.Error(t, nilSecret.PlaceClaims(map[string]any{}, hasuraClaims()))
}

func requireJSONEqual(t *testing.T, want, got any) {
	t.Helper()
	w, err := json.Marshal(want)
	require.NoError(t, err)
	g, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(w), string(g))
}
