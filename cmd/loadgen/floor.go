package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// The HTTP floor: the rate at which an empty net/http server, in a process
// of its own on this machine, answers the scenario's exact request with the
// real server's exact answer, driven by the same workers. No auth server can
// answer faster over HTTP here; it is the ceiling an HTTP-bound scenario
// (verify, GET /user) is measured against beside the in-process rate.

// emptyServerEnv makes the load generator's own executable the empty
// server: it reads the answer body from stdin, prints its address, serves.
const emptyServerEnv = "LOADGEN_EMPTY_SERVER"

// probe is one request of a scenario, to replay against the empty server.
type probe struct {
	method, path string
	headers      []string // name, value pairs
}

func serveEmpty() error {
	body, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	contentType := http.DetectContentType(body)
	if len(body) > 0 && (body[0] == '{' || body[0] == '"' || body[0] == '[') {
		contentType = "application/json; charset=utf-8"
	}
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(body)
	}))
}

// httpFloor captures the real server's answer to p, starts the empty server
// with it, and drives it with cfg.concurrency workers for d.
func httpFloor(cfg config, cl *client, p probe, d time.Duration) (float64, error) {
	cn := cl.conn()
	status, err := cn.do(cn.prepare(p.method, p.path, p.headers...), nil)
	cn.close()
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("%s %s answered %d", p.method, p.path, status)
	}
	answer := append([]byte(nil), cn.body...)

	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), emptyServerEnv+"=1")
	cmd.Stdin = bytes.NewReader(answer)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("empty server: %w", err)
	}
	// Same path prefix as the real server, so that requests are byte for byte alike.
	target := *cl.target
	target.Scheme, target.Host = "http", strings.TrimSpace(addr)
	floor := &client{target: &target, timeout: cl.timeout}
	workers := make([]worker, cfg.concurrency)
	for i := range workers {
		c := floor.conn()
		req := c.prepare(p.method, p.path, p.headers...)
		workers[i] = func(context.Context) (int, error) { return c.do(req, nil) }
	}
	res := drive(context.Background(), workers, d, 0)
	if n := res.errors(); n > 0 {
		return 0, fmt.Errorf("empty server: %d errors", n)
	}
	return res.rate(), nil
}
