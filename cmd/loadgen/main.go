// Command loadgen drives an nhost-compatible auth server (this one or
// another) with one scenario at a fixed concurrency for a fixed time, and
// reports rate, latency percentiles, errors by status and the server's CPU
// time and memory. With -ceiling it also measures, on the same machine in
// the same run, the physical ceiling the scenario is bounded by, and prints
// the ratio.
//
//	go run ./cmd/loadgen -url http://127.0.0.1:4000/v1 -scenario refresh -c 8 -d 20s -pid $(pgrep -f hasura-auth) -ceiling
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type config struct {
	url         string
	scenario    string
	concurrency int
	duration    time.Duration
	pids        []int
	ceiling     bool
	dbURL       string
	bcryptCost  int
	password    string
	jsonOut     bool
	rate        float64
}

func main() {
	if os.Getenv(emptyServerEnv) != "" {
		if err := serveEmpty(); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen empty server:", err)
			os.Exit(1)
		}
		return
	}
	var c config
	flag.StringVar(&c.url, "url", "http://127.0.0.1:4000/v1", "base URL of the auth API (with its prefix); several, comma-separated, for instances of one server: connections go to each in turn")
	flag.StringVar(&c.scenario, "scenario", "verify", "one of "+strings.Join(scenarioNames(), ", "))
	flag.IntVar(&c.concurrency, "c", 8, "concurrent workers")
	flag.DurationVar(&c.duration, "d", 20*time.Second, "how long to send requests")
	flag.Func("pid", "server process id, to report its CPU seconds and RSS (from /proc); comma-separated for several instances (summed)", func(s string) error {
		for _, f := range strings.Split(s, ",") {
			p, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return err
			}
			c.pids = append(c.pids, p)
		}
		return nil
	})
	flag.BoolVar(&c.ceiling, "ceiling", false, "also measure the scenario's ceiling and print the ratio")
	flag.StringVar(&c.dbURL, "db", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "database of the server, for the refresh ceiling")
	flag.IntVar(&c.bcryptCost, "bcrypt-cost", 10, "the server's bcrypt cost, for the sign-in ceiling")
	flag.StringVar(&c.password, "password", "load-test-password-1", "password of the users the scenarios create")
	flag.BoolVar(&c.jsonOut, "json", false, "print one JSON line instead of text")
	flag.Float64Var(&c.rate, "rate", 0, "pace the load at this many requests/s in total (0: as fast as the server answers)")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	sc, ok := scenarios[c.scenario]
	if !ok {
		return fmt.Errorf("unknown scenario %q (want one of %s)", c.scenario, strings.Join(scenarioNames(), ", "))
	}
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	ctx := context.Background()
	workers := make([]worker, c.concurrency)
	for i := range workers {
		w, err := sc.setup(ctx, cl, i)
		if err != nil {
			return fmt.Errorf("set up worker %d: %w", i, err)
		}
		workers[i] = w
	}

	cpuBefore, pgBefore := serversCPU(c.pids), postgresCPU()
	selfBefore, _ := cpuSeconds(os.Getpid())
	res := drive(ctx, workers, c.duration, c.rate)
	cpuAfter, pgAfter := serversCPU(c.pids), postgresCPU()
	selfAfter, _ := cpuSeconds(os.Getpid())
	res.clientCPU = selfAfter - selfBefore
	res.postgresCPU = pgAfter - pgBefore
	res.scenario, res.concurrency = c.scenario, c.concurrency
	res.serverCPU = cpuAfter - cpuBefore
	for _, p := range c.pids {
		rss, _ := rssBytes(p)
		res.serverRSS += rss
	}
	if c.ceiling && sc.ceiling != nil {
		name, rate, err := sc.ceiling(ctx, c, cl)
		if err != nil {
			return fmt.Errorf("ceiling: %w", err)
		}
		res.ceilingName, res.ceilingRate = name, rate
	}
	if c.ceiling && sc.probe != nil {
		p, err := sc.probe(cl)
		if err != nil {
			return fmt.Errorf("http floor: %w", err)
		}
		if res.floorRate, err = httpFloor(c, cl, p, 5*time.Second); err != nil {
			return fmt.Errorf("http floor: %w", err)
		}
	}
	res.print(os.Stdout, c.jsonOut)
	return nil
}

// worker sends one request of its scenario and reports its HTTP status.
type worker func(ctx context.Context) (status int, err error)

type result struct {
	scenario    string
	concurrency int
	elapsed     time.Duration
	latencies   []time.Duration
	byStatus    map[int]int
	transport   int // requests that got no HTTP answer
	serverCPU   float64
	clientCPU   float64 // this process: the load generator's own share of the machine
	postgresCPU float64 // every postgres process on this machine
	serverRSS   int64
	ceilingName string
	ceilingRate float64
	floorRate   float64 // the empty HTTP server's rate for the same request (floor.go)
}

