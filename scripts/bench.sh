#!/usr/bin/env bash
# Benchmarks this server with cmd/loadgen on this machine and prints the
# BENCHMARKS.md tables. Usage: scripts/bench.sh [seconds per run, default 15] [mode]
#
#   ours       (default) this server alone, with the ceilings and the paced runs
#   compare    this server and hasura-auth side by side, interleaved run by run;
#              BENCH_REF=/path/to/hasura-auth (built from its own checkout,
#              outside this repository) and BENCH_REF_TEMPLATES=<its email-templates>
#   instances  1, 2 and 4 instances (BENCH_INSTANCES) on one database through
#              PgBouncer in transaction pooling (scripts/pgbouncer.ini), and one
#              instance without it
#   scale      the same scenarios on databases seeded (scripts/seed.sql) with
#              10k and 1M users and sessions (BENCH_SCALE), left unanalysed:
#              server and PostgreSQL CPU per request
#
# Every server gets a fresh database (dropped afterwards), an HS256
# HASURA_GRAPHQL_JWT_SECRET and bcrypt cost 10. AUTH_LOG_LEVEL: BENCH_LOG_LEVEL,
# default error in "ours" and "instances", info (the default, one line per
# request, as hasura-auth) in "compare".
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-15}
MODE=${2:-ours}
PORT=${BENCH_PORT:-4777}
PG=postgres://postgres@127.0.0.1:5432
export HASURA_GRAPHQL_JWT_SECRET='{"type":"HS256","key":"bench-secret-bench-secret-bench-secret-0123"}'

# built as the Dockerfile builds it
CGO_ENABLED=0 go build -trimpath -tags nomsgpack -ldflags "-s -w" -o /tmp/hasura-auth-go-bench .
go build -o /tmp/loadgen-bench ./cmd/loadgen

PIDS=()
DBS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for d in "${DBS[@]}"; do psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" 2>/dev/null || true; done
}
trap cleanup EXIT

newdb() { # newdb name: a fresh database
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" 2>/dev/null
  DBS+=("$1")
}

wait_up() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.2; done; echo "not up: $1" >&2; return 1; }

# start_ours port dburl log [extra env...]: starts an instance, sets STARTED to its pid
start_ours() {
  local port=$1 db=$2 log=$3; shift 3
  env HASURA_GRAPHQL_DATABASE_URL="$db" AUTH_PORT="$port" AUTH_API_PREFIX=/v1 AUTH_LOG_LEVEL="$LOG_LEVEL" \
    AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED=false AUTH_ANONYMOUS_USERS_ENABLED=true AUTH_BCRYPT_COST=10 "$@" \
    /tmp/hasura-auth-go-bench > "$log" 2>&1 &
  STARTED=$!
  PIDS+=("$STARTED")
  wait_up "http://127.0.0.1:$port/healthz"
}

machine() { echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), PostgreSQL $(psql -h 127.0.0.1 -U postgres -Atc 'show server_version'), autovacuum $(psql -h 127.0.0.1 -U postgres -Atc 'show autovacuum')"; }

run() { /tmp/loadgen-bench -d "${DUR}s" -json "$@"; }

ours_mode() {
  LOG_LEVEL=${BENCH_LOG_LEVEL:-error}
  newdb authbench
  local DB=$PG/authbench?sslmode=disable
  start_ours "$PORT" "$DB" /tmp/hasura-auth-go-bench.log
  local PID=$STARTED
  machine
  echo "| scenario | workers | req/s | p50 ms | p99 ms | errors | ceiling | ratio | HTTP floor | ratio | server CPU (cores) | loadgen CPU (cores) | server RSS MB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for sc in signin refresh verify user anonymous signup; do
    for c in 8 32; do
      line=$(run -url "http://127.0.0.1:$PORT/v1" -pid "$PID" -db "$DB" -scenario $sc -c $c -ceiling)
      python3 - "$line" "$DUR" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); d = float(sys.argv[2])
