#!/usr/bin/env bash
# The campaign-rush benchmark (issue #8): one pufa (release build) with a fresh database, seeded
# residents, an open campaign, then the resident story under load and the /healthz ceiling.
#
#   bench/rush.sh SETUP [run options...]
#   SETUP: sqlite-redis | postgres-redis | sqlite-memory
#   e.g. bench/rush.sh sqlite-redis --concurrency 64 --duration 60
#
# Reports land in target/bench/<setup>-<time>.json. Needs: cargo, Redis at 127.0.0.1:6379 and
# (postgres-redis) PostgreSQL at 127.0.0.1:5432 with trust auth. BENCH_USERS (default 5000)
# residents are seeded; BENCH_PORT (default 8100).
set -euo pipefail
cd "$(dirname "$0")/.."
setup=${1:?setup: sqlite-redis | postgres-redis | sqlite-memory}
shift
users=${BENCH_USERS:-5000}
port=${BENCH_PORT:-8100}
stamp=$(date +%Y%m%d-%H%M%S)
out=target/bench/$setup-$stamp
mkdir -p "$out"
cargo build --release --quiet --bin pufa --bin pufa-load

case $setup in
  sqlite-redis | sqlite-memory) db="sqlite://$PWD/$out/pufa.db?mode=rwc" ;;
  postgres-redis)
    name=pufa_bench_$$
    psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $name" >/dev/null
    db="postgres://postgres@127.0.0.1:5432/$name"
    ;;
  *) echo "unknown setup $setup" >&2; exit 2 ;;
esac
live=redis
[[ $setup == sqlite-memory ]] && live=memory

# answers_per_minute=0: the generator's virtual users answer back to back, far faster than a
# person; the per-resident pace limit would otherwise (rightly) slow them.
PUFA_DATABASE_URL=$db PUFA_LIVE_SCORES=$live PUFA_REDIS_PREFIX=bench-$stamp PUFA_ANSWERS_PER_MINUTE=0 \
  ROCKET_PORT=$port ROCKET_LOG_LEVEL=critical target/release/pufa serve >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done

load=target/release/pufa-load
$load seed --database-url "$db" --users "$users" --tokens-out "$out/tokens.tsv" >/dev/null
$load campaign --url "http://127.0.0.1:$port" --admin-token-file "$out/tokens.tsv.admin" --slug bench >/dev/null
if [[ -n ${BENCH_PERF:-} ]]; then
  # A CPU profile of the server for 10 s in the middle of the run (perf's software clock).
  (sleep 5; perf record -q -e cpu-clock -F 999 -p "$server" -o "$out/perf.data" -- sleep 10 >/dev/null 2>&1) &
fi
$load run --url "http://127.0.0.1:$port" --tokens "$out/tokens.tsv" --campaign bench \
  --server-pid "$server" --json "$out/report.json" --label "$setup" "$@"
$load verify --database-url "$db" --campaign bench --from-json "$out/report.json"
echo "report: $out/report.json"
