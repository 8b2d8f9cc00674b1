package audit

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
)

// Entry is one auth.audit_log row as the admin API shows it.
type Entry struct {
	ID        int64          `json:"id"`
	CreatedAt time.Time      `json:"createdAt"`
	Event     string         `json:"event"`
	UserID    *uuid.UUID     `json:"userId"`
	Actor     string         `json:"actor"`
	IP        *string        `json:"ip"`
	UserAgent *string        `json:"userAgent"`
	RequestID *string        `json:"requestId"`
	Metadata  models.JSONMap `json:"metadata" gorm:"type:jsonb"`
}

// Filter selects entries for List; zero fields select everything.
type Filter struct {
	UserID uuid.UUID
	Event  string
	Before int64 // only entries with a smaller id (paging)
	Limit  int
}

// List returns entries newest first (by id: the order they were written).
func List(ctx context.Context, db *gorm.DB, f Filter) ([]Entry, error) {
	q := db.WithContext(ctx).Table("auth.audit_log").
		Select("id, created_at, event, user_id, actor, host(ip) AS ip, user_agent, request_id, metadata").
		Order("id DESC").Limit(f.Limit)
	if f.UserID != uuid.Nil {
		q = q.Where("user_id = ?", f.UserID)
	}
	if f.Event != "" {
		q = q.Where("event = ?", f.Event)
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	out := []Entry{}
	if err := q.Scan(&out).Error; err != nil {
		return nil, err
	}
	for i := range out {
		out[i].CreatedAt = out[i].CreatedAt.UTC()
	}
	return out, nil
}