ceil = f'{r["ceiling_rate"]:.0f}/s' if r["ceiling_rate"] else "-"
ratio = f'{100*r["ratio"]:.0f}%' if r["ratio"] else "-"
floor = f'{r["http_floor_rate"]:.0f}/s' if r["http_floor_rate"] else "-"
fratio = f'{100*r["http_floor_ratio"]:.0f}%' if r["http_floor_ratio"] else "-"
print(f'| {r["scenario"]} | {r["c"]} | {r["rate"]:.0f} | {r["p50_ms"]:.2f} | {r["p99_ms"]:.2f} | {r["errors"]} | {ceil} | {ratio} | {floor} | {fratio} | {r["server_cpu_s"]/d:.2f} | {r["client_cpu_s"]/d:.2f} | {r["server_rss_mb"]:.0f} |')
PY
    done
  done
  echo
  echo "p99 at half the saturating rate (8 workers, paced):"
  echo "| scenario | paced rate | p50 ms | p99 ms | errors |"
  echo "|---|---|---|---|---|"
  for sc in refresh verify user anonymous; do
    sat=$(/tmp/loadgen-bench -url "http://127.0.0.1:$PORT/v1" -scenario $sc -c 8 -d 5s -json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rate"])')
    half=$(python3 -c "print(round($sat/2))")
    run -url "http://127.0.0.1:$PORT/v1" -scenario $sc -c 8 -rate "$half" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("| %s | %.0f/s | %.2f | %.2f | %d |" % (r["scenario"], r["rate"], r["p50_ms"], r["p99_ms"], r["errors"]))'
  done
  echo
  echo "server RSS after the runs: $(awk '/VmRSS/{print $2/1024 " MB"}' /proc/$PID/status)"
}

compare_mode() {
  : "${BENCH_REF:?set BENCH_REF to a hasura-auth binary built from its own checkout}"
  LOG_LEVEL=${BENCH_LOG_LEVEL:-info}
  local REFPORT=$((PORT + 1)) STUB=$((PORT + 2))
  # hasura-auth applies its metadata to Hasura at start: a stub that accepts
  # every metadata call (nothing of hasura-auth's here).
  python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        b = b"{\"message\":\"success\"}"
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$STUB" &
  PIDS+=("$!")
  newdb authbench; newdb authref
  psql -q -h 127.0.0.1 -U postgres -d authref -c "CREATE SCHEMA auth"
  local DB=$PG/authbench?sslmode=disable REFDB=$PG/authref?sslmode=disable
  start_ours "$PORT" "$DB" /tmp/hasura-auth-go-bench.log
  local PID=$STARTED
  env HASURA_GRAPHQL_DATABASE_URL="$REFDB" HASURA_GRAPHQL_GRAPHQL_URL="http://127.0.0.1:$STUB/v1/graphql" \
    HASURA_GRAPHQL_ADMIN_SECRET=bench AUTH_PORT="$REFPORT" AUTH_API_PREFIX=/v1 \
    AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED=false AUTH_ANONYMOUS_USERS_ENABLED=true \
    AUTH_EMAIL_TEMPLATES_PATH="${BENCH_REF_TEMPLATES:-}" "$BENCH_REF" serve > /tmp/hasura-auth-ref-bench.log 2>&1 &
  local REFPID=$!
  PIDS+=("$REFPID")
  wait_up "http://127.0.0.1:$REFPORT/healthz"
  machine
  echo "hasura-auth: $BENCH_REF; both servers log at info; tables analysed before every run"
  echo "| scenario | workers | ours req/s | hasura-auth req/s | ratio | ours p50 / p99 ms | hasura-auth p50 / p99 ms | errors (ours, ref) | server CPU µs/req (ours, ref) | PostgreSQL CPU µs/req (ours, ref) |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for sc in ${BENCH_SCENARIOS:-signin refresh verify user anonymous signup}; do
    for c in 8 32; do
      psql -q -h 127.0.0.1 -U postgres -d authbench -c ANALYZE; psql -q -h 127.0.0.1 -U postgres -d authref -c ANALYZE
      a=$(run -url "http://127.0.0.1:$PORT/v1" -pid "$PID" -scenario $sc -c $c)
      b=$(run -url "http://127.0.0.1:$REFPORT/v1" -pid "$REFPID" -scenario $sc -c $c)
      python3 - "$a" "$b" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
us = lambda r, k="server_cpu_s": 1e6 * r[k] / max(1, r["requests"])
print(f'| {a["scenario"]} | {a["c"]} | {a["rate"]:.0f} | {b["rate"]:.0f} | {a["rate"]/max(b["rate"],1e-9):.2f}× | {a["p50_ms"]:.1f} / {a["p99_ms"]:.1f} | {b["p50_ms"]:.1f} / {b["p99_ms"]:.1f} | {a["errors"]}, {b["errors"]} | {us(a):.0f}, {us(b):.0f} | {us(a, "postgres_cpu_s"):.0f}, {us(b, "postgres_cpu_s"):.0f} |')
PY
    done
  done
  echo
  echo "RSS after the runs: ours $(awk '/VmRSS/{print $2/1024 " MB"}' /proc/$PID/status), hasura-auth $(awk '/VmRSS/{print $2/1024 " MB"}' /proc/$REFPID/status)"
  echo "RSS after a further ${BENCH_RSS_SECONDS:-30} s of GET /user at 32 workers:"
  for who in ours ref; do
    if [ $who = ours ]; then u=http://127.0.0.1:$PORT/v1; p=$PID; else u=http://127.0.0.1:$REFPORT/v1; p=$REFPID; fi
    /tmp/loadgen-bench -url "$u" -pid "$p" -scenario user -c 32 -d "${BENCH_RSS_SECONDS:-30}s" -json |
      python3 -c 'import json,sys; r=json.load(sys.stdin); print("  %s: %.0f req/s, RSS %.0f MB" % (sys.argv[1], r["rate"], r["server_rss_mb"]))' $who
  done
}

