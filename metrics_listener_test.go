package main

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// AUTH_METRICS_ADDR: a listener of its own that serves what it is given;
// empty: none; an address taken: logged, and the API is not held up.
func TestMetricsListener(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "# metrics") })
	addr, stop := startMetrics("127.0.0.1:0", h, log)
	defer stop()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "# metrics", string(body))

	none, stopNone := startMetrics("", h, log)
	stopNone()
	require.Empty(t, none)
	taken, stopTaken := startMetrics(addr, h, log)
	stopTaken()
	require.Empty(t, taken)
}
