package token_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hasura-auth-go/auth/hasura"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/token"
)

func benchService(b *testing.B, secretJSON string) *token.Service {
	b.Helper()
	secret, err := hasura.ParseJWTSecret(secretJSON)
	if err != nil {
		b.Fatal(err)
	}
	s, err := token.New(context.Background(), token.Options{Secret: secret, Issuer: "hasura-auth", TTL: 15 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

var benchUser = &models.User{
	ID:          uuid.New(),
	DefaultRole: "user",
	Roles:       []models.UserRole{{Role: "me"}, {Role: "user"}},
}

func BenchmarkIssueHS256(b *testing.B) {
	s := benchService(b, `{"type":"HS256","key":"`+strings.Repeat("k", 32)+`"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Issue(context.Background(), nil, benchUser, token.Grant{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHS256(b *testing.B) {
	s := benchService(b, `{"type":"HS256","key":"`+strings.Repeat("k", 32)+`"}`)
	tok, _, err := s.Issue(context.Background(), nil, benchUser, token.Grant{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func ed25519Secret(b *testing.B) string {
	b.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	raw, _ := json.Marshal(map[string]string{
		"type":        "Ed25519",
		"key":         string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})),
		"signing_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})),
	})
	return string(raw)
}

func BenchmarkIssueEd25519(b *testing.B) {
	s := benchService(b, ed25519Secret(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.Issue(context.Background(), nil, benchUser, token.Grant{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyEd25519(b *testing.B) {
	s := benchService(b, ed25519Secret(b))
	tok, _, err := s.Issue(context.Background(), nil, benchUser, token.Grant{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHasuraClaims(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = token.HasuraClaims(benchUser)
	}
}