instances_mode() {
  LOG_LEVEL=${BENCH_LOG_LEVEL:-error}
  if ! pg_isready -h 127.0.0.1 -p 6432 -q; then
    pgbouncer -d $(if [ "$(id -u)" = 0 ]; then echo "-u postgres"; fi) scripts/pgbouncer.ini
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 6432 -q && break; sleep 1; done
  fi
  machine
  echo "PgBouncer $(pgbouncer --version | head -1 | awk '{print $2}'), pool_mode=transaction, default_pool_size=20"
  echo "| instances | through | scenario | workers | req/s | p50 ms | p99 ms | errors | server CPU µs/req (all instances) | RSS MB (sum) |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for n in direct ${BENCH_INSTANCES:-1 2 4}; do
    local k=$n via="PgBouncer" db
    newdb authinst
    if [ "$n" = direct ]; then k=1; via="direct"; fi
    local urls="" pids=""
    for i in $(seq 0 $((k - 1))); do
      if [ "$via" = direct ]; then
        start_ours $((PORT + i)) "$PG/authinst?sslmode=disable" /tmp/hasura-auth-go-inst$i.log
      else
        start_ours $((PORT + i)) "postgres://postgres@127.0.0.1:6432/authinst?sslmode=disable" /tmp/hasura-auth-go-inst$i.log \
          AUTH_DATABASE_POOLER=transaction AUTH_DATABASE_DIRECT_URL="$PG/authinst?sslmode=disable"
      fi
      urls+="${urls:+,}http://127.0.0.1:$((PORT + i))/v1"; pids+="${pids:+,}$STARTED"
    done
    for sc in ${BENCH_SCENARIOS:-signin refresh user anonymous}; do
      psql -q -h 127.0.0.1 -U postgres -d authinst -c ANALYZE
      run -url "$urls" -pid "$pids" -scenario $sc -c 32 | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("| %s | %s | %s | %d | %.0f | %.2f | %.2f | %d | %.0f | %.0f |" % (sys.argv[1], sys.argv[2], r["scenario"], r["c"], r["rate"], r["p50_ms"], r["p99_ms"], r["errors"], 1e6*r["server_cpu_s"]/max(1, r["requests"]), r["server_rss_mb"]))' "$k" "$via"
    done
    for p in ${pids//,/ }; do kill "$p"; wait "$p" 2>/dev/null || true; done
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS authinst WITH (FORCE)"
  done
}

scale_mode() {
  LOG_LEVEL=${BENCH_LOG_LEVEL:-error}
  machine
  local sizes=(${BENCH_SCALE:-10000 1000000}) pids=() i=0
  for n in "${sizes[@]}"; do
    newdb "authscale$i"
    start_ours $((PORT + i)) "$PG/authscale$i?sslmode=disable" "/tmp/hasura-auth-go-scale$i.log"
    pids+=("$STARTED")
    local t0=$SECONDS
    psql -q -h 127.0.0.1 -U postgres -d "authscale$i" -v n="$n" -f scripts/seed.sql
    echo "seeded $n users and sessions in $((SECONDS - t0)) s: auth.users $(psql -h 127.0.0.1 -U postgres -d "authscale$i" -Atc "select pg_size_pretty(pg_total_relation_size('auth.users'))"), auth.refresh_tokens $(psql -h 127.0.0.1 -U postgres -d "authscale$i" -Atc "select pg_size_pretty(pg_total_relation_size('auth.refresh_tokens'))")"
    i=$((i + 1))
  done
  psql -q -h 127.0.0.1 -U postgres -c CHECKPOINT
  echo "tables never analysed; the sizes interleaved run by run; PostgreSQL CPU: every postgres process on the machine"
  echo "| users and sessions | scenario | workers | req/s | p50 / p99 ms | errors | server CPU µs/req | PostgreSQL CPU µs/req | blocks read outside shared_buffers /req | WAL bytes/req |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for sc in ${BENCH_SCENARIOS:-refresh verify user anonymous signin}; do
    for c in 8 32; do
      for i in "${!sizes[@]}"; do
        local blks="select blks_read || ' ' || pg_current_wal_lsn() - '0/0' from pg_stat_database where datname = 'authscale$i'" b0 b1
        b0=$(psql -h 127.0.0.1 -U postgres -Atc "$blks")
        run -url "http://127.0.0.1:$((PORT + i))/v1" -pid "${pids[$i]}" -scenario $sc -c $c > /tmp/bench-scale.json
        sleep 1 # backends report their counters within a second
        b1=$(psql -h 127.0.0.1 -U postgres -Atc "$blks")
        python3 - "${sizes[$i]}" $b0 $b1 <<'PY'
import json, sys
r = json.load(open("/tmp/bench-scale.json")); n = max(1, r["requests"])
blks0, wal0, blks1, wal1 = (float(x) for x in sys.argv[2:6])
print("| %s | %s | %d | %.0f | %.2f / %.2f | %d | %.0f | %.0f | %.2f | %.0f |" % (sys.argv[1], r["scenario"], r["c"], r["rate"], r["p50_ms"], r["p99_ms"], r["errors"],
      1e6*r["server_cpu_s"]/n, 1e6*r["postgres_cpu_s"]/n, (blks1 - blks0)/n, (wal1 - wal0)/n))
PY
      done
    done
  done
  echo "planner's row estimates afterwards (never analysed): $(psql -h 127.0.0.1 -U postgres -d "authscale$((${#sizes[@]} - 1))" -Atc "select string_agg(relname || ' ' || reltuples::bigint, ', ') from pg_class where oid in ('auth.users'::regclass, 'auth.refresh_tokens'::regclass)")"
}

case $MODE in
  ours) ours_mode ;;
  scale) scale_mode ;;
  compare) compare_mode ;;
  instances) instances_mode ;;
  *) echo "mode: ours, compare, instances or scale" >&2; exit 2 ;;
esac
