package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestOperatorsDefaults(t *testing.T) {
	c, err := Load("", nil)
	require.NoError(t, err)
	require.Equal(t, OperatorsConfig{JanitorInterval: 5 * time.Minute, JanitorBatchSize: 500, AuditLogRetention: 90 * 24 * time.Hour}, c.Operators)
}

func TestOperatorsValidation(t *testing.T) {
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"interval not a duration", "AUTH_JANITOR_INTERVAL", "often", "AUTH_JANITOR_INTERVAL: must be a duration"},
		{"interval too short", "AUTH_JANITOR_INTERVAL", "10ms", "AUTH_JANITOR_INTERVAL: must be 0 (off) or at least 1s"},
		{"interval negative", "AUTH_JANITOR_INTERVAL", "-1m", "AUTH_JANITOR_INTERVAL"},
		{"batch zero", "AUTH_JANITOR_BATCH_SIZE", "0", "AUTH_JANITOR_BATCH_SIZE: must be between 1 and 100000"},
		{"batch not a number", "AUTH_JANITOR_BATCH_SIZE", "many", "AUTH_JANITOR_BATCH_SIZE: must be an integer"},
		{"retention negative", "AUTH_AUDIT_LOG_RETENTION", "-1h", "AUTH_AUDIT_LOG_RETENTION"},
		{"webhook key short", "AUTH_WEBHOOK_KEY", "s3cr3t", "AUTH_WEBHOOK_KEY: must be at least 16 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("", map[string]string{tc.key: tc.value})
			require.ErrorContains(t, err, tc.want)
			if tc.key == "AUTH_WEBHOOK_KEY" {
				require.NotContains(t, err.Error(), tc.value, "a secret is never echoed")
			}
		})
	}
	c, err := Load("", map[string]string{"AUTH_JANITOR_INTERVAL": "0", "AUTH_AUDIT_LOG_RETENTION": "0", "AUTH_WEBHOOK_KEY": "0123456789abcdef"})
	require.NoError(t, err)
	require.Zero(t, c.Operators.JanitorInterval, "0 turns the janitor off")
	require.Zero(t, c.Operators.AuditLogRetention, "0 keeps audit rows forever")
	require.Equal(t, "0123456789abcdef", c.Operators.WebhookKey)
}