// drive runs every worker in a loop until d has passed.
// With rate > 0 each worker sends on its own schedule, so the total is paced
// (an open loop: latency is measured from the request's start).
func drive(ctx context.Context, workers []worker, d time.Duration, rate float64) *result {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		stop     atomic.Bool
		all      []time.Duration
		byStatus = map[int]int{}
		failed   int
	)
	start := time.Now()
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(len(workers)) / rate * float64(time.Second))
	}
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			local := map[int]int{}
			localFailed := 0
			next := start.Add(time.Duration(i) * interval / time.Duration(len(workers)))
			for !stop.Load() {
				if interval > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(interval)
				}
				t0 := time.Now()
				status, err := w(ctx)
				lat = append(lat, time.Since(t0))
				if err != nil {
					localFailed++
					continue
				}
				local[status]++
			}
			mu.Lock()
			all = append(all, lat...)
			for k, v := range local {
				byStatus[k] += v
			}
			failed += localFailed
			mu.Unlock()
		}()
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return &result{elapsed: time.Since(start), latencies: all, byStatus: byStatus, transport: failed}
}

func (r *result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(r.latencies)-1))
	return r.latencies[i]
}

func (r *result) rate() float64 { return float64(len(r.latencies)) / r.elapsed.Seconds() }

func (r *result) errors() int {
	n := r.transport
	for status, count := range r.byStatus {
		if status >= 400 {
			n += count
		}
	}
	return n
}

func (r *result) print(w *os.File, asJSON bool) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	statuses := make([]string, 0, len(r.byStatus))
	for s, n := range r.byStatus {
		statuses = append(statuses, fmt.Sprintf("%d:%d", s, n))
	}
	sort.Strings(statuses)
	ratio, floorRatio := 0.0, 0.0
	if r.ceilingRate > 0 {
		ratio = r.rate() / r.ceilingRate
	}
	if r.floorRate > 0 {
		floorRatio = r.rate() / r.floorRate
	}
	if asJSON {
		fmt.Fprintf(w, `{"scenario":%q,"c":%d,"requests":%d,"rate":%.1f,"p50_ms":%.2f,"p90_ms":%.2f,"p99_ms":%.2f,"errors":%d,"statuses":%q,"server_cpu_s":%.2f,"client_cpu_s":%.2f,"postgres_cpu_s":%.2f,"server_rss_mb":%.1f,"ceiling":%q,"ceiling_rate":%.1f,"ratio":%.3f,"http_floor_rate":%.1f,"http_floor_ratio":%.3f}`+"\n",
			r.scenario, r.concurrency, len(r.latencies), r.rate(), ms(r.percentile(50)), ms(r.percentile(90)), ms(r.percentile(99)),
			r.errors(), strings.Join(statuses, " "), r.serverCPU, r.clientCPU, r.postgresCPU, float64(r.serverRSS)/(1<<20), r.ceilingName, r.ceilingRate, ratio, r.floorRate, floorRatio)
		return
	}
	fmt.Fprintf(w, "scenario %s, %d workers, %.1fs\n", r.scenario, r.concurrency, r.elapsed.Seconds())
	fmt.Fprintf(w, "  requests  %d (%.1f/s)\n", len(r.latencies), r.rate())
	fmt.Fprintf(w, "  latency   p50 %.2fms  p90 %.2fms  p99 %.2fms\n", ms(r.percentile(50)), ms(r.percentile(90)), ms(r.percentile(99)))
	fmt.Fprintf(w, "  statuses  %s; no answer: %d; errors: %d\n", strings.Join(statuses, " "), r.transport, r.errors())
	if r.serverCPU > 0 {
		fmt.Fprintf(w, "  server    %.2f CPU s (%.2f cores), RSS %.1f MB\n", r.serverCPU, r.serverCPU/r.elapsed.Seconds(), float64(r.serverRSS)/(1<<20))
	}
	fmt.Fprintf(w, "  loadgen   %.2f CPU s (%.2f cores)\n", r.clientCPU, r.clientCPU/r.elapsed.Seconds())
	if r.postgresCPU > 0 {
		fmt.Fprintf(w, "  postgres  %.2f CPU s (%.2f cores), %.0f µs per request\n", r.postgresCPU, r.postgresCPU/r.elapsed.Seconds(), 1e6*r.postgresCPU/float64(max(1, len(r.latencies))))
	}
	if r.ceilingRate > 0 {
		fmt.Fprintf(w, "  ceiling   %s: %.1f/s; ratio %.0f%%\n", r.ceilingName, r.ceilingRate, 100*ratio)
	}
	if r.floorRate > 0 {
		fmt.Fprintf(w, "  floor     empty HTTP server, same request and answer: %.1f/s; ratio %.0f%%\n", r.floorRate, 100*floorRatio)
	}
}

func newClient(c config) (*client, error) {
	cl := &client{timeout: 30 * time.Second, password: c.password}
	for _, s := range strings.Split(c.url, ",") {
		u, err := url.Parse(strings.TrimRight(strings.TrimSpace(s), "/"))
		if err != nil {
			return nil, fmt.Errorf("-url: %w", err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return nil, fmt.Errorf("-url %q: want http(s)://host[:port][/prefix]", s)
		}
		cl.targets = append(cl.targets, u)
	}
	cl.target = cl.targets[0]
	return cl, nil
}

// serversCPU sums the CPU seconds of the server processes.
func serversCPU(pids []int) float64 {
	var sum float64
	for _, p := range pids {
		s, _ := cpuSeconds(p)
		sum += s
	}
	return sum
}
