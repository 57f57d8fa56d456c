#!/usr/bin/env bash
# Growth (issue #8): does pufa slow down as boards and banks grow?
#   1. board read + own rank with 10k entries, then with 1M (SQLite + Redis);
#   2. session start with a 100-question bank, then with a 100,000-question bank.
# Each part runs a fresh release pufa; figures land in target/bench/growth-<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${BENCH_PORT:-8100}
out=target/bench/growth-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
cargo build --release --quiet --bin pufa --bin pufa-load
load=target/release/pufa-load
url=http://127.0.0.1:$port

serve() { # serve NAME [ENV=VALUE...]
  local name=$1
  shift
  env "$@" PUFA_ANSWERS_PER_MINUTE=0 ROCKET_PORT=$port ROCKET_LOG_LEVEL=critical \
    target/release/pufa serve >"$out/$name.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do curl -fsS "$url/healthz" >/dev/null 2>&1 && return; sleep 0.2; done
  echo "pufa did not start; see $out/$name.log" >&2
  exit 1
}
stop() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap stop EXIT

# ---- 1. boards: 10k and 1M entries ----
db="sqlite://$PWD/$out/boards.db?mode=rwc"
prefix=growth-$$
serve boards PUFA_DATABASE_URL="$db" PUFA_LIVE_SCORES=redis PUFA_REDIS_PREFIX=$prefix
$load seed --database-url "$db" --users 2000 --tokens-out "$out/tokens.tsv" >/dev/null
$load campaign --url "$url" --admin-token-file "$out/tokens.tsv.admin" --slug bench >/dev/null
# Every resident plays once, so each reader has a rank of their own on the board.
$load run --url "$url" --tokens "$out/tokens.tsv" --campaign bench --concurrency 32 --duration 15 \
  --ceiling-secs 0 >/dev/null
campaign=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select id from campaigns where slug='bench'\").fetchone()[0])" "$out/boards.db")
have=$(redis-cli zcard "$prefix:{c$campaign}:z:all")
python3 bench/fill_board.py "$prefix" "$campaign" 10000000 $((10000 - have)) | redis-cli --pipe >/dev/null
echo "board entries: $(redis-cli zcard "$prefix:{c$campaign}:z:all")"
$load reads --url "$url" --tokens "$out/tokens.tsv" --campaign bench --concurrency 16 --duration 20 \
  --json "$out/reads-10k.json" --label "board 10k"
python3 bench/fill_board.py "$prefix" "$campaign" 20000000 990000 | redis-cli --pipe >/dev/null
sleep 10 # let Redis finish rehashing the grown hashes before timing
echo "board entries: $(redis-cli zcard "$prefix:{c$campaign}:z:all")"
$load reads --url "$url" --tokens "$out/tokens.tsv" --campaign bench --concurrency 16 --duration 20 \
  --json "$out/reads-1m.json" --label "board 1M"
stop
redis-cli --scan --pattern "$prefix:*" | xargs -r -n 1000 redis-cli unlink >/dev/null

# ---- 2. session start: 100 and 100,000 questions ----
for n in 100 100000; do
  dir=$out/bank-$n
  mkdir -p "$dir"
  python3 bench/make_bank.py "$n" "$dir/growth.toml"
  db="sqlite://$PWD/$dir/pufa.db?mode=rwc"
  serve "bank-$n" PUFA_DATABASE_URL="$db" PUFA_LIVE_SCORES=memory PUFA_QUESTION_BANK_DIR="$dir" \
    PUFA_REGIONS_FILE=question-bank/regions.toml
  $load seed --database-url "$db" --users 2000 --tokens-out "$dir/tokens.tsv" >/dev/null
  $load campaign --url "$url" --admin-token-file "$dir/tokens.tsv.admin" --slug bench >/dev/null
  $load starts --url "$url" --tokens "$dir/tokens.tsv" --campaign bench --concurrency 8 --count 4000 \
    --json "$out/starts-$n.json" --label "start, $n questions"
  stop
done
echo "reports: $out"
