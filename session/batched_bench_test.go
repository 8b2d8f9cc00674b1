package session

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
)

// BenchmarkRotateBatch runs rotation batches of several sizes one after
// another, as taking turns does: the time per batch is a turn's length,
// which bounds throughput when few callers wait, and the time per row
// shows what a batch's fixed cost is shared by (BENCHMARKS.md, round 7).
func BenchmarkRotateBatch(b *testing.B) {
	ctx := context.Background()
	gdb, db := batchDB(b, "user")
	const sessions = 64
	now := time.Now().UTC().Truncate(time.Microsecond)
	hashes := make([]string, sessions)
	for i := range hashes {
		u := &models.User{DisplayName: "bench", Locale: "en", DefaultRole: "user"}
		if err := gdb.Transaction(func(tx *gorm.DB) error { return models.CreateUser(tx, u, []string{"user"}) }); err != nil {
			b.Fatal(err)
		}
		hashes[i] = uuid.NewString()
		if err := models.InsertSession(gdb, uuid.New(), u.ID, nil, hashes[i], now, now.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
	for _, size := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("rows=%d", size), func(b *testing.B) {
			in := make([]models.Rotation, size)
			for b.Loop() {
				for i := range in {
					next := uuid.NewString()
					in[i] = models.Rotation{OldHash: hashes[i], NewHash: next, At: now, ExpiresAt: now.Add(time.Hour), Keep: 16}
					hashes[i] = next
				}
				got, err := rotateBatch(ctx, db, in)
				if err != nil {
					b.Fatal(err)
				}
				for i, g := range got {
					if g == nil {
						b.Fatalf("row %d not rotated", i)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*size), "µs/row")
		})
	}
}

// BenchmarkInsertUsersBatch is BenchmarkRotateBatch for anonymous
// sign-ins: batches of new users, each with a role, a session and the
// audit row of the sign-up, one statement per batch (insertUsersBatch).
func BenchmarkInsertUsersBatch(b *testing.B) {
	ctx := context.Background()
	gdb, db := batchDB(b, "anonymous")
	rec, err := audit.NewRecorder(gdb, audit.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close(ctx)
	for _, size := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("rows=%d", size), func(b *testing.B) {
			in := make([]*newUser, size)
			for b.Loop() {
				now := time.Now().UTC()
				for i := range in {
					u := &models.User{ID: uuid.New(), CreatedAt: now, DisplayName: "bench", Locale: "en", DefaultRole: "anonymous", IsAnonymous: true}
					in[i] = &newUser{user: u, roles: []string{"anonymous"},
						session: &models.RefreshToken{ID: models.NewRowID(), ExpiresAt: now.Add(time.Hour), Type: models.RefreshTokenRegular, RefreshTokenHash: uuid.NewString()},
						audit:   rec.Row(ctx, audit.Event{Type: audit.SignUp, UserID: u.ID, Detail: map[string]any{"method": "anonymous"}})}
				}
				if err := insertUsersBatch(ctx, db, in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*size), "µs/row")
		})
	}
}
