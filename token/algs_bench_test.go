package token_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/testsupport"
	"github.com/hasura-auth-go/auth/token"
)

// BenchmarkAlgorithms signs and verifies with a generated key of each
// algorithm through the token service (claims placement, kid, Hasura rules).
// Run: go test ./token -run '^$' -bench Algorithms -benchmem
func BenchmarkAlgorithms(b *testing.B) {
	ctx := context.Background()
	db := testsupport.MigratedDB(b)
	log := slog.New(slog.DiscardHandler)
	for _, alg := range config.SigningAlgorithms {
		if err := db.Where("true").Delete(&models.JWTSigningKey{}).Error; err != nil {
			b.Fatal(err)
		}
		s, err := token.New(ctx, token.Options{Algorithm: alg, Issuer: "hasura-auth", TTL: 15 * time.Minute, JWKSMaxAge: 300 * time.Second, DB: db, Log: log})
		if err != nil {
			b.Fatal(err)
		}
		tok, _, err := s.Issue(ctx, nil, benchUser, token.Grant{})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(alg+"/sign", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.Issue(ctx, nil, benchUser, token.Grant{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(alg+"/verify", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
