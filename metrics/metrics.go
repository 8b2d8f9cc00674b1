// Package metrics is what /metrics publishes in Prometheus format: requests
// per route and status, sign-in failures, refresh-token reuse, rate limiting
// and the database pool. Each server has its own registry (tests run several).
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the collectors. A nil *Metrics records nothing.
type Metrics struct {
	reg             *prometheus.Registry
	requests        *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	signInFailures  *prometheus.CounterVec
	refreshReuse    prometheus.Counter
	rateLimited     *prometheus.CounterVec
	rateLimitErrors prometheus.Counter
}

// New registers the collectors; db, when given, adds its pool statistics.
func New(db *sql.DB) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "auth_http_request_duration_seconds",
			Help: "Time to answer HTTP requests, by method, route template and status.",
			// bcrypt-bound sign-ins sit around 50-100 ms at cost 10
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
		signInFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_signin_failures_total",
			Help: "Refused sign-in attempts, by route and error code.",
		}, []string{"route", "reason"}),
		refreshReuse: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auth_refresh_token_reuse_detected_total",
			Help: "Rotated refresh tokens presented again after the reuse interval; each revoked its session.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_rate_limited_total",
			Help: "Requests refused with 429, by the limit that refused them.",
		}, []string{"limit"}),
		rateLimitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "auth_rate_limit_store_errors_total",
			Help: "Rate-limit checks that fell back to per-instance memory because Redis failed.",
		}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.signInFailures, m.refreshReuse, m.rateLimited, m.rateLimitErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, "auth"))
	}
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest records one answered request. route is the route template
// (/v1/pat/:id), never the raw path, so that labels stay few.
func (m *Metrics) ObserveRequest(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	s := strconv.Itoa(status)
	m.requests.WithLabelValues(method, route, s).Inc()
	m.duration.WithLabelValues(method, route, s).Observe(d.Seconds())
}

// SignInFailure records a refused sign-in.
func (m *Metrics) SignInFailure(route, reason string) {
	if m != nil {
		m.signInFailures.WithLabelValues(route, reason).Inc()
	}
}

// RefreshReuse records a detected refresh-token replay.
func (m *Metrics) RefreshReuse() {
	if m != nil {
		m.refreshReuse.Inc()
	}
}

// RateLimited records a 429.
func (m *Metrics) RateLimited(limit string) {
	if m != nil {
		m.rateLimited.WithLabelValues(limit).Inc()
	}
}

// RateLimitStoreError records a fallback from Redis to memory.
func (m *Metrics) RateLimitStoreError() {
	if m != nil {
		m.rateLimitErrors.Inc()
	}
}
