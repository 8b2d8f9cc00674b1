package sms

import (
	"context"
	"log/slog"

	"github.com/hasura-auth-go/auth/sms/phone"
)

// Sender delivers one text message. A failure is a *ProviderError.
type Sender interface {
	Send(ctx context.Context, to phone.Number, text string) error
}

// LogSender is the log provider: it writes the message, code included, to
// the log instead of sending it. Config refuses it unless AUTH_SERVER_URL
// is a loopback address (CheckLoopback).
type LogSender struct {
	Logger *slog.Logger
}

// Send logs the message at Info.
func (s LogSender) Send(ctx context.Context, to phone.Number, text string) error {
	s.Logger.InfoContext(ctx, "SMS not sent: log provider (development only)",
		slog.String("to", to.String()), slog.String("text", text))
	return nil
}
