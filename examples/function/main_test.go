package main

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/verify"
)

func TestHandler(t *testing.T) {
	secret := strings.Repeat("x", 32)
	t.Setenv("NHOST_JWT_SECRET", `{"type":"HS256","key":"`+secret+`"}`)
	v, err := verify.FromEnv()
	require.NoError(t, err)
	h := handler(v)

	now := time.Now()
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "3b1c", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-allowed-roles": []string{"user", "me"}, "x-hasura-default-role": "user",
			"x-hasura-user-id": "3b1c", "x-hasura-user-is-anonymous": "false",
		},
	}).SignedString([]byte(secret))
	require.NoError(t, err)

	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+signed)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, 200, rec.Code, rec.Body.String())
	var got map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Equal(t, "3b1c", got["userId"])
	require.Equal(t, "user", got["role"])

	req = httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+signed+"x")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, 401, rec.Code)
}
