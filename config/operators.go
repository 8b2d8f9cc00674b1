package config

import (
	"time"
)

// OperatorsConfig: the sessions janitor, the purge webhook and the audit log
// (janitor/, audit/, handlers/admin_users.go).
type OperatorsConfig struct {
	WebhookKey        string        `json:"-"` // AUTH_WEBHOOK_KEY: lets cron jobs call POST /sessions/purge-expired without the admin secret
	JanitorInterval   time.Duration // AUTH_JANITOR_INTERVAL: 0 turns the background janitor off
	JanitorBatchSize  int           // AUTH_JANITOR_BATCH_SIZE: rows per DELETE/UPDATE
	AuditLogRetention time.Duration // AUTH_AUDIT_LOG_RETENTION: 0 keeps audit rows forever
}

func (c *Config) validateOperators(bad func(name, format string, args ...any)) {
	o := c.Operators
	if o.JanitorInterval < 0 || (o.JanitorInterval > 0 && o.JanitorInterval < time.Second) {
		bad("AUTH_JANITOR_INTERVAL", "must be 0 (off) or at least 1s, got %s", o.JanitorInterval)
	}
	if o.JanitorBatchSize < 1 || o.JanitorBatchSize > 100000 {
		bad("AUTH_JANITOR_BATCH_SIZE", "must be between 1 and 100000, got %d", o.JanitorBatchSize)
	}
	if o.AuditLogRetention < 0 {
		bad("AUTH_AUDIT_LOG_RETENTION", "must be 0 (keep forever) or a positive duration such as 2160h")
	}
	if o.WebhookKey != "" && len(o.WebhookKey) < 16 {
		// The value is a secret: say how long it must be, never echo it.
		bad("AUTH_WEBHOOK_KEY", "must be at least 16 characters when set")
	}
}
