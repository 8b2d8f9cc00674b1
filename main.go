// Command hasura-auth-go is a drop-in replacement for nhost's hasura-auth.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/hasura-auth-go/auth/cli"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/logging"
	"github.com/hasura-auth-go/auth/memlimit"
	"github.com/hasura-auth-go/auth/server"
)

func main() {
	if cli.IsCommand(os.Args[1:]) {
		os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// defaultGCPercent replaces Go's 100 when GOGC is not set. The server's live
// heap is 5–7 MB under load, so collecting at 5× it instead of 2× spares
// 5–11% of throughput (BENCHMARKS.md, "Memory"); the memory limit set by
// memlimit keeps what that would cost in RSS in check.
const defaultGCPercent = 400

func run() error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	cfg, err := config.Load(".env", nil)
	if err != nil {
		return err
	}
	// JSON by default (AUTH_LOG_FORMAT); lines logged with a request's
	// context carry its request_id.
	log := logging.New(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once instead of waiting for the graceful stop
	}()

	db, err := server.OpenDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, cfg, db, server.Options{Log: log})
	if err != nil {
		return err
	}
	// Starting (migrations, key checks, caches) leaves ~15 MB of garbage
	// that the scavenger would hand back to the OS only slowly: idle RSS
	// 50 → 35 MB (BENCHMARKS.md).
	debug.FreeOSMemory()
	defer srv.Close()
	if memlimit.Start(ctx, memlimit.DefaultFloor) {
		log.Debug("soft memory limit follows the live heap", "floor_bytes", memlimit.DefaultFloor)
	}

	ln, err := net.Listen("tcp", ":"+strconv.Itoa(cfg.Port))
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "prefix", cfg.APIPrefix, "version", cfg.Version)
	_, stopMetrics := startMetrics(cfg.MetricsAddr, srv.MetricsHandler(), log)
	defer stopMetrics()
	// serve returns once requests in flight are done; the deferred srv.Close
	// then stops background work and closes the pool, after the last request.
	return serve(ctx, newHTTPServer(srv.Router), ln, cfg.ShutdownTimeout, log)
}

// startMetrics serves /metrics on addr (AUTH_METRICS_ADDR), apart from the
// API, until the returned stop. An address that cannot be listened on (a
// second instance on the host) costs the metrics, not the service: it is
// logged and the API starts anyway.
func startMetrics(addr string, h http.Handler, log *slog.Logger) (listening string, stop func()) {
	if addr == "" {
		return "", func() {}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("metrics not served: AUTH_METRICS_ADDR cannot be listened on", "addr", addr, "error", err.Error())
		return "", func() {}
	}
	log.Info("metrics listening", "addr", ln.Addr().String())
	s := newHTTPServer(h)
	go func() { _ = s.Serve(ln) }()
	return ln.Addr().String(), func() { _ = s.Close() }
}

// newHTTPServer bounds every phase of a connection: a client that sends its
// headers or body slowly (slowloris) or never reads the answer cannot hold a
// connection for long. Bodies are capped by AUTH_MAX_REQUEST_BODY_BYTES in
// the router, headers here.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}

// serve answers on ln until ctx ends (SIGTERM or SIGINT), then stops
// gracefully: the listener closes at once, so no new connection is
// accepted; requests in flight get up to timeout to finish; idle
// keep-alive connections are closed. Past the timeout the remaining
// connections are cut, so a stuck request cannot stall a deploy.
func serve(ctx context.Context, httpSrv *http.Server, ln net.Listener, timeout time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: no new connections; finishing requests in flight", "timeout", timeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		_ = httpSrv.Close()
		return fmt.Errorf("shutdown: requests still running after %s were cut: %w", timeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped: every request answered")
	return nil
}
