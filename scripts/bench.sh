#!/usr/bin/env bash
# Benchmarks this server with cmd/loadgen on this machine and prints the
# BENCHMARKS.md tables. Usage: scripts/bench.sh [seconds per run, default 15]
# It builds the server, runs it on a fresh database "authbench" with an HS256
# secret (as the reference measurements), and drops the database afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-15}
PORT=${BENCH_PORT:-4777}
DB=postgres://postgres@127.0.0.1:5432/authbench?sslmode=disable
export HASURA_GRAPHQL_JWT_SECRET='{"type":"HS256","key":"bench-secret-bench-secret-bench-secret-0123"}'

go build -o /tmp/hasura-auth-go-bench .
go build -o /tmp/loadgen-bench ./cmd/loadgen
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS authbench WITH (FORCE)" -c "CREATE DATABASE authbench"

# AUTH_LOG_LEVEL=error: no line per request (scripts/bench.sh info to measure with them).
HASURA_GRAPHQL_DATABASE_URL=$DB AUTH_PORT=$PORT AUTH_API_PREFIX=/v1 AUTH_LOG_LEVEL=${2:-error} \
AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED=false AUTH_ANONYMOUS_USERS_ENABLED=true AUTH_BCRYPT_COST=10 \
  /tmp/hasura-auth-go-bench > /tmp/hasura-auth-go-bench.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS authbench WITH (FORCE)"' EXIT
for _ in $(seq 1 50); do curl -sf localhost:$PORT/healthz >/dev/null && break; sleep 0.2; done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(psql -h 127.0.0.1 -U postgres -Atc 'show server_version')"
run() { /tmp/loadgen-bench -url http://127.0.0.1:$PORT/v1 -pid $PID -db "$DB" -d "${DUR}s" -json "$@"; }
echo "| scenario | workers | req/s | p50 ms | p99 ms | errors | ceiling | ratio | HTTP floor | ratio | server CPU (cores) | loadgen CPU (cores) | server RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for sc in signin refresh verify user anonymous signup; do
  for c in 8 32; do
    line=$(run -scenario $sc -c $c -ceiling)
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
  sat=$(run -scenario $sc -c 8 -d 5s | python3 -c 'import json,sys; print(json.load(sys.stdin)["rate"])')
  half=$(python3 -c "print(round($sat/2))")
  run -scenario $sc -c 8 -rate "$half" | python3 -c '
import json, sys
r = json.load(sys.stdin)
print("| %s | %.0f/s | %.2f | %.2f | %d |" % (r["scenario"], r["rate"], r["p50_ms"], r["p99_ms"], r["errors"]))'
done
echo
echo "server RSS after the runs: $(awk '/VmRSS/{print $2/1024 " MB"}' /proc/$PID/status)"
