package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestJSONLinesCarryTheRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, "json", "info")
	ctx := WithRequestID(context.Background(), "req-42")
	log.InfoContext(ctx, "signed in", "user_id", "u1")
	log.DebugContext(ctx, "hidden at info")
	log.With("svc", "auth").WarnContext(ctx, "explicit", "request_id", "kept")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	var first, second map[string]any
	require.NoError(t, json.Unmarshal(lines[0], &first))
	require.Equal(t, "signed in", first["msg"])
	require.Equal(t, "req-42", first["request_id"])
	require.Equal(t, "u1", first["user_id"])
	require.NoError(t, json.Unmarshal(lines[1], &second))
	require.Equal(t, "kept", second["request_id"], "an explicit request_id is not doubled")
	require.Equal(t, "auth", second["svc"])
}

func TestTextFormat(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, "text", "debug").DebugContext(WithRequestID(context.Background(), "r1"), "hello")
	require.Contains(t, buf.String(), "msg=hello")
	require.Contains(t, buf.String(), "request_id=r1")
}
